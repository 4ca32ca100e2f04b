"""Saves score incrementally (docs/saves.md), on SQLite and PostgreSQL.

- the stored decision after every save is the full rescoring's, over random answer sequences on
  every checklist and purpose, a follow-up and an acceptance whose approval changes meanwhile;
- the progress bar a save answers with is the one the walk page shows;
- a save runs a bounded number of SQL statements (counted, not timed);
- concurrent saves of one inspection's items leave the right verdict.
"""
import random
import re
import threading
import uuid

import pytest
from sqlalchemy import event
from sqlmodel import select

from inspector.models import Inspection, Photo
from inspector.services import inspections, tally
from inspector import demo

from . import factories

CASES = [  # checklist, purpose, tier, site type
    ("build-standard", "inspection", "standard", "village"),
    ("build-standard", "inspection", "demo", "community"),
    ("build-standard", "completion_acceptance", "standard", "village"),
    ("function-rooms", "inspection", None, "village"),
    ("micro-project", "micro_project", None, "community"),
    ("red-landmark", "red_landmark", None, "village"),
    ("service-ledger", "inspection", None, "community"),
]
# One read (user + session + inspection + site + checklist + answer + photo counts), then on PostgreSQL one
# write (answer, audit row and counts in one WITH statement), on SQLite three (answer, audit row, counts).
MAX_STATEMENTS = {"postgresql": 2, "sqlite": 4}


def _most(db) -> int:
    return MAX_STATEMENTS[db.get_bind().dialect.name]


@pytest.fixture
def world(app, db):
    c = factories.county(db)
    w = {"village": factories.site(db, c["village_a"], tier="standard"),
         "community": factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community",
                                     tier="standard"),
         "inspector": factories.user(db, c["county"], username="i-saves", role="inspector")}
    db.commit()
    return w


def _raw(item, rnd: random.Random):
    """A random answer of the item's kind, sometimes 不适用 or cleared."""
    if rnd.random() < 0.1:
        return rnd.choice(["na", ""])
    kind = item.kind
    if kind == "check":
        return rnd.choice(["pass", "pass", "fail"])
    if kind == "document":
        return rnd.choice(["present", "present", "missing"])
    if kind == "choice":
        return rnd.choice([o.value for o in item.options])
    if kind in ("measure", "count"):
        return str(rnd.choice([0, 1, 2, 3, 5, 8, 10, 20, 30, 50, 60, 80, 100, 120, 200, 300, 399, 400, 600, 1000]))
    if kind == "dimensions":
        return [str(rnd.choice([0.5, 1, 2, 3.5, 5])), rnd.choice(["", str(rnd.choice([0.5, 1, 2, 4]))])]
    if kind == "rate":
        respondents = rnd.randint(1, 50)
        return {"respondents": str(respondents), "satisfied": str(rnd.randint(0, respondents))}
    return rnd.choice(["", "记录了情况"])


def _full(db, ins: Inspection, spec, site):
    """What full rescoring says: the decision and the progress from every answer."""
    decision = inspections.decision(session=db, inspection=ins)
    own = inspections.answers_of(session=db, inspection=ins)
    photos = {}
    for p in db.exec(select(Photo).where(Photo.inspection_id == ins.id)):
        photos[p.item_id] = photos.get(p.item_id, 0) + 1
    progress = inspections.progress(spec, decision.outcome, photos, site_type=site.site_type,
                                    scope=ins.scope_items, answered=own)
    return decision, progress


def _check(db, ins, spec, site, where, stored=True):
    """The stored decision (once saved into) and the counts' standing equal full rescoring."""
    db.refresh(ins)
    decision, progress = _full(db, ins, spec, site)
    assert not stored or (ins.score, ins.verdict, ins.subsidy) == (decision.score, decision.verdict, decision.subsidy), where
    standing = tally.standing(session=db, inspection=ins, spec=spec, site=site)
    assert (standing.score, standing.verdict, standing.subsidy) == (decision.score, decision.verdict,
                                                                     decision.subsidy), where
    assert standing.progress == progress, where


def _photo(db, ins, item_id, by):
    db.add(Photo(inspection_id=ins.id, item_id=item_id, sha256=uuid.uuid4().hex, size_bytes=1, format="jpeg",
                 width=1, height=1, original="o", display="d", thumb="t", by_id=by.id))


def _saves(db, ins, spec, site, by, rnd, n, items):
    for k in range(n):
        item = rnd.choice(items)
        note = rnd.choice([None, "", "现场说明", None])
        try:
            inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw=_raw(item, rnd), note=note,
                                      by=by, client_id=uuid.uuid4().hex)
        except Exception as exc:  # a value the item refuses (e.g. 不适用 for evidence) changes nothing
            assert exc.__class__.__name__ == "AnswerError", exc
            db.rollback()
            db.refresh(ins)
            continue
        if rnd.random() < 0.05 and item.evidence.photos:
            _photo(db, ins, item.id, by)
        db.commit()
        _check(db, ins, spec, site, f"{spec.id} save {k} of {item.id}")


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_incremental_decision_equals_full_rescoring_over_random_saves(db, specs, world, case):
    checklist, purpose, tier, site_type = case
    spec, site, by = specs[checklist], world[site_type], world["inspector"]
    rnd = random.Random(f"{checklist}-{purpose}-{tier}-{site_type}")
    ins = inspections.start(session=db, site=site, spec=spec, purpose=purpose, tier=tier, by=by)
    db.commit()
    _check(db, ins, spec, site, "no answer yet", stored=False)
    # nearly every item met first (so verdicts past 尚未检查完 are reached), then random changes
    for item_id, value in demo.demo_answers(spec, tier=tier, site_type=site_type, pass_rate=0.97, share=1.0,
                                            rnd=rnd).items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=by)
        db.commit()
        _check(db, ins, spec, site, f"{spec.id} filling in {item_id}")
    special = [i for i in spec.items() if i.advisory is not None or i.gate or i.consequence or i.optional]
    items = rnd.sample(spec.items(), min(len(spec.items()), 10)) + rnd.sample(special, min(len(special), 6))
    _saves(db, ins, spec, site, by, rnd, 40, items)


def test_acceptance_whose_approval_document_goes_missing_is_ineligible_as_full_rescoring_says(db, specs, world):
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    rnd = random.Random(7)
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier="standard", by=by)
    _saves(db, ins, spec, site, by, rnd, 15, spec.items())
    site.category_doc_number = ""  # the approval's document number is cleared on the site page
    db.add(site)
    db.commit()
    _saves(db, ins, spec, site, by, rnd, 5, spec.items())
    assert ins.verdict == "ineligible" and ins.subsidy == 0


def test_follow_up_and_inspection_from_before_the_counts_are_scored_as_full_rescoring(db, specs, world):
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    rnd = random.Random(11)
    original = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    _saves(db, original, spec, site, by, rnd, 40, spec.items())
    original.status = "approved"
    scope_items = [i.id for i in rnd.sample(spec.items(), 6)]
    follow_up = Inspection(site_id=site.id, checklist_version_id=original.checklist_version_id, purpose="inspection",
                           tier="standard", created_by_id=by.id, follow_up_of_id=original.id,
                           scope_items=scope_items, start_flags=[])  # as workflow.start_follow_up: no counts yet
    db.add_all([original, follow_up])
    db.commit()
    _saves(db, follow_up, spec, site, by, rnd, 20, [spec.by_id[i] for i in scope_items])
    assert follow_up.tally["basis"].endswith(",".join(scope_items))


def _htmx_save(client, ins, item_id, value, base=0):
    return client.post(f"/inspections/{ins.id}/items/{item_id}", headers={"HX-Request": "true"},
                       data={"value": value, "client_id": uuid.uuid4().hex, "base_version": str(base)})


def _statements(app):
    seen = []
    event.listen(app.extensions["engine"], "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_save_answers_the_progress_bar_the_walk_page_shows_in_a_bounded_number_of_statements(
        app, client, db, login_as, specs, world):
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    login_as(by)
    seen = _statements(app)
    items = [i for i in spec.items() if i.kind == "check" and i.applies("standard", "village")][:4]
    for n, item in enumerate(items + items):
        seen.clear()
        reply = _htmx_save(client, ins, item.id, "fail" if n % 3 else "pass", base=1 if n >= len(items) else 0)
        assert reply.status_code == 200
        assert len(seen) <= _most(db), seen
        body = reply.get_data(as_text=True)
        bar = re.search(r'<div id="progress".*?</p>\s*</div>', body, re.S).group(0)
        page = client.get(f"/inspections/{ins.id}").get_data(as_text=True)
        shown = re.search(r'<div id="progress".*?</p>\s*</div>', page, re.S).group(0)
        assert re.sub(r'\s+hx-swap-oob="true"', "", bar) == shown
        assert f'data-saved-version="{2 if n >= len(items) else 1}"' in body


def test_concurrent_saves_of_one_inspection_leave_the_verdict_of_all_its_answers(app, db, specs, world):
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    items = [i for i in spec.items() if i.kind == "check" and i.applies("standard", "village")][:12]
    errors = []

    def one(item):
        client = app.test_client()
        client.post("/login", data={"username": by.username, "password": "correct-horse-1"})
        reply = _htmx_save(client, ins, item.id, "pass")
        if reply.status_code != 200:
            errors.append((item.id, reply.status_code))

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.expire_all()
    ins = db.get(Inspection, ins.id)
    assert ins.tally["answered"] == len(items) and ins.tally_rev == len(items)
    _check(db, ins, spec, site, "after concurrent saves")


def test_a_save_whose_counts_another_save_moved_meanwhile_counts_again_on_the_fresh_ones(app, db, specs, world):
    """The answer is written, but the counts it read are stale (another save of the inspection counted
    in between): its change is added to the fresh counts, once, and each version keeps one audit row."""
    from inspector.db import session as new_session
    from inspector.models import Answer, AuditLog
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    first, second, third = [i for i in spec.items() if i.kind == "check" and i.applies("standard", "village")][:3]
    inspections.record_answer(session=db, inspection=ins, item_id=first.id, raw="pass", note=None, by=by)
    db.commit()
    stale_rev = ins.tally_rev
    with new_session(app.extensions["engine"]) as other:  # another phone saves another item meanwhile
        theirs = other.get(Inspection, ins.id)
        inspections.record_answer(session=other, inspection=theirs, item_id=second.id, raw="fail", note=None,
                                  by=by)
        other.commit()
    assert ins.tally_rev == stale_rev  # this session still holds the counts from before
    mine = inspections.record_answer(session=db, inspection=ins, item_id=third.id, raw="pass", note="现场",
                                     by=by)
    db.commit()
    assert mine.version == 1 and ins.tally_rev == stale_rev + 2
    db.expire_all()
    ins = db.get(Inspection, ins.id)
    assert ins.tally["answered"] == 3 and ins.tally_rev == stale_rev + 2
    _check(db, ins, spec, site, "after a save on stale counts")
    answers = db.exec(select(Answer).where(Answer.inspection_id == ins.id)).all()
    logged = db.exec(select(AuditLog).where(AuditLog.entity == "answer",
                                            AuditLog.entity_id.in_([a.id for a in answers]))).all()
    assert len(answers) == 3 and len(logged) == 3
    assert {r.after["item"]: r.after["note"] for r in logged}[third.id] == "现场"


def test_each_answer_version_has_its_audit_row_with_before_after_and_time(app, client, db, login_as, specs, world):
    from inspector.models import Answer, AuditLog
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    login_as(by)
    item = next(i for i in spec.items() if i.kind == "check" and i.applies("standard", "village"))
    assert _htmx_save(client, ins, item.id, "pass").status_code == 200
    assert _htmx_save(client, ins, item.id, "fail", base=1).status_code == 200
    db.expire_all()
    answer = db.exec(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == item.id)).one()
    rows = db.exec(select(AuditLog).where(AuditLog.entity == "answer", AuditLog.entity_id == answer.id)
                   .order_by(AuditLog.id)).all()
    assert [(r.action, r.user_id) for r in rows] == [("answer", by.id), ("answer", by.id)]
    assert rows[0].before is None and rows[0].after == {"item": item.id, "value": "pass", "note": "", "version": 1}
    assert rows[1].before == {"value": "pass", "note": "", "version": 1}
    assert rows[1].after == {"item": item.id, "value": "fail", "note": "", "version": 2}
    assert rows[0].at is not None and rows[1].at.replace(tzinfo=None) == answer.at.replace(tzinfo=None)


def test_a_saved_reply_is_not_gzipped_and_does_not_sign_the_session_cookie_again(app, client, db, login_as,
                                                                                 specs, world):
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    login_as(by)
    item = next(i for i in spec.items() if i.kind == "check" and i.applies("standard", "village"))
    reply = client.post(f"/inspections/{ins.id}/items/{item.id}", headers={"HX-Request": "true",
                                                                          "Accept-Encoding": "gzip"},
                        data={"value": "pass", "client_id": uuid.uuid4().hex, "base_version": "0"})
    assert reply.status_code == 200 and "Content-Encoding" not in reply.headers  # ~1 KB: one packet anyway
    assert "Set-Cookie" not in reply.headers  # the cookie's life runs from sign-in, as the server session's
    assert reply.headers["Content-Security-Policy"] and reply.headers["Cache-Control"] == "private, no-store"
    page = client.get(f"/inspections/{ins.id}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"  # a page still travels compressed


def test_a_pooled_connection_is_pinged_only_after_sitting_idle_and_replaced_when_dead(db_url, monkeypatch):
    from sqlalchemy import create_engine, text
    from inspector import db as dbmod
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose")
    engine = dbmod.make_engine(db_url)
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # used a moment ago: not pinged
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
        assert len(pings) == 1  # only the new connection's first checkout
        killer = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        for record in list(engine.pool._pool.queue):  # as if it had sat in the pool a minute
            record.info["idle_since"] -= 60
        with engine.connect() as conn:  # pinged, found dead, replaced: the request never sees it
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert len(pings) >= 2
    finally:
        engine.dispose()


def test_a_queued_save_writes_its_capture_time_in_the_same_compare_and_set(app, client, db, login_as, specs, world):
    from datetime import timezone

    from inspector.models import Answer
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    db.commit()
    login_as(by)
    item = next(i for i in spec.items() if i.kind == "check" and i.applies("standard", "village"))
    seen = _statements(app)
    for base, value, when in ((0, "pass", "2026-05-01T09:30:00+08:00"), (1, "fail", "2026-05-01T10:00:00+08:00"),
                              (2, "pass", "")):
        seen.clear()
        reply = client.post(f"/inspections/{ins.id}/items/{item.id}", headers={"HX-Request": "true"},
                            data={"value": value, "client_id": uuid.uuid4().hex, "base_version": str(base),
                                  "captured_at": when})
        assert reply.status_code == 200
        assert len(seen) <= _most(db), seen  # no UPDATE of its own for the capture time
        db.expire_all()
        answer = db.exec(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == item.id)).one()
        assert answer.version == base + 1
        at = answer.captured_at
        stored = at and (at.astimezone(timezone.utc) if at.tzinfo else at).replace(tzinfo=None).isoformat()
        assert stored == {0: "2026-05-01T01:30:00", 1: "2026-05-01T02:00:00", 2: None}[base]  # UTC; a live save clears it


def test_a_save_checks_the_sign_in_in_its_single_read_and_refuses_as_login_required(app, client, db, login_as,
                                                                                    specs, world):
    """The sign-in check rides on the save's one read (no statement of its own); every way of
    being signed out is still refused, and nothing is stored."""
    from datetime import timedelta

    from inspector.models import Answer, AuthSession, Region, User
    from inspector.services import users
    spec, site, by = specs["build-standard"], world["village"], world["inspector"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    theirs = inspections.start(session=db, site=world["community"], spec=spec, purpose="inspection",
                               tier="standard", by=by)  # in 杨屯镇
    town_a = db.exec(select(Region).where(Region.code == "T101")).one()
    near = factories.user(db, town_a, username="i-longgu", role="inspector")  # bound to 龙固镇
    db.commit()
    item = next(i for i in spec.items() if i.kind == "check" and i.applies("standard", "village"))

    def stored():
        db.expire_all()
        return db.exec(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == item.id)).first()

    signed_out = _htmx_save(client, ins, item.id, "pass")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"] and stored() is None
    login_as(by)
    seen = _statements(app)
    assert _htmx_save(client, ins, item.id, "pass").status_code == 200
    assert not any("authsession" in s.lower() and "inspection" not in s.lower() for s in seen), seen
    assert stored().version == 1
    row = db.get(User, by.id)
    row.active = False
    db.commit()
    assert _htmx_save(client, ins, item.id, "fail", base=1).status_code == 302 and stored().value == "pass"
    row.active = True
    db.commit()
    open_ = db.exec(select(AuthSession).where(AuthSession.user_id == by.id, AuthSession.ended_at.is_(None))).one()
    started = open_.created_at
    open_.created_at = started - timedelta(hours=12, minutes=1)  # the 12-hour session has run out
    db.commit()
    assert _htmx_save(client, ins, item.id, "fail", base=1).status_code == 302 and stored().value == "pass"
    open_.created_at = started
    db.commit()
    users.end_all_sessions(session=db, user=db.get(User, by.id))  # signed out everywhere
    db.commit()
    assert _htmx_save(client, ins, item.id, "fail", base=1).status_code == 302 and stored().value == "pass"
    login_as(near)
    assert _htmx_save(client, theirs, item.id, "pass").status_code == 404  # another township's: not shown
    assert _htmx_save(client, ins, item.id, "fail", base=1).status_code == 200  # 张庄村 lies in 龙固镇
    assert stored().value == "fail"
