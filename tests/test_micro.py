"""Micro projects on the web: apply, route by amount, notices, acceptance, survey, archive; the fund; scoping."""
from __future__ import annotations

import functools
import io
import random
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from inspector.core import examples, sources
from inspector.demo import micro as demo_micro
from inspector.models import (AuditLog, FundCommitment, FundMember, Inspection, MicroProject, Notice, Photo,
                              ProgramStep, User)
from inspector.services import inspections, micro, regions, users
from inspector import demo
from inspector.services import programs as micro_programs

from . import factories, samples

HOUSEHOLDS = "\n".join(f"户主{i} 1390516100{i} 已签" for i in range(1, 6))


def application(**over) -> dict[str, str]:
    """A complete application form (a small item under 10,000 CNY unless told otherwise)."""
    form = {
        "name": "修缮村内道路路灯", "size": "small", "lead_name": "张卫东", "lead_phone": "13905160001",
        "description": "更换村东头主路损坏路灯，党员群众义务安装", "scale": "LED 路灯 12 盏",
        "expected_effect": "夜间出行安全", "budget": "8,600.00", "fund_source": "镇级微实事专项资金",
        "start_date": "2026-04-01", "finish_date": "2026-04-30",
        "members": "张卫东 13905160001 党员\n李红梅 13905160002 村民代表",
        "households": HOUSEHOLDS, "spending": "LED路灯 材料 7,200.00\n电缆及配件 材料 1,400",
    }
    form.update(over)
    return form


@functools.cache
def password_hash() -> str:
    """One argon2 hash of the factories' password for every user here (hashing is slow on purpose)."""
    return users.hash_password("correct-horse-1")


@pytest.fixture
def world(app, db):
    """Two townships with a village site each; village, township, county and inspector users."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], name="张庄村党群服务中心")
    other = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    site.micro_program = other.micro_program = "zhengfang-town"  # seed 001's "1 + N" scheme
    people = {key: users.create(session=db, username=name, display_name=f"{name} 姓名", role=role, region=c[region],
                                password_hash=password_hash())
              for key, name, role, region in (
                  ("village", "v-zhang", "village", "village_a"), ("town", "town-a", "township", "town_a"),
                  ("town_b", "town-b", "township", "town_b"), ("village_b", "v-wu", "village", "village_b"),
                  ("county", "county-1", "county_reviewer", "county"), ("inspector", "insp-1", "inspector", "county"))}
    db.commit()
    app.config["TODAY"] = date(2026, 4, 1)  # a Wednesday; Qingming (4–6 April) is ahead
    return {"site": site, "other": other, "c": c, **people}


@pytest.fixture
def as_user(client, login_as):
    """Sign in as a user, signing out whoever was signed in."""
    def _as(user):
        client.post("/logout")
        return login_as(user)
    return _as


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def apply(client, world, **over) -> MicroProject:
    """The village applies; returns the stored project."""
    r = client.post(f"/micro/sites/{world['site'].id}/projects", data=application(**over))
    assert r.status_code == 303, r.get_data(as_text=True)
    project_id = int(r.headers["Location"].rsplit("/", 1)[1])
    return project_id


def project(db, project_id) -> MicroProject:
    db.expire_all()
    return db.get(MicroProject, project_id)


def decide(client, project_id, step, outcome="approve", note="同意"):
    return client.post(f"/micro/{project_id}/steps/{step}", data={"outcome": outcome, "note": note})


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- application and routing

def test_a_village_applies_and_its_route_shows_owner_due_date_and_countdown(client, db, world, as_user):
    as_user(world["village"])
    page = text(client.get(f"/micro/sites/{world['site'].id}/new"))
    assert "申报微实事项目" in page and 'name="households"' in page
    pid = apply(client, world)
    p = project(db, pid)
    assert (p.status, p.route, p.budget_fen, p.year, p.size) == ("applied", "village", 860000, 2026, "small")
    assert [h["signed"] for h in p.households] == [True] * 5
    assert p.spending == [{"item": "LED路灯", "category": "materials", "amount_fen": 720000},
                          {"item": "电缆及配件", "category": "materials", "amount_fen": 140000}]
    step = db.exec(select(ProgramStep).where(ProgramStep.program_id == pid)).one()
    # 5 working days after Wed 1 April 2026: 2, 3 April, (4–6 April Qingming), 7, 8, 9 April
    assert (step.step, step.owner_role, step.due_date) == ("village_decide", "village", date(2026, 4, 9))
    page = text(client.get(f"/micro/{pid}"))
    assert "1万元以下：由村（社区）直接确定" in page and "办理：村（社区）" in page
    assert "办理期限 2026-04-09" in page and "剩 8 天" in page and "8,600.00 元" in page
    assert db.exec(select(AuditLog).where(AuditLog.action == "apply", AuditLog.entity_id == pid)).one()
    as_user(world["county"])  # the county's due list names the step in words, not by its id
    due = text(client.get("/landmark/due"))
    assert "村（社区）直接确定" in due and "village_decide" not in due and "剩 8 天" in due


@pytest.mark.parametrize("budget, route, steps", [
    ("9,999.99", "village", ["village_decide"]),
    ("10,000", "village_file", ["village_decide", "township_file"]),
    ("30,000", "township_review", ["village_report", "township_review"]),
    ("30,000.01", "township_review", ["village_report", "township_review"]),
    ("100,000", "township_decide", ["village_report", "township_decide", "district_file"]),
    ("100,000.01", "township_decide", ["village_report", "township_decide", "district_file"]),
])
def test_routing_by_amount_at_the_boundaries(client, db, world, as_user, budget, route, steps):
    as_user(world["village"])
    pid = apply(client, world, budget=budget, size="large", spending=f"材料一批 材料 {budget}")
    assert project(db, pid).route == route
    page = text(client.get(f"/micro/{pid}"))
    for step in steps:
        assert f'data-step="{step}"' in page


def test_approvals_follow_the_route_and_only_the_owner_may_decide(client, db, world, as_user):
    as_user(world["village"])
    pid = apply(client, world, budget="120,000", size="large", spending="广场地砖 材料 120,000")
    assert decide(client, pid, "village_report").status_code == 303
    # the township's step: the village may not, the county may not, the township may
    r = decide(client, pid, "township_decide")
    assert r.status_code == 403 and "“镇党委确定”环节由乡镇（街道）办理" in text(r)
    as_user(world["county"])
    assert decide(client, pid, "township_decide").status_code == 403
    as_user(world["town"])
    assert decide(client, pid, "district_file").status_code == 409  # not the open step
    assert decide(client, pid, "township_decide", note="镇党委会议研究同意").status_code == 303
    assert project(db, pid).status == "applied"
    as_user(world["county"])
    page = text(client.get(f"/micro/{pid}"))
    assert "镇党委会议研究同意" in page and "报区（县）级备案" in page and "办理：县委组织部" in page
    assert decide(client, pid, "district_file", note="已备案").status_code == 303
    assert project(db, pid).status == "approved"
    rows = db.exec(select(ProgramStep).where(ProgramStep.program_id == pid).order_by(ProgramStep.id)).all()
    assert [(r.step, r.owner_role, r.outcome) for r in rows] == [
        ("village_report", "village", "approved"), ("township_decide", "township", "approved"),
        ("district_file", "county_reviewer", "approved")]


def test_a_rejection_needs_a_reason_and_ends_the_project(client, db, world, as_user):
    as_user(world["village"])
    pid = apply(client, world, budget="24,000", spending="健身器材 材料 24,000")
    decide(client, pid, "village_decide")
    as_user(world["town"])
    r = decide(client, pid, "township_file", outcome="reject", note="")
    assert r.status_code == 422 and "不同意“报镇党委备案”时请写明理由" in text(r)
    assert project(db, pid).status == "applied"
    assert decide(client, pid, "township_file", outcome="reject", note="与县级项目重复").status_code == 303
    p = project(db, pid)
    assert p.status == "rejected"
    page = text(client.get(f"/micro/{pid}"))
    assert "未通过" in page and "与县级项目重复" in page
    assert db.exec(select(AuditLog).where(AuditLog.action == "reject", AuditLog.entity_id == pid)).one()


def test_illegal_transitions_are_refused_with_a_message(client, db, world, as_user):
    as_user(world["village"])
    pid = apply(client, world)
    r = client.post(f"/micro/{pid}/start")
    assert r.status_code == 409 and "项目当前状态为“审批中”，不能开工（须为“已批准”）" in text(r)
    r = client.post(f"/micro/{pid}/archive")
    assert r.status_code == 409 and "不能归档" in text(r)
    assert client.get(f"/micro/{pid}/complete").status_code == 409
    assert project(db, pid).status == "applied"


# ---------------------------------------------------------------- the four bad inputs of the issue

def micro_audit(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "micro_project")).one()


def _nothing_stored(db, app):
    assert count(db, MicroProject) == 0 and count(db, ProgramStep) == 0 and micro_audit(db) == 0
    assert media_files(app) == []


def test_four_households_are_refused_with_the_rule(app, client, db, world, as_user):
    as_user(world["village"])
    r = client.post(f"/micro/sites/{world['site'].id}/projects",
                    data=application(households="\n".join(HOUSEHOLDS.splitlines()[:4])))
    page = text(r)
    assert r.status_code == 422
    assert "服务项目关联群众户签名不少于5户，现有签名 4 户" in page and sources.words("000_7a80efa72703d9ff.txt › 附件1") in page
    assert "户主4 13905161004 已签" in page  # what was typed stays in the form
    _nothing_stored(db, app)


def test_a_budget_over_the_as_a_rule_limit_warns_and_the_township_overrides_with_a_reason(app, client, db, world,
                                                                                          as_user):
    """001 二 5: “单个事项金额原则上在30万元以内 … 金额可在各村（社区）之间统筹调剂” — a warning, not a refusal."""
    as_user(world["village"])
    pid = apply(client, world, size="large", budget="300,000.01", spending="广场地砖 材料 300,000.01")
    p = project(db, pid)
    assert p.status == "applied" and p.program == "zhengfang-town" and p.route == "township_decide"
    assert [w["limit_id"] for w in p.details["warnings"]] == ["large-item-max"]
    page = text(client.get(f"/micro/{pid}"))
    assert "相对较大事项单个金额原则上在30万元以内：本项目预算 300,000.01 元，超出 0.01 元" in page
    assert sources.words("001_ce2f6b89bf5be0ba.txt › 二、实施内容 5") in page and "统筹调剂" in page
    steps = [s.step for s in db.exec(select(ProgramStep).where(ProgramStep.program_id == pid))]
    assert steps == ["township_override"]  # nothing else moves before the township decides
    assert decide(client, pid, "township_override").status_code == 403  # not the village's to override
    as_user(world["town"])
    r = decide(client, pid, "township_override", note="")
    assert r.status_code == 422 and "统筹调剂须写明理由" in text(r)
    assert decide(client, pid, "township_override", note="本镇杨屯村今年未使用大额事项，调剂 0.01 元").status_code == 303
    p = project(db, pid)
    assert p.details["overrides"][0]["reason"] == "本镇杨屯村今年未使用大额事项，调剂 0.01 元"
    assert p.details["overrides"][0]["limits"] == ["large-item-max"]
    log = db.exec(select(AuditLog).where(AuditLog.action == "override", AuditLog.entity_id == pid)).one()
    assert log.after["reason"].startswith("本镇杨屯村") and log.user_id == world["town"].id
    current = db.exec(select(ProgramStep).where(ProgramStep.program_id == pid, ProgramStep.done_at.is_(None))).one()
    assert current.step == "village_report"  # the band's own chain follows
    assert "已统筹调剂" in text(client.get(f"/micro/{pid}"))


def test_small_items_over_200000_warn_and_a_second_large_item_is_refused(client, db, world, as_user):
    as_user(world["village"])
    apply(client, world, name="道路硬化", budget="195,000", spending="水泥 材料 195,000")
    apply(client, world, name="文化广场", size="large", budget="250,000", spending="地砖 材料 250,000")
    pid = apply(client, world, budget="5,000.01", spending="灯 材料 5,000.01")
    warning = project(db, pid).details["warnings"][0]
    assert warning["limit_id"] == "small-items-total-max" and warning["override_role"] == "township"
    assert ("微小民生事项本年度总金额原则上在20万元以内：本年度已申报 195,000.00 元，加上本项目 5,000.01 元 共 "
            "200,000.01 元，超出 0.01 元") == warning["rule"]
    # the count of the “1” is not written “原则上”: a hard refusal
    r = client.post(f"/micro/sites/{world['site'].id}/projects",
                    data=application(size="large", budget="20,000", spending="器材 材料 20,000"))
    assert r.status_code == 422 and "每个村（社区）每年可实施1个相对较大民生事项，本年度已有“文化广场”" in text(r)
    assert count(db, MicroProject) == 3
    # another year has its own quota
    apply(client, world, size="large", budget="20,000", spending="器材 材料 20,000", start_date="2027-03-01",
          finish_date="2027-04-01")


def test_a_seed_000_project_of_1000_cny_goes_through_the_streets_review(client, db, world, as_user):
    """000 二 2: 村（社区）党组织同意 → 街道党建办及分管领导审核 → 街道党工委会议批准 — never “村直接确定”."""
    bind(db, world, STREET)
    as_user(world["village"])
    pid = apply(client, world, budget="1,000", spending="花苗 材料 1,000")
    p = project(db, pid)
    assert (p.program, p.route) == ("hehua-street-2023", "street")
    page = text(client.get(f"/micro/{pid}"))
    assert "直接确定" not in page and "荷花街道“党员微服务、群众大满意”活动" in page
    for step in ("village_agree", "street_office_review", "street_leader_review", "street_committee_approve"):
        assert f'data-step="{step}"' in page
    assert decide(client, pid, "village_agree", note="村党支部同意").status_code == 303
    assert project(db, pid).status == "applied"  # the village alone never approves
    assert decide(client, pid, "street_office_review").status_code == 403
    as_user(world["town"])
    assert decide(client, pid, "street_office_review", note="同意").status_code == 303
    # the leader in charge sets the funds by the standard (按标准核定项目经费): required, within the budget
    r = decide(client, pid, "street_leader_review", note="同意")
    assert r.status_code == 422 and "请按标准核定项目经费" in text(r)
    r = client.post(f"/micro/{pid}/steps/street_leader_review",
                    data={"outcome": "approve", "note": "同意", "amount": "1,000.01"})
    assert r.status_code == 422 and "不超过申报预算 1,000.00 元" in text(r)
    assert client.post(f"/micro/{pid}/steps/street_leader_review",
                       data={"outcome": "approve", "note": "同意", "amount": "800"}).status_code == 303
    assert project(db, pid).status == "applied" and project(db, pid).details["approved_fen"] == 80000
    assert "核定经费</dt><dd data-approved>800.00 元" in text(client.get(f"/micro/{pid}"))
    assert db.exec(select(AuditLog).where(AuditLog.action == "set_funds", AuditLog.entity_id == pid)).one()
    assert decide(client, pid, "street_committee_approve", note="党工委会议批准").status_code == 303
    assert project(db, pid).status == "approved"
    owners = [(s.step, s.owner_role) for s in db.exec(select(ProgramStep).where(ProgramStep.program_id == pid)
                                                       .order_by(ProgramStep.id))]
    assert owners == [("village_agree", "village"), ("street_office_review", "township"),
                      ("street_leader_review", "township"), ("street_committee_approve", "township")]


def test_a_site_without_a_program_cannot_apply_and_the_county_binds_it(client, db, world, as_user):
    bind(db, world, None)
    as_user(world["village"])
    r = client.post(f"/micro/sites/{world['site'].id}/projects", data=application())
    assert r.status_code == 409 and "尚未指定适用的微实事方案" in text(r) and count(db, MicroProject) == 0
    r = client.post(f"/micro/sites/{world['site'].id}/program", data={"program": STREET})
    assert r.status_code == 403
    as_user(world["county"])
    page = text(client.get("/micro/programs"))
    assert "荷花街道“党员微服务、群众大满意”活动" in page and "徐州市村（社区）党群服务中心“红色地标”评定" in page
    assert client.post(f"/micro/sites/{world['site'].id}/program", data={"program": "nope"}).status_code == 422
    assert client.post(f"/micro/sites/{world['site'].id}/program", data={"program": STREET}).status_code == 303
    db.expire_all()
    assert db.get(type(world["site"]), world["site"].id).micro_program == STREET
    log = db.exec(select(AuditLog).where(AuditLog.action == "bind_program")).one()
    assert log.after == {"program": STREET}


def test_spending_on_wages_is_refused(app, client, db, world, as_user):
    as_user(world["village"])
    r = client.post(f"/micro/sites/{world['site'].id}/projects",
                    data=application(spending="LED路灯 材料 7,200.00\n安装工人 劳务 1,400"))
    page = text(r)
    assert r.status_code == 422
    assert "经费明细第 2 行“安装工人”类别为“劳务工资”" in page
    assert "原则上用工应组织党员群众无偿服务，劳务工资不在其中列支" in page
    assert sources.words("000_7a80efa72703d9ff.txt › 三、活动要求 3") in page
    r = client.post(f"/micro/sites/{world['site'].id}/projects",
                    data=application(spending="LED路灯 材料 7,200.00\n工人工资 材料 1,400"))
    assert r.status_code == 422 and "经费明细第 2 行“工人工资”写有“工资”" in text(r)
    _nothing_stored(db, app)


def test_all_problems_of_one_application_are_listed_at_once(client, db, world, as_user):
    as_user(world["village"])
    r = client.post(f"/micro/sites/{world['site'].id}/projects",
                    data=application(households="", spending="工资 劳务 8,600", lead_phone="123",
                                     finish_date="2026-03-01"))
    page = text(r)
    assert r.status_code == 422 and "有 4 处不符合规定，未保存" in page
    for rule in ("牵头人的联系电话“123”格式不对", "完成时间 2026-03-01 早于实施时间 2026-04-01",
                 "服务项目关联群众户签名不少于5户，现有签名 0 户", "劳务工资不在其中列支"):
        assert rule in page


STREET = "hehua-street-2023"   # seed 000: one chain, through the street's review
TOWN = "zhengfang-town"        # seed 001: "1 + N", bands by amount


def bind(db, world, program: str) -> None:
    """Bind the main site to a program (the county's choice)."""
    site = db.get(type(world["site"]), world["site"].id)
    site.micro_program = program
    db.add(site)
    db.commit()


def through_the_street(client, world, as_user, pid) -> None:
    """Seed 000's chain: the village Party organization agrees, 党建办 and the leader review, the committee approves."""
    as_user(world["village"])
    assert decide(client, pid, "village_agree", note="村党支部同意").status_code == 303
    as_user(world["town"])
    assert decide(client, pid, "street_office_review", note="同意").status_code == 303
    assert client.post(f"/micro/{pid}/steps/street_leader_review",
                       data={"outcome": "approve", "note": "同意", "amount": "8,600"}).status_code == 303
    assert decide(client, pid, "street_committee_approve", note="同意").status_code == 303
    as_user(world["village"])


def _to_started(client, db, world, as_user, program: str = TOWN, **over) -> int:
    """A project approved and started: under 001 after its item notice, under 000 after the street's approval."""
    bind(db, world, program)
    as_user(world["village"])
    pid = apply(client, world, **over)
    if program == TOWN:
        decide(client, pid, "village_decide")
        assert client.post(f"/micro/{pid}/plan-notice", data={"place": "村东头主路"}).status_code == 303
    else:
        through_the_street(client, world, as_user, pid)
    assert client.post(f"/micro/{pid}/start").status_code == 303
    return pid


def _photos():
    return {"before": (io.BytesIO(samples.jpeg(color=(120, 120, 120))), "before.jpg"),
            "after": (io.BytesIO(samples.jpeg(color=(200, 220, 240))), "after.jpg")}


COMPLETION = {"spent": "8,450.50", "details": "更换路灯 12 盏，党员群众义务投工投劳", "village_lead": "王书记",
              "village_phone": "13905160009", "supervisor": "龙固镇基层党建办公室", "supervisor_phone": "0516-89001234"}


def test_a_notice_shorter_than_5_working_days_is_refused(app, client, db, world, as_user):
    pid = _to_started(client, db, world, as_user, STREET)
    app.config["TODAY"] = date(2026, 4, 30)
    before_audit = count(db, AuditLog)
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION, "working_days": "4", **_photos()})
    page = text(r)
    assert r.status_code == 422
    assert "项目完成情况公示不少于5个工作日，填写的是 4 个工作日" in page
    assert sources.words("000_7a80efa72703d9ff.txt › 二、活动步骤 4") in page
    p = project(db, pid)
    assert p.status == "started" and p.notice_id is None and not (p.details or {}).get("photos")
    assert count(db, Photo) == 0
    assert count(db, Notice) == 0 and count(db, AuditLog) == before_audit and media_files(app) == []


def test_completion_needs_photos_before_and_after_and_stores_nothing_otherwise(app, client, db, world, as_user):
    pid = _to_started(client, db, world, as_user, STREET)
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION,
                                                    "before": (io.BytesIO(samples.jpeg()), "before.jpg")})
    assert r.status_code == 422 and "请上传项目完成之后照片（至少 1 张）" in text(r)
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION, "before": (io.BytesIO(b"not a photo"), "x.jpg"),
                                                    "after": (io.BytesIO(samples.jpeg()), "after.jpg")})
    assert r.status_code == 422 and "x.jpg：不是可识别的图片" in text(r)
    assert count(db, Notice) == 0 and media_files(app) == []


# ---------------------------------------------------------------- the whole life, with the notice contract

def _pass_acceptance(db, inspection_id, user):
    """Answer every item of the acceptance inspection so that it passes (as an inspector would)."""
    ins = db.get(Inspection, inspection_id)
    spec = inspections.spec_for(session=db, inspection=ins)
    answers = demo.demo_answers(spec, tier=None, site_type="village", pass_rate=1.0, share=1.0,
                                rnd=random.Random(7))
    for item_id, value in answers.items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=user)
    db.commit()


def test_the_whole_life_of_a_project(app, client, db, world, as_user):
    as_user(world["village"])
    pid = apply(client, world, budget="24,000", spending="健身器材 材料 18,000\n水泥砂石 材料 6,000")
    assert decide(client, pid, "village_decide", note="村两委会议通过").status_code == 303
    as_user(world["town"])
    assert decide(client, pid, "township_file", note="已备案").status_code == 303
    assert project(db, pid).status == "approved"

    # 001 二 7: “事项确定后要在村（社区）显著位置进行公示” — required before work; its period is a county setting
    as_user(world["village"])
    r = client.post(f"/micro/{pid}/start")
    assert r.status_code == 409 and "事项确定后要进行事项公示" in text(r)
    r = client.post(f"/micro/{pid}/plan-notice", data={"place": "村委会旁小游园", "working_days": "4"})
    assert r.status_code == 422 and "事项公示不少于5个工作日，填写的是 4 个工作日（期限为县级设定，原文未规定）" in text(r)
    assert client.post(f"/micro/{pid}/plan-notice", data={"place": "村委会旁小游园"}).status_code == 303
    plan = db.exec(select(Notice).where(Notice.kind == "micro_item")).one()
    # Wed 1 April counts as day 1: 1, 2, 3, (4–6 Qingming), 7, 8 April
    assert (plan.start_date, plan.end_date, plan.working_days) == (date(2026, 4, 1), date(2026, 4, 8), 5)
    assert [s["label"] for s in plan.content["sections"]][:4] == ["项目名称", "事项内容", "规模数量", "实施地点"]
    # the source sets no waiting period: work may start once the notice is posted
    app.config["TODAY"] = date(2026, 4, 2)
    assert client.post(f"/micro/{pid}/start").status_code == 303

    # completion on Thu 30 April 2026: 30 April, (1–5 May Labour Day), 6, 7, 8 May, Sat 9 May (make-up day)
    app.config["TODAY"] = date(2026, 4, 30)
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION, **_photos()})
    assert r.status_code == 303, text(r)
    p = project(db, pid)
    notice = db.get(Notice, p.notice_id)
    assert p.status == "noticed" and notice.kind == "micro_completion"
    assert (notice.start_date, notice.end_date, notice.working_days) == (date(2026, 4, 30), date(2026, 5, 9), 5)
    content = notice.content
    assert set(content) == {"site", "region", "sections", "body", "photos", "contact", "issuer"}
    assert content["site"] == "张庄村党群服务中心" and content["region"] == "龙固镇 张庄村"
    assert content["sections"] == [
        {"label": "项目名称", "value": "修缮村内道路路灯"}, {"label": "牵头党员/村（居）民代表", "value": "张卫东"},
        {"label": "联系电话", "value": "13905160001"}, {"label": "村（社区）负责人", "value": "王书记"},
        {"label": "负责人联系电话", "value": "13905160009"}, {"label": "实用总资金", "value": "8,450.50 元"},
        {"label": "资金来源", "value": "镇级微实事专项资金"}]
    assert content["body"] == "更换路灯 12 盏，党员群众义务投工投劳"
    assert content["contact"] == "监督单位：龙固镇基层党建办公室　监督电话：0516-89001234"
    assert content["issuer"] == "中共张庄村委员会"
    assert [ph["caption"] for ph in content["photos"]] == ["实施前", "完成后"]
    root = Path(app.config["MEDIA_DIR"])
    for ph in content["photos"]:
        assert (root / ph["display"]).is_file() and (root / ph["thumb"]).is_file()
    # the photos are the project's Photo rows (issue 18), not JSON in its details
    shots = db.exec(select(Photo).where(Photo.micro_project_id == pid).order_by(Photo.id)).all()
    assert [ph.display for ph in shots] == [ph["display"] for ph in content["photos"]]
    assert [(ph.item_id, ph.caption, ph.inspection_id) for ph in shots] == [("before", "实施前", None),
                                                                            ("after", "完成后", None)]
    assert "photos" not in p.details
    assert all(ph.device_lat is None and "no_position" in [f["code"] for f in ph.flags] for ph in shots)
    page = text(client.get(f"/micro/{pid}"))
    assert "公示期 <span data-notice-start>2026-04-30</span> 至 <span data-notice-end>2026-05-09</span>" in page
    completion_part = page.split('id="completion"', 1)[1]
    public = re.search(r'<a href="(/notice/[^"]+)">查看公示</a>', completion_part).group(1)  # the notices area's
    assert public == f"/notice/{notice.public_id}"
    assert "修缮村内道路路灯" in text(client.get(public))
    with client.get(f"/micro/{pid}/photos/0/thumb") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with client.get(f"/micro/{pid}/photos/1/display") as display:
        assert display.status_code == 200
    assert client.get(f"/micro/{pid}/photos/2/thumb").status_code == 404
    assert client.get(f"/micro/{pid}/photos/0/original").status_code == 404

    # acceptance: not the village's to start; not before the notice has ended
    assert client.post(f"/micro/{pid}/acceptance").status_code == 403
    as_user(world["town"])
    app.config["TODAY"] = date(2026, 5, 9)
    r = client.post(f"/micro/{pid}/acceptance")
    assert r.status_code == 409 and "资金使用情况和实施效果公示期至 2026-05-09（5 个工作日），公示结束后才能验收" in text(r)
    app.config["TODAY"] = date(2026, 5, 11)
    r = client.post(f"/micro/{pid}/acceptance")
    assert r.status_code == 303
    ins_id = int(r.headers["Location"].rsplit("/", 1)[1])
    ins = db.get(Inspection, ins_id)
    assert (ins.purpose, ins.site_id) == ("micro_project", world["site"].id)
    # seed 001's scheme is accepted on seed 001's own checklist, not on 荷花街道's (seed 000)
    assert inspections.spec_for(session=db, inspection=ins).id == "micro-project-zhengfang"
    assert project(db, pid).acceptance_id == ins_id and project(db, pid).status == "accepting"
    assert client.post(f"/micro/{pid}/acceptance").status_code == 409  # already under way

    # satisfaction only after the acceptance passed (先验收、后评价); archive only after it
    assert client.post(f"/micro/{pid}/archive").status_code == 409
    r = client.post(f"/micro/{pid}/satisfaction", data={"respondents": "50", "satisfied": "44"})
    assert r.status_code == 409 and "验收检查尚未提交" in text(r)
    _pass_acceptance(db, ins_id, world["town"])
    assert client.post(f"/inspections/{ins_id}/submit").status_code == 303
    db.expire_all()
    assert db.get(Inspection, ins_id).verdict == "pass"
    r = client.post(f"/micro/{pid}/satisfaction", data={"respondents": "50", "satisfied": "51"})
    assert r.status_code == 422 and "满意人数 51 不能多于参与测评人数 50" in text(r)
    assert client.post(f"/micro/{pid}/satisfaction", data={"respondents": "50", "satisfied": "44"}).status_code == 303
    p = project(db, pid)
    assert p.status == "evaluated" and p.satisfaction["rate"] == 88.0
    assert "44/50 = 88.0%" in text(client.get(f"/micro/{pid}"))

    assert client.post(f"/micro/{pid}/archive").status_code == 303
    p = project(db, pid)
    assert p.status == "archived" and p.archived_at is not None
    assert "已归档" in text(client.get(f"/micro/{pid}"))
    actions = db.exec(select(AuditLog.action).where(AuditLog.entity == "micro_project",
                                                    AuditLog.entity_id == pid).order_by(AuditLog.id)).all()
    for action in ("apply", "open_step", "close_step", "approve", "plan_notice", "start", "complete", "acceptance",
                   "satisfaction", "archive"):
        assert action in actions, action


def test_a_failed_acceptance_can_be_started_again(app, client, db, world, as_user):
    pid = _to_started(client, db, world, as_user)
    app.config["TODAY"] = date(2026, 4, 30)
    assert client.post(f"/micro/{pid}/complete", data={**COMPLETION, **_photos()}).status_code == 303
    app.config["TODAY"] = date(2026, 5, 11)
    as_user(world["inspector"])
    first = int(client.post(f"/micro/{pid}/acceptance").headers["Location"].rsplit("/", 1)[1])
    ins = db.get(Inspection, first)
    spec = inspections.spec_for(session=db, inspection=ins)
    for item in spec.items():
        raw = {"check": "fail", "document": "missing"}.get(item.kind)
        inspections.record_answer(session=db, inspection=ins, item_id=item.id,
                                  raw=raw if raw else examples.value_for(item, item.rule_for(None, "village"), True,
                                                                      random.Random(1)),
                                  note=None, by=world["inspector"])
    db.commit()
    assert client.post(f"/inspections/{first}/submit").status_code == 303
    r = client.post(f"/micro/{pid}/satisfaction", data={"respondents": "5", "satisfied": "5"})
    assert r.status_code == 403  # the inspector does not run the survey
    as_user(world["town"])
    r = client.post(f"/micro/{pid}/satisfaction", data={"respondents": "5", "satisfied": "5"})
    assert r.status_code == 409 and "验收检查结论为不合格" in text(r)
    second = client.post(f"/micro/{pid}/acceptance")
    assert second.status_code == 303
    p = project(db, pid)
    assert p.acceptance_id != first and p.details["acceptance_history"] == [first]


# ---------------------------------------------------------------- the fund (000 二 1)

def test_the_fund_allocation_committed_and_remaining(client, db, world, as_user):
    bind(db, world, STREET)  # seed 000 gives each member 200 CNY; seed 001 has no such fund
    as_user(world["village"])
    pid = apply(client, world)
    site = world["site"].id
    for name, kind in (("张卫东", "party_member"), ("李红梅", "representative")):
        r = client.post(f"/micro/sites/{site}/fund/members", data={"year": "2026", "name": name,
                                                                    "phone": "13905160001", "kind": kind})
        assert r.status_code == 303
    r = client.post(f"/micro/sites/{site}/fund/members", data={"year": "2026", "name": "张卫东",
                                                                "phone": "13905160001", "kind": "party_member"})
    assert r.status_code == 422 and "2026 年已登记“张卫东”" in text(r)
    members = {m.name: m for m in db.exec(select(FundMember)).all()}
    assert {m.allocation_fen for m in members.values()} == {20000}
    r = client.post(f"/micro/sites/{site}/fund/commitments",
                    data={"year": "2026", "member_id": members["张卫东"].id, "project_id": pid, "amount": "150"})
    assert r.status_code == 303
    r = client.post(f"/micro/sites/{site}/fund/commitments",
                    data={"year": "2026", "member_id": members["李红梅"].id, "project_id": pid, "amount": "200.01"})
    page = text(r)
    assert r.status_code == 422
    assert "每名党员、村（居）民代表的微服务资金支配额度为 200 元，李红梅本年度剩余 200.00 元，不能支配 200.01 元" in page
    assert sources.words("000_7a80efa72703d9ff.txt › 二、活动步骤 1") in page
    assert count(db, FundCommitment) == 1
    page = text(client.get(f"/micro/sites/{site}/fund?year=2026"))
    row = re.search(r'<tr data-member="张卫东">(.*?)</tr>', page, re.S).group(1)
    assert "200.00 元" in row and "150.00 元" in row and "50.00 元" in row
    assert "合计 2 人" in page and "400.00 元" in page and "250.00 元" in page
    assert "微服务资金</dt><dd>150.00 元" in text(client.get(f"/micro/{pid}"))
    assert client.get(f"/micro/sites/{site}/fund?year=abc").status_code == 400


def test_a_member_cannot_commit_to_another_sites_or_years_project(client, db, world, as_user):
    bind(db, world, STREET)
    as_user(world["village"])
    pid = apply(client, world)
    site = world["site"].id
    client.post(f"/micro/sites/{site}/fund/members", data={"year": "2025", "name": "张卫东", "phone": "",
                                                           "kind": "party_member"})
    member = db.exec(select(FundMember)).one()
    r = client.post(f"/micro/sites/{site}/fund/commitments",
                    data={"year": "2025", "member_id": member.id, "project_id": pid, "amount": "100"})
    assert r.status_code == 422 and "张卫东的额度属于 2025 年，项目属于 2026 年" in text(r)


# ---------------------------------------------------------------- list, scoping, roles

def test_the_list_shows_the_region_and_filters_by_year_and_status(client, db, world, as_user):
    as_user(world["village"])
    first = apply(client, world, name="路灯修缮")
    apply(client, world, name="明年的项目", start_date="2027-02-01", finish_date="2027-03-01")
    decide(client, first, "village_decide")
    as_user(world["village_b"])
    r = client.post(f"/micro/sites/{world['other'].id}/projects", data=application(name="吴庄的项目"))
    assert r.status_code == 303
    as_user(world["town"])
    page = text(client.get("/micro/"))
    assert "路灯修缮" in page and "明年的项目" in page and "吴庄的项目" not in page and "共 2 个项目" in page
    page = text(client.get("/micro/?year=2026"))
    assert "路灯修缮" in page and "明年的项目" not in page
    page = text(client.get("/micro/?status=applied"))
    assert "明年的项目" in page and "路灯修缮" not in page
    assert "申报新项目" not in page  # the township does not apply
    as_user(world["county"])
    page = text(client.get("/micro/"))
    assert "共 3 个项目" in page and "吴庄的项目" in page


def _full_project(app, client, db, world, as_user) -> int:
    pid = _to_started(client, db, world, as_user)
    app.config["TODAY"] = date(2026, 4, 30)
    assert client.post(f"/micro/{pid}/complete", data={**COMPLETION, **_photos()}).status_code == 303
    return pid


ROUTES = [
    ("get", "/micro/{p}"), ("post", "/micro/{p}/steps/village_decide"), ("post", "/micro/{p}/plan-notice"),
    ("post", "/micro/{p}/start"), ("get", "/micro/{p}/complete"), ("post", "/micro/{p}/complete"),
    ("post", "/micro/{p}/acceptance"), ("post", "/micro/{p}/satisfaction"), ("post", "/micro/{p}/archive"),
    ("get", "/micro/{p}/photos/0/thumb"), ("get", "/micro/{p}/photos/1/display"),
    ("get", "/micro/sites/{s}/new"), ("post", "/micro/sites/{s}/projects"), ("get", "/micro/sites/{s}/fund"),
    ("post", "/micro/sites/{s}/fund/members"), ("post", "/micro/sites/{s}/fund/commitments"),
]


def test_another_townships_project_answers_404_on_every_route(app, client, db, world, as_user):
    pid = _full_project(app, client, db, world, as_user)
    data = {**application(), "outcome": "approve", "name": "x", "kind": "party_member", "year": "2026"}
    as_user(world["town"])  # the owning township reaches them (GETs)
    for method, url in ROUTES:
        if method == "get":
            with client.get(url.format(p=pid, s=world["site"].id)) as response:
                assert response.status_code in (200, 403, 409), (url, response.status_code)
    for outsider in ("town_b", "village_b"):
        as_user(world[outsider])
        stored = count(db, AuditLog)
        for method, url in ROUTES:
            target = url.format(p=pid, s=world["site"].id)
            with getattr(client, method)(target, data=data if method == "post" else None) as response:
                assert response.status_code == 404, (outsider, method, target, response.status_code)
        assert count(db, AuditLog) == stored


WRONG_ROLES = [
    ("town", "get", "/micro/sites/{s}/new", "乡镇（街道）账号不能申报微实事项目（可由：村（社区））"),
    ("town", "post", "/micro/sites/{s}/projects", "不能申报微实事项目"),
    ("county", "post", "/micro/sites/{s}/projects", "不能申报微实事项目"),
    ("inspector", "post", "/micro/{p}/start", "不能登记开工"),
    ("town", "post", "/micro/{p}/start", "不能登记开工"),
    ("town", "get", "/micro/{p}/complete", "不能发布完工公示"),
    ("village", "post", "/micro/{p}/acceptance", "不能开始微实事验收（可由：检查员、乡镇（街道））"),
    ("county", "post", "/micro/{p}/acceptance", "不能开始微实事验收"),
    ("inspector", "post", "/micro/{p}/archive", "不能归档项目"),
    ("county", "post", "/micro/sites/{s}/fund/members", "不能管理微服务资金"),
    ("inspector", "post", "/micro/{p}/plan-notice", "不能发布立项公示"),
]


def test_wrong_roles_answer_403_with_the_reason(app, client, db, world, as_user):
    as_user(world["village"])
    pid = apply(client, world)
    decide(client, pid, "village_decide")
    data = {**application(), "name": "张三", "kind": "party_member", "year": "2026"}
    signed_in = None
    for role, method, url, reason in sorted(WRONG_ROLES, key=lambda r: r[0]):
        if role != signed_in:
            as_user(world[role])
            signed_in = role
        stored = count(db, AuditLog)
        response = getattr(client, method)(url.format(p=pid, s=world["site"].id),
                                           data=data if method == "post" else None)
        assert response.status_code == 403 and reason in text(response), (role, url, response.status_code)
        assert count(db, AuditLog) == stored and count(db, MicroProject) == 1
    assert project(db, pid).status == "approved"


def test_a_village_cannot_apply_for_another_village(client, db, world, as_user):
    as_user(world["village"])
    r = client.post(f"/micro/sites/{world['other'].id}/projects", data=application())
    assert r.status_code == 404 and count(db, MicroProject) == 0


@pytest.mark.csrf
def test_forms_carry_the_csrf_token(app, client, db, world, login_as):
    login_as(world["village"])
    page = text(client.get(f"/micro/sites/{world['site'].id}/new"))
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    assert client.post(f"/micro/sites/{world['site'].id}/projects", data=application()).status_code == 400
    r = client.post(f"/micro/sites/{world['site'].id}/projects", data={**application(), "csrf_token": token})
    assert r.status_code == 303 and count(db, MicroProject) == 1


def test_demo_projects(app, db, specs):
    from inspector.runtime import get_calendar
    from inspector.services import micro
    demo.load(session=db, specs=specs)
    db.commit()
    with app.app_context():
        calendar = get_calendar()
    made = demo_micro.load(session=db, calendar=calendar, today=date(2026, 4, 1))
    db.commit()
    assert made == {"projects": 2, "members": 3}
    rows = db.exec(select(MicroProject).order_by(MicroProject.id)).all()
    # the demo village follows seed 000 (荷花街道 style): every project goes through the street's review
    assert [(p.program, p.route, p.status) for p in rows] == [("hehua-street-2023", "street", "approved"),
                                                              ("hehua-street-2023", "street", "applied")]
    assert demo_micro.load(session=db, calendar=calendar, today=date(2026, 4, 1)) == {"projects": 0, "members": 0}
    assert db.exec(select(User).where(User.username == "town101")).one()
    assert regions.by_code(session=db, code="320322101002").name == "张庄村"


def test_a_third_towns_scheme_is_a_new_file_and_runs_with_no_new_code(tmp_path, client, db, world, as_user):
    """A new program file in a folder: loaded, validated, bound and routed by the same code."""
    from inspector.core import programs as core_programs
    from inspector.services import programs as program_service
    from tests.core.test_programs import FOLDER, NEW_TOWN
    for f in FOLDER.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "xincheng-town.yaml").write_text(NEW_TOWN, encoding="utf-8")
    saved = dict(program_service.definitions())
    program_service.install(core_programs.load_dir(tmp_path))
    try:
        as_user(world["county"])
        assert client.post(f"/micro/sites/{world['site'].id}/program", data={"program": "xincheng-town"}).status_code == 303
        as_user(world["village"])
        pid = apply(client, world, budget="60,000", spending="器材 材料 60,000")
        assert (project(db, pid).program, project(db, pid).route) == ("xincheng-town", "big")
        assert "5万元以上：镇党委审核" in text(client.get(f"/micro/{pid}"))
        r = client.post(f"/micro/sites/{world['site'].id}/projects",
                        data=application(budget="80,000.01", spending="器材 材料 80,000.01"))
        assert r.status_code == 422 and "单个事项金额不超过8万元" in text(r)
    finally:
        program_service.install(saved)


def test_a_project_from_before_program_files_keeps_its_route(client, db, world, as_user):
    """Rows migrated by 0008 carry their program and band id, not a stored route: the band is read from the file."""
    as_user(world["village"])
    pid = apply(client, world, budget="24,000", spending="器材 材料 24,000")
    p = project(db, pid)
    p.details = {}  # as a project stored before program files
    db.add(p)
    db.commit()
    page = text(client.get(f"/micro/{pid}"))
    assert "1万—3万元：由村（社区）确定后报镇党委备案" in page
    assert 'data-step="village_decide"' in page and 'data-step="township_file"' in page
    assert decide(client, pid, "village_decide").status_code == 303


def test_each_scheme_is_accepted_on_its_own_checklist_and_no_other(db, world, specs):
    """000 荷花街道 → micro-project (附件1–4); 001 郑坊镇 → micro-project-zhengfang; another is refused."""
    street = micro_programs.get(STREET)
    town = micro_programs.get(TOWN)
    assert street.acceptance.checklist == "micro-project" and town.acceptance.checklist == "micro-project-zhengfang"
    sources = {i.source.split(" › ")[0][:3] for i in specs["micro-project"].items()}
    assert sources == {"000"}
    assert {i.source.split(" › ")[0][:3] for i in specs["micro-project-zhengfang"].items()} == {"001"}
    assert not any(i.source.startswith("003") for s in ("micro-project", "micro-project-zhengfang")
                   for i in specs[s].items())  # seed 003's service projects are service-project.yaml
    project = MicroProject(site_id=world["site"].id, program=TOWN, name="x", status="noticed")
    with pytest.raises(micro.MicroError, match="应使用其验收清单"):
        micro.start_acceptance(session=db, project=project, spec=specs["micro-project"], by=world["town"],
                               today=date(2026, 5, 11))


def test_the_areas_refusals_are_domain_errors_with_their_status():
    # one error contract (issue 18): web/errors.py answers each with its status and Chinese reason
    from inspector.core import micro as rules
    from inspector.core.errors import DomainError
    assert issubclass(micro.MicroError, DomainError) and micro.MicroError("x").status == 409
    invalid = micro.Invalid([rules.Problem("name", "请填写“项目名称”", rules.SRC_FORM)])
    assert isinstance(invalid, DomainError) and invalid.status == 422 and "请填写“项目名称”" in invalid.message
    with pytest.raises(DomainError) as caught:
        rules.parse_money("abc")
    assert caught.value.status == 422 and "格式不对" in caught.value.message


def test_completion_photos_keep_the_phones_position_and_are_stored_once_per_content(app, client, db, world,
                                                                                      as_user):
    pid = _to_started(client, db, world, as_user, STREET)
    app.config["TODAY"] = date(2026, 4, 30)
    same = samples.jpeg(color=(10, 200, 10))
    # a bad file refuses the whole completion: no row, no file
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION, "before": (io.BytesIO(same), "a.jpg"),
                                                    "after": (io.BytesIO(b"not a photo"), "b.jpg")})
    assert r.status_code == 422 and "b.jpg：不是可识别的图片" in text(r)
    assert count(db, Photo) == 0 and count(db, Notice) == 0 and media_files(app) == []
    # the same file chosen twice for one side is stored once; the position sent with the form is kept;
    # one photo shown as both before and after is flagged as reused
    r = client.post(f"/micro/{pid}/complete", data={
        **COMPLETION, "lat": "34.8701", "lon": "116.8601", "accuracy": "8",
        "before": [(io.BytesIO(same), "a.jpg"), (io.BytesIO(same), "a2.jpg"),
                   (io.BytesIO(samples.jpeg(color=(20, 20, 200))), "d.jpg")],
        "after": [(io.BytesIO(samples.jpeg(color=(200, 20, 20))), "c.jpg"), (io.BytesIO(same), "a3.jpg")]})
    assert r.status_code == 303, text(r)
    shots = db.exec(select(Photo).where(Photo.micro_project_id == pid).order_by(Photo.id)).all()
    assert [ph.item_id for ph in shots] == ["before", "before", "after", "after"]
    assert all((ph.device_lat, ph.device_lon, ph.device_accuracy_m) == (34.8701, 116.8601, 8.0) for ph in shots)
    assert all("no_position" not in [f["code"] for f in ph.flags] for ph in shots)
    reused = [ph.sha256 for ph in shots if "duplicate_photo" in [f["code"] for f in ph.flags]]
    assert len(reused) == 2 and len(set(reused)) == 1
    notice = db.get(Notice, project(db, pid).notice_id)
    assert [ph["display"] for ph in notice.content["photos"]] == [ph.display for ph in shots]
    # the inspection photos' media route does not serve a project's photo (it has no inspection): 404, no error
    assert client.get(f"/media/{shots[0].display}").status_code == 404
    # a malformed position is a bad request, not a stored guess
    r = client.post(f"/micro/{pid}/complete", data={**COMPLETION, "lat": "abc", "lon": "1", **_photos()})
    assert r.status_code == 400


def test_the_printed_notice_reads_the_projects_photo_rows(app, client, db, world, as_user):
    pid = _full_project(app, client, db, world, as_user)
    record = micro.project_record(session=db, project=project(db, pid), media_root=Path(app.config["MEDIA_DIR"]))
    assert [(ph["kind"], ph["caption"]) for ph in record["photos"]] == [("before", "实施前"), ("after", "完成后")]
    assert all((Path(app.config["MEDIA_DIR"]) / ph["print"]).is_file() for ph in record["photos"])
