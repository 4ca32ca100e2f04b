"""Review workflow: submit, return with reasons, resubmit, approve, sign-off, accept, rectification loop."""
import random
from datetime import date

import pytest
from sqlmodel import select

from inspector.models import AuditLog, Inspection, RectificationTask, SignOff
from inspector.services import inspections, rectification, signoff, workflow
from inspector import demo

from . import factories


def _fill(db, ins, spec, who, *, fail: tuple[str, ...] = ()):
    """Answer every applicable item so it passes, except `fail` (given failing values)."""
    values = demo.demo_answers(spec, tier=ins.tier, site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(1))
    for item_id, value in values.items():
        if item_id in fail:
            item = spec.by_id[item_id]
            value = {"check": "fail", "document": "missing"}.get(item.kind, 1)
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=who)


@pytest.fixture
def people(app, db, specs):
    """A county with a village site and one user per role (plus a second acceptance-team member)."""
    app.config["TODAY"] = date(2026, 9, 28)
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    p = {"site": site, "c": c,
         "village": factories.user(db, c["village_a"], username="v-zhang", role="village"),
         "township": factories.user(db, c["town_a"], username="t-longgu", role="township"),
         "other_town": factories.user(db, c["town_b"], username="t-yangtun", role="township"),
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "inspector2": factories.user(db, c["county"], username="i-li", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer"),
         "contractor": factories.user(db, c["village_a"], username="k-sun", role="contractor"),
         "admin": factories.user(db, c["city"], username="a-root", role="admin")}
    db.commit()
    return p


@pytest.fixture
def acceptance(db, specs, people):
    """A submitted completion acceptance with two failed items."""
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=people["site"], spec=spec, purpose="completion_acceptance",
                            tier="standard", by=people["inspector"])
    _fill(db, ins, spec, people["inspector"], fail=("hall-area", "premises-exists"))
    inspections.submit(session=db, inspection=ins, by=people["inspector"])
    db.commit()
    return ins, spec


@pytest.fixture
def passing(db, specs, people):
    """A submitted completion acceptance meeting every requirement of its approved category."""
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=people["site"], spec=spec, purpose="completion_acceptance",
                            tier="standard", by=people["inspector"])
    _fill(db, ins, spec, people["inspector"])
    inspections.submit(session=db, inspection=ins, by=people["inspector"])
    db.commit()
    return ins, spec


def test_return_with_item_reasons_then_resubmit_shows_the_reasons_where_the_author_works(
        client, db, login_as, people, acceptance):
    ins, spec = acceptance
    login_as(people["county"])
    page = client.get(f"/inspections/{ins.id}/review")
    assert page.status_code == 200 and "逐项意见" in page.get_data(as_text=True)
    r = client.post(f"/inspections/{ins.id}/return", data={"reason-hall-area": "面积照片看不清，请补拍并复测",
                                                           "reason-premises-exists": "", "general": "请补充资料"})
    assert r.status_code == 303
    db.refresh(ins)
    assert ins.status == "returned" and ins.round == 1
    client.post("/logout")
    login_as(people["inspector"])
    walk = client.get(f"/inspections/{ins.id}?open=all").get_data(as_text=True)
    assert "面积照片看不清，请补拍并复测" in walk and "请补充资料" in walk
    summary = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "第 1 次退回" in summary
    seen = str(inspections.answers_of(session=db, inspection=ins)["hall-area"].version)
    assert client.post(f"/inspections/{ins.id}/items/hall-area", data={"value": "80", "base_version": seen}).status_code == 303
    assert client.post(f"/inspections/{ins.id}/submit").status_code == 303
    db.refresh(ins)
    assert ins.status == "resubmitted"
    actions = [a.action for a in db.exec(select(AuditLog).where(AuditLog.entity == "inspection",
                                                                AuditLog.entity_id == ins.id))]
    assert actions[-2:] == ["return", "submit"]
    trail = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "退回" in trail and "已重新提交" in trail


def test_return_needs_a_reason_and_the_reviewer_role(client, db, login_as, people, acceptance):
    ins, _spec = acceptance
    login_as(people["county"])
    r = client.post(f"/inspections/{ins.id}/return", data={"reason-hall-area": "  ", "general": ""})
    assert r.status_code == 422 and "至少填写一条退回原因" in r.get_data(as_text=True)
    db.refresh(ins)
    assert ins.status == "submitted"
    client.post("/logout")
    login_as(people["inspector"])
    r = client.post(f"/inspections/{ins.id}/return", data={"general": "我自己退回"})
    assert r.status_code == 403 and "不能审核竣工验收" in r.get_data(as_text=True)
    assert client.post(f"/inspections/{ins.id}/approve").status_code == 403


def test_illegal_transitions_are_refused_with_both_statuses(client, db, login_as, people, specs):
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=people["site"], spec=spec, purpose="inspection", tier="standard",
                            by=people["inspector"])
    db.commit()
    login_as(people["county"])
    r = client.post(f"/inspections/{ins.id}/approve")
    assert r.status_code == 422 and "当前为“填写中”，不能审核通过" in r.get_data(as_text=True)
    r = client.post(f"/inspections/{ins.id}/accept", follow_redirects=True)
    assert "不能验收" in r.get_data(as_text=True)
    db.refresh(ins)
    assert ins.status == "draft"


def test_approval_assigns_signers_and_acceptance_stands_only_when_all_have_signed(client, db, login_as, people,
                                                                                 passing):
    ins, _spec = passing  # issue 13: only a passing acceptance is approved and signed
    p = people
    login_as(p["county"])
    form = {"signer-township-staff": str(p["township"].id),
            "signer-acceptance-team": [str(p["inspector"].id), str(p["county"].id)],
            "signer-contractor-lead": str(p["contractor"].id)}
    wrong = dict(form, **{"signer-contractor-lead": str(p["other_town"].id)})
    r = client.post(f"/inspections/{ins.id}/approve", data=wrong)
    assert r.status_code == 422 and "不能代表“施工方负责人”签字" in r.get_data(as_text=True)
    assert client.post(f"/inspections/{ins.id}/approve", data=form).status_code == 303
    db.refresh(ins)
    assert ins.status == "approved"
    assert len(db.exec(select(SignOff).where(SignOff.inspection_id == ins.id)).all()) == 4
    r = client.post(f"/inspections/{ins.id}/accept", follow_redirects=True)
    assert "竣工验收须各方签字后自动生效" in r.get_data(as_text=True)
    client.post("/logout")

    for who in ("township", "inspector", "county", "contractor"):
        login_as(p[who])
        bad = client.post(f"/inspections/{ins.id}/sign", data={"password": "wrong-password"})
        assert bad.status_code == 422 and "密码不正确" in bad.get_data(as_text=True)
        ok = client.post(f"/inspections/{ins.id}/sign", data={"password": "correct-horse-1"}, follow_redirects=True)
        assert ok.status_code == 200
        db.refresh(ins)
        assert ins.status == ("accepted" if who == "contractor" else "approved")
        again = client.post(f"/inspections/{ins.id}/sign", data={"password": "correct-horse-1"})
        assert again.status_code == 422
        client.post("/logout")
    login_as(p["inspector2"])
    r = client.post(f"/inspections/{ins.id}/sign", data={"password": "correct-horse-1"})
    assert r.status_code == 422
    client.post("/logout")
    login_as(p["county"])
    page = client.get(f"/inspections/{ins.id}/sign").get_data(as_text=True)
    assert page.count('data-signed="yes"') == 4 and "待签" not in page
    assert db.get(Inspection, ins.id).accepted_at is not None


def test_failed_items_become_tasks_due_in_working_days_and_a_follow_up_rechecks_only_them(
        app, client, db, login_as, people, acceptance):
    ins, spec = acceptance
    p = people
    login_as(p["county"])
    form = {"signer-township-staff": str(p["township"].id),
            "signer-acceptance-team": [str(p["inspector"].id), str(p["county"].id)],
            "signer-contractor-lead": str(p["contractor"].id)}
    # issue 13: a failed acceptance is not approved; it is judged not passed and its items become tasks
    refused = client.post(f"/inspections/{ins.id}/approve", data=form)
    assert refused.status_code == 422 and "不能审核通过" in refused.get_data(as_text=True)
    assert client.post(f"/inspections/{ins.id}/reject", data={}).status_code == 303
    db.refresh(ins)
    assert (ins.status, ins.subsidy) == ("rejected", 0)
    tasks = db.exec(select(RectificationTask).where(RectificationTask.inspection_id == ins.id)).all()
    assert sorted(t.item_id for t in tasks) == ["hall-area", "premises-exists"]
    # approved on Mon 2026-09-28; 20 working days: Sep 29, 30; National Day Oct 1–7 off; Sat Oct 10 is
    # a make-up working day; so Sep 29, 30 (2), Oct 8, 9, 10 (5), 12–16 (10), 19–23 (15), 26–30 (20)
    # → the 20th is Fri 2026-10-30.
    assert {t.due_date for t in tasks} == {date(2026, 10, 30)}
    summary = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "整改任务（2 项）" in summary and "2026-10-30" in summary
    client.post("/logout")

    login_as(p["inspector"])
    r = client.post(f"/inspections/{ins.id}/follow-up")
    assert r.status_code == 303
    follow = db.exec(select(Inspection).where(Inspection.follow_up_of_id == ins.id)).one()
    assert sorted(follow.scope_items) == ["hall-area", "premises-exists"]
    walk = client.get(f"/inspections/{follow.id}").get_data(as_text=True)
    assert 'id="item-hall-area"' in walk and 'id="item-premises-exists"' in walk
    other = next(i for i in spec.items() if i.kind == "check" and i.id not in follow.scope_items
                 and i.applies("standard", "village"))
    assert f'id="item-{other.id}"' not in walk and "整改前：" in walk and "只复查 2 个整改项" in walk
    out = client.post(f"/inspections/{follow.id}/items/{other.id}", data={"value": "pass", "base_version": "0"})
    assert out.status_code == 409 and "只复查整改项" in out.get_data(as_text=True)
    r = client.post(f"/inspections/{follow.id}/submit")
    assert r.status_code == 422 and "2 个整改项未复查" in r.get_data(as_text=True)
    client.post(f"/inspections/{follow.id}/items/hall-area", data={"value": "90", "base_version": "0"})
    client.post(f"/inspections/{follow.id}/items/premises-exists", data={"value": "fail", "base_version": "0"})
    assert client.post(f"/inspections/{follow.id}/submit").status_code == 303
    client.post("/logout")

    login_as(p["county"])
    assert client.post(f"/inspections/{follow.id}/approve", data=form).status_code == 422  # still failing
    assert client.post(f"/inspections/{follow.id}/reject", data={}).status_code == 303
    db.expire_all()
    closed = {t.item_id: t.status for t in db.exec(select(RectificationTask)
                                                   .where(RectificationTask.inspection_id == ins.id))}
    assert closed == {"hall-area": "fixed", "premises-exists": "not_fixed"}
    again = db.exec(select(RectificationTask).where(RectificationTask.inspection_id == follow.id)).all()
    assert [t.item_id for t in again] == ["premises-exists"]
    db.refresh(follow)
    assert follow.score is not None and follow.score > db.get(Inspection, ins.id).score


def test_village_self_assessment_is_reviewed_by_its_township_only(client, db, login_as, people, specs):
    p = people
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=p["site"], spec=spec, purpose="self_assessment", tier="standard",
                            by=p["village"])
    _fill(db, ins, spec, p["village"])
    inspections.submit(session=db, inspection=ins, by=p["village"])
    db.commit()
    login_as(p["other_town"])
    assert client.post(f"/inspections/{ins.id}/approve").status_code == 404
    client.post("/logout")
    login_as(p["township"])
    assert client.post(f"/inspections/{ins.id}/approve").status_code == 303
    db.refresh(ins)
    assert ins.status == "approved"
    assert client.post(f"/inspections/{ins.id}/accept").status_code == 403
    client.post("/logout")
    login_as(p["county"])
    assert client.post(f"/inspections/{ins.id}/accept").status_code == 303
    db.refresh(ins)
    assert ins.status == "accepted"


def test_village_cannot_start_an_inspection_and_inspector_cannot_self_assess(db, people, specs):
    spec = specs["build-standard"]
    from inspector.services.rights import Forbidden
    with pytest.raises(Forbidden, match="村（社区）账号不能填写检查"):
        inspections.start(session=db, site=people["site"], spec=spec, purpose="inspection", tier="standard",
                          by=people["village"])
    with pytest.raises(Forbidden, match="检查员账号不能填写自评"):
        inspections.start(session=db, site=people["site"], spec=spec, purpose="self_assessment", tier="standard",
                          by=people["inspector"])


def test_strict_county_refuses_a_deadline_in_a_year_without_its_schedule_and_names_the_page(
        app, client, db, login_as, people, acceptance):
    # Since issue 12 a year without the State Council's schedule counts provisionally by default
    # (tests/test_calendar.py); a county in strict mode refuses instead, naming where to enter it.
    ins, _spec = acceptance
    app.config["TODAY"] = date(2026, 12, 15)
    app.config["WORKDAYS_STRICT"] = True
    login_as(people["county"])
    form = {"signer-township-staff": str(people["township"].id),
            "signer-acceptance-team": str(people["inspector"].id),
            "signer-contractor-lead": str(people["contractor"].id)}
    r = client.post(f"/inspections/{ins.id}/reject", data=form)  # issue 13: a failed acceptance is rejected
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "2027 年的节假日安排尚未录入" in text and "工作日日历" in text
    assert "overrides.yaml" not in text
    db.refresh(ins)
    assert ins.status == "submitted"
    assert rectification.tasks_of(session=db, inspection=ins) == []


def test_acceptance_report_shows_who_signed_when(app, client, db, login_as, people, passing, tmp_path):
    import subprocess
    from inspector.core import workdays
    ins, _spec = passing  # issue 13: only a passing acceptance is signed
    p = people
    workflow.approve(session=db, inspection=ins, by=p["county"], today=date(2026, 9, 28), calendar=workdays.load(),
                     signers={"township-staff": [p["township"].id], "acceptance-team": [p["inspector"].id,
                                                                                         p["county"].id],
                              "contractor-lead": [p["contractor"].id]})
    db.commit()
    for who in ("township", "inspector"):
        signoff.sign(session=db, inspection=ins, by=p[who], password="correct-horse-1")
    db.commit()
    login_as(p["inspector"])
    pdf = client.get(f"/inspections/{ins.id}/reports/acceptance?format=pdf")
    assert pdf.status_code == 200
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "t-longgu姓名（本人账号签字）" in flat and "i-wang姓名（本人账号签字）" in flat
    assert "k-sun姓名（待签）" in flat
    signed = [s for s, _u in signoff.signoffs(session=db, inspection=ins) if s.signed_at]
    from inspector.web.filters import china_time
    assert "".join(china_time(signed[0].signed_at).split()) in flat


def test_return_reasons_are_shown_as_text_never_as_markup(client, db, login_as, people, acceptance):
    ins, _spec = acceptance
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    login_as(people["county"])
    assert client.post(f"/inspections/{ins.id}/return", data={"reason-hall-area": payload,
                                                              "general": payload}).status_code == 303
    for url in (f"/inspections/{ins.id}", f"/inspections/{ins.id}/summary"):
        page = client.get(url).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
