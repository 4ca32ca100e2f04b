"""Work queues: each role's home page lists its work from day 0, each entry a link, never across regions."""
import random
import re
from datetime import date, datetime, timezone

import pytest

from inspector.core import workdays
from inspector.services import inspections, queues, signoff, workflow
from inspector import demo

from . import factories

TODAY = date(2026, 9, 28)


def _fill(db, ins, spec, who, *, fail=()):
    values = demo.demo_answers(spec, tier=ins.tier, site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(1))
    for item_id, value in values.items():
        if item_id in fail:
            value = {"check": "fail", "document": "missing"}.get(spec.by_id[item_id].kind, 1)
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=who)


@pytest.fixture
def people(app, db):
    app.config["TODAY"] = TODAY
    c = factories.county(db)
    p = {"c": c, "site": factories.site(db, c["village_a"], tier="standard"),
         "site_b": factories.site(db, c["village_b"], name="吴庄社区党群服务中心", tier="standard"),
         "village": factories.user(db, c["village_a"], username="v-zhang", role="village"),
         "township": factories.user(db, c["town_a"], username="t-longgu", role="township"),
         "other_town": factories.user(db, c["town_b"], username="t-yangtun", role="township"),
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "inspector2": factories.user(db, c["county"], username="i-li", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer"),
         "contractor": factories.user(db, c["village_a"], username="k-sun", role="contractor")}
    db.commit()
    return p


def _start(db, specs, p, who, purpose, *, site="site", fail=(), submit=True):
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=p[site], spec=spec, purpose=purpose, tier="standard", by=p[who])
    _fill(db, ins, spec, p[who], fail=fail)
    if submit:
        inspections.submit(session=db, inspection=ins, by=p[who])
        ins.submitted_at = datetime(2026, 9, 28, 1, 30, tzinfo=timezone.utc)  # 09:30 in Beijing, on TODAY
    db.commit()
    return ins


def _section(page: str, key: str) -> str:
    found = re.search(rf'data-queue="{key}".*?</section>', page, re.S)
    assert found, f"no section {key}"
    return found.group(0)


def _home(client, login_as, user) -> str:
    client.post("/logout")
    login_as(user)
    return client.get("/").get_data(as_text=True)


def test_township_sees_a_village_submission_on_the_day_it_is_submitted(client, db, login_as, people, specs):
    own = _start(db, specs, people, "village", "self_assessment")
    page = _home(client, login_as, people["township"])
    review = _section(page, "review")
    assert "张庄村党群服务中心 · 自评" in review and "今天提交" in review
    assert f'href="/inspections/{own.id}/review"' in review
    assert client.get(f"/inspections/{own.id}/review").status_code == 200
    other = _home(client, login_as, people["other_town"])  # another township: not theirs
    assert "张庄村党群服务中心" not in _section(other, "review") and "没有待审核的提交" in other


def test_queue_read_counts_waiting_days_and_keeps_the_region(db, people, specs):
    own = _start(db, specs, people, "village", "self_assessment")
    mine = {s.key: s for s in queues.todo_for(session=db, user=people["township"], today=date(2026, 10, 5))}
    assert mine["review"].total == 1 and mine["review"].entries[0].detail == "已提交 · 已等待 7 天"
    assert mine["review"].entries[0].key == own.id
    theirs = {s.key: s for s in queues.todo_for(session=db, user=people["other_town"], today=TODAY)}
    assert theirs["review"].total == 0


def test_inspector_sees_returned_items_and_unfinished_inspections_linking_to_the_walk(client, db, login_as,
                                                                                     people, specs):
    ins = _start(db, specs, people, "inspector", "completion_acceptance")
    draft = _start(db, specs, people, "inspector", "inspection", site="site_b", submit=False)
    workflow.return_for_changes(session=db, inspection=ins, reasons={"hall-area": "面积照片看不清"}, general="",
                                by=people["county"])
    db.commit()
    page = _home(client, login_as, people["inspector"])
    returned = _section(page, "returned")
    assert f'href="/inspections/{ins.id}"' in returned and "第 1 次退回" in returned and "面积照片看不清" in returned
    assert f'href="/inspections/{draft.id}"' in _section(page, "drafts")
    other = _home(client, login_as, people["inspector2"])  # another inspector's work is not on their list
    assert f'href="/inspections/{ins.id}"' not in _section(other, "returned")


def test_village_sees_its_returned_self_assessment_and_rectification_deadlines(client, db, login_as, people, specs):
    own = _start(db, specs, people, "village", "self_assessment")
    workflow.return_for_changes(session=db, inspection=own, reasons={}, general="请补拍牌匾照片", by=people["township"])
    failed = _start(db, specs, people, "inspector", "completion_acceptance", fail=("hall-area", "premises-exists"))
    workflow.reject(session=db, inspection=failed, by=people["county"], today=TODAY, calendar=workdays.load())
    db.commit()
    page = _home(client, login_as, people["village"])
    assert f'href="/inspections/{own.id}"' in _section(page, "returned") and "请补拍牌匾照片" in page
    deadlines = _section(page, "deadlines")
    assert f'href="/inspections/{failed.id}/summary"' in deadlines and "项整改" in deadlines


def test_county_sees_reviews_signatures_awaiting_and_every_signer_sees_to_sign(client, db, login_as, people, specs):
    waiting = _start(db, specs, people, "inspector", "inspection")
    passing = _start(db, specs, people, "inspector", "completion_acceptance")
    workflow.approve(session=db, inspection=passing, by=people["county"], today=TODAY, calendar=workdays.load(),
                     signers={"township-staff": [people["township"].id],
                              "acceptance-team": [people["inspector"].id, people["county"].id],
                              "contractor-lead": [people["contractor"].id]})
    db.commit()
    page = _home(client, login_as, people["county"])
    assert f'href="/inspections/{waiting.id}/review"' in _section(page, "review")
    awaiting = _section(page, "awaiting")
    assert f'href="/inspections/{passing.id}/sign"' in awaiting and "已签 0/4" in awaiting
    assert f'href="/inspections/{passing.id}/sign"' in _section(page, "sign")  # the county signs too
    for who in ("contractor", "township", "inspector"):
        mine = _section(_home(client, login_as, people[who]), "sign")
        assert f'href="/inspections/{passing.id}/sign"' in mine, who
    signoff.sign(session=db, inspection=passing, by=people["contractor"], password="correct-horse-1")
    db.commit()
    contractor_home = _home(client, login_as, people["contractor"])
    assert "没有待您签字的验收" in _section(contractor_home, "sign")
    assert 'aria-label="业务"' not in contractor_home  # an account that only signs has no menu of work areas
    assert 'aria-label="业务"' in _home(client, login_as, people["township"])
