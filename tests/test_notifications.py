"""In-app notifications: whoever acts, the person it concerns is told, in the same transaction,
never across regions; the bell counts the unread, the list opens and marks them read."""
import random
import re
from datetime import date

import pytest
from sqlmodel import select

from inspector.core import workdays
from inspector.models import Notification
from inspector.services import inspections, notifications, workflow
from inspector import demo

from . import factories
from .test_micro import application

TODAY = date(2026, 9, 28)


@pytest.fixture
def people(app, db):
    app.config["TODAY"] = TODAY
    c = factories.county(db)
    p = {"c": c, "site": factories.site(db, c["village_a"], tier="standard"),
         "village": factories.user(db, c["village_a"], username="v-zhang", role="village"),
         "village_b": factories.user(db, c["village_b"], username="v-wu", role="village"),
         "township": factories.user(db, c["town_a"], username="t-longgu", role="township"),
         "other_town": factories.user(db, c["town_b"], username="t-yangtun", role="township"),
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer"),
         "contractor": factories.user(db, c["village_a"], username="k-sun", role="contractor")}
    db.commit()
    return p


def _submitted(db, specs, p, who, purpose, *, fail=()):
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=p["site"], spec=spec, purpose=purpose, tier="standard", by=p[who])
    values = demo.demo_answers(spec, tier="standard", site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(1))
    for item_id, value in values.items():
        if item_id in fail:
            value = {"check": "fail", "document": "missing"}.get(spec.by_id[item_id].kind, 1)
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=p[who])
    inspections.submit(session=db, inspection=ins, by=p[who])
    db.commit()
    return ins


def _mine(db, user) -> list[Notification]:
    db.expire_all()
    return notifications.listing(session=db, user=user)


def test_a_returned_item_rings_the_inspectors_bell_and_the_list_leads_to_the_reasons(client, db, login_as,
                                                                                   people, specs):
    ins = _submitted(db, specs, people, "inspector", "completion_acceptance")
    login_as(people["county"])
    r = client.post(f"/inspections/{ins.id}/return", data={"reason-hall-area": "面积照片看不清，请补拍并复测"})
    assert r.status_code == 303
    client.post("/logout")
    login_as(people["inspector"])
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'data-bell-count>1<', home) and "通知，1 条未读" in home
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "张庄村党群服务中心的竣工验收被退回修改（第 1 次，1 条原因）" in listing and "未读" in listing
    row = _mine(db, people["inspector"])[0]
    opened = client.post(f"/notifications/{row.id}/open")
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/inspections/{ins.id}/summary")
    assert "面积照片看不清，请补拍并复测" in client.get(opened.headers["Location"]).get_data(as_text=True)
    assert _mine(db, people["inspector"])[0].read_at is not None
    assert "data-bell-count" not in client.get("/").get_data(as_text=True)


def test_the_filler_is_told_when_a_submission_is_returned_approved_or_rejected(db, people, specs):
    own = _submitted(db, specs, people, "village", "self_assessment")
    assert [n.kind for n in _mine(db, people["township"])] == ["submitted"]  # the nearest reviewer is told
    assert _mine(db, people["county"]) == []  # not the whole county
    workflow.return_for_changes(session=db, inspection=own, reasons={}, general="请补拍牌匾", by=people["township"])
    db.commit()
    inspections.submit(session=db, inspection=own, by=people["village"])
    workflow.approve(session=db, inspection=own, by=people["township"], today=TODAY, calendar=workdays.load())
    db.commit()
    texts = [n.text for n in _mine(db, people["village"])]
    assert "张庄村党群服务中心的自评已审核通过" in texts and any("被退回修改" in t for t in texts)
    failed = _submitted(db, specs, people, "inspector", "completion_acceptance", fail=("hall-area",))
    workflow.reject(session=db, inspection=failed, by=people["county"], today=TODAY, calendar=workdays.load())
    db.commit()
    assert any(n.kind == "rejected" and n.target_id == failed.id for n in _mine(db, people["inspector"]))
    tasks = [n for n in _mine(db, people["village"]) if n.kind == "tasks"]  # the village: its rectification
    assert len(tasks) == 1 and "1 项整改任务" in tasks[0].text and tasks[0].target_id == failed.id
    assert _mine(db, people["village_b"]) == []  # the other village hears nothing


def test_signers_are_told_their_signature_is_awaited(db, people, specs):
    ins = _submitted(db, specs, people, "inspector", "completion_acceptance")
    workflow.approve(session=db, inspection=ins, by=people["county"], today=TODAY, calendar=workdays.load(),
                     signers={"township-staff": [people["township"].id],
                              "acceptance-team": [people["inspector"].id, people["county"].id]},
                     named={"contractor-lead": [("孙建国", "施工方项目经理")]})
    db.commit()
    for who in ("township", "inspector"):
        assert any(n.kind == "sign" and n.target == "sign" for n in _mine(db, people[who])), who
    author = [n for n in _mine(db, people["inspector"]) if n.kind == "approved"][0]
    assert "1 位无账号签字人须在检查员手机上现场手写签名" in author.text
    assert not [n for n in _mine(db, people["county"]) if n.kind == "sign"]  # the actor is not told of their own act


def test_a_refused_action_leaves_no_notification(db, people, specs):
    ins = _submitted(db, specs, people, "inspector", "completion_acceptance")
    before = len(_mine(db, people["inspector"]))
    with pytest.raises(inspections.InspectionError):
        workflow.return_for_changes(session=db, inspection=ins, reasons={}, general="", by=people["county"])
    db.rollback()
    assert len(_mine(db, people["inspector"])) == before


def test_never_across_regions(client, db, login_as, people, specs):
    site_b = factories.site(db, people["c"]["village_b"], name="吴庄社区党群服务中心")
    made = notifications.notify(session=db, users=[people["township"], people["other_town"], people["county"]],
                                region_id=site_b.region_id, kind="step", text="吴庄社区：待办", target="micro",
                                target_id=1, by=None)
    db.commit()
    assert sorted(n.user_id for n in made) == sorted([people["other_town"].id, people["county"].id])
    theirs = _mine(db, people["other_town"])[0]
    login_as(people["township"])  # someone else's notification is as if it did not exist
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert "吴庄社区" not in client.get("/notifications/").get_data(as_text=True)
    people["county"].region_id = people["c"]["town_a"].id  # moved to another region: the old ones stay behind
    db.add(people["county"])
    db.commit()
    assert _mine(db, people["county"]) == [] and notifications.unread_count(session=db, user=people["county"]) == 0


def test_a_micro_project_step_tells_its_own_township_only(app, client, db, login_as, people):
    app.config["TODAY"] = date(2026, 4, 1)  # the application form's dates lie ahead
    site = people["site"]
    site.micro_program = "zhengfang-town"
    db.add(site)
    db.commit()
    login_as(people["village"])
    r = client.post(f"/micro/sites/{site.id}/projects", data=application(budget="30,000", size="large", spending="材料一批 材料 30,000"))
    assert r.status_code == 303, r.get_data(as_text=True)
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/micro/{pid}/steps/village_report", data={"outcome": "approve", "note": "同意"}).status_code == 303
    told = _mine(db, people["township"])
    assert [(n.kind, n.target, n.target_id) for n in told] == [("step", "micro", pid)]
    assert "待您办理" in told[0].text
    assert _mine(db, people["other_town"]) == []
    assert db.exec(select(Notification).where(Notification.user_id == people["village"].id)).all() == []
