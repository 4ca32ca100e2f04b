"""Red-landmark applications (002 篇五 4.2, 4.3, 7.x): village → township → county → city, with due dates.

Dates are checked by hand against the State Council's 2026 schedule: Mid-Autumn 09-25 (Fri) off,
Sunday 09-20 a make-up working day; National Day 10-01…10-07 off, Saturday 10-10 a make-up working day.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core.errors import DomainError
from inspector.models import AuditLog, Inspection, Notice, Objection, ProgramStep, RedLandmarkApplication
from inspector.demo import landmark as demo_landmark
from inspector.services import inspections, landmark, programs

from . import factories, samples

GOOD = {"leadership_ok": "1", "no_major_incident": "1", "operating_since": "2025-08-01",
        "town_rank": "1", "town_total": "5"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def files(*keys: str) -> dict:
    """Evidence files for 4.2 a–c and 5.13 (a photo for a and rank, a PDF for b and c)."""
    out = {}
    for key in keys:
        data, name = (PDF, f"{key}.pdf") if key in ("b", "c") else (samples.jpeg(color=(120, 60, 60)), f"{key}.jpg")
        out[f"evidence_{key}"] = (io.BytesIO(data), name)
    return out


ALL_FILES = ("a", "b", "c", "rank")


def answer_all(db, ins, spec, who, *, passing=True):
    """Answer every item of a red-landmark inspection so that it passes (or fails one item)."""
    site_type = "village"
    for item in spec.items():
        rule = item.rule_for(None, site_type)
        if item.kind == "rate":
            value = {"respondents": 20, "satisfied": 20} if rule.percent >= 100 else {"respondents": 50, "satisfied": 46}
        elif item.kind in ("count", "measure"):
            value = rule.threshold + 1
        else:
            value = {"check": "pass", "document": "present",
                     "choice": item.options[0].value if item.options else None}.get(item.kind)
        if not passing and item.id == "rl-4.2c-no-incident":
            value = "fail"  # a gate (4.2 c): the evaluation finds the center not eligible
        inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw=value, note=None, by=who)


@pytest.fixture
def world(app, db, specs):
    """A county: a village site with its red-landmark self-assessment and an approved passing build acceptance."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    other = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    people = {
        "village": factories.user(db, c["village_a"], username="zhangzhuang", role="village"),
        "township": factories.user(db, c["town_a"], username="longgu", role="township"),
        "county_reviewer": factories.user(db, c["county"], username="county", role="county_reviewer"),
        "city_reviewer": factories.user(db, c["city"], username="city", role="city_reviewer"),
        "inspector": factories.user(db, c["county"], username="inspector1", role="inspector"),
        "other_town": factories.user(db, c["town_b"], username="yangtun", role="township"),
        "other_village": factories.user(db, c["village_b"], username="wuzhuang", role="village"),
    }
    sa = inspections.start(session=db, site=site, spec=specs["red-landmark"], purpose="self_assessment", tier=None,
                           by=people["village"])
    sa.status = "submitted"
    proof = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="completion_acceptance",
                              tier="standard", by=people["inspector"])
    proof.status, proof.verdict, proof.score = "approved", "pass", 91.0
    db.commit()
    app.config["TODAY"] = date(2026, 9, 1)
    return {"site": site, "other": other, "sa": sa, "proof": proof, "regions": c, **people}


@pytest.fixture
def act(client, login_as):
    """Post (or get) as a user: signs the client out and in as that user first."""
    state = {"who": None}

    def _act(user, url, data=None, method="post"):
        if state["who"] is not user:
            client.post("/logout")
            login_as(user)
            state["who"] = user
        return getattr(client, method)(url, data=data) if method == "post" else client.get(url)
    return _act


def apply(app, act, w, evidence=ALL_FILES, **changes):
    data = {"site_id": w["site"].id, "self_assessment_id": w["sa"].id, **GOOD, **files(*evidence), **changes}
    return act(w["village"], "/landmark/", {k: v for k, v in data.items() if v is not None})


def recommend(act, w, *ids, ranks=None, recommended=None):
    """The county ranks the waiting applications (in the given order) and recommends them (7.2)."""
    data = {"year": "2026", "opinion": "材料属实，择优推荐。"}
    for n, i in enumerate(ids, start=1):
        data[f"rank_{i}"] = str((ranks or {}).get(i, n))
        if recommended is None or i in recommended:
            data[f"recommend_{i}"] = "1"
    return act(w["county_reviewer"], "/landmark/county", data)


def meeting(act, w, a, **over):
    """The city's department meeting approves (部务会审定) and the notice starts."""
    data = {"outcome": "approve", "meeting_date": "2026-09-25", "minutes": "市委组织部部务会纪要〔2026〕18号",
            "notice_start": "2026-09-28", "contact": "0516-12345678", **over}
    return act(w["city_reviewer"], f"/landmark/{a.id}/meeting", data)


def one(db, model):
    db.expire_all()
    return db.exec(select(model)).one()


def advance(app, db, act, w, specs, upto: str):
    """Take the application up to a step (each with the dates of the happy path)."""
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    steps = [
        ("township", date(2026, 9, 8), w["township"], f"/landmark/{a.id}/township",
         {"report": "班子健全，服务规范，推荐申报。"}),
        ("county", date(2026, 9, 14), w["county_reviewer"], "/landmark/county",
         {"year": "2026", f"rank_{a.id}": "1", f"recommend_{a.id}": "1", "opinion": "材料属实，同意推荐。"}),
        ("received", date(2026, 9, 15), w["city_reviewer"], f"/landmark/{a.id}/received", {"received_on": "2026-09-15"}),
    ]
    for name, today, who, path, data in steps:
        app.config["TODAY"] = today
        r = act(who, path, data)
        assert r.status_code == 303, r.get_data(as_text=True)
        if name == upto:
            return a
    r = act(w["city_reviewer"], f"/landmark/{a.id}/evaluation", {})
    assert r.status_code == 303 and "/inspections/" in r.headers["Location"]
    ev = db.get(Inspection, one(db, RedLandmarkApplication).evaluation_id)
    answer_all(db, ev, specs["red-landmark"], w["city_reviewer"], passing=upto != "failed")
    inspections.submit(session=db, inspection=ev, by=w["city_reviewer"])
    db.commit()
    if upto in ("evaluated", "failed"):
        return a
    app.config["TODAY"] = date(2026, 9, 25)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/result", {})
    assert r.status_code == 303, r.get_data(as_text=True)
    if upto == "meeting":
        return a
    app.config["TODAY"] = date(2026, 9, 28)
    r = meeting(act, w, a)
    assert r.status_code == 303, r.get_data(as_text=True)
    return a


# ---------------------------------------------------------------- the happy path, dates by hand

def test_happy_path_to_award_with_dates_from_the_2026_calendar(app, client, db, act, world, specs):
    w = world
    r = apply(app, act, w)
    assert r.status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.year, a.status, a.self_assessment_id, a.operating_since) == (2026, "applied", w["sa"].id, date(2025, 8, 1))
    assert a.build_evidence_id == w["proof"].id and a.applied_on == date(2026, 9, 1)
    step = programs.current(session=db, program="red_landmark", program_id=a.id)
    # 10 working days (county setting) after Tue 09-01: 09-02 … 09-04, 09-07 … 09-11, 09-14, 09-15
    assert (step.step, step.owner_role, step.due_date) == ("township_recommend", "township", date(2026, 9, 15))
    page = act(w["village"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "2026-09-15" in page and "剩 14 天" in page and "县级设定" in page

    app.config["TODAY"] = date(2026, 9, 8)
    assert act(w["township"], f"/landmark/{a.id}/township", {"report": "班子健全，推荐申报。"}).status_code == 303
    step = programs.current(session=db, program="red_landmark", program_id=a.id)
    # 10 working days after Tue 09-08: 09-09 … 09-11 (3), 09-14 … 09-18 (8), Sun 09-20 make-up (9), Mon 09-21 (10)
    assert (step.step, step.due_date) == ("county_recommend", date(2026, 9, 21))
    assert one(db, RedLandmarkApplication).township_recommended_on == date(2026, 9, 8)

    app.config["TODAY"] = date(2026, 9, 14)
    assert recommend(act, w, a.id).status_code == 303
    step = programs.current(session=db, program="red_landmark", program_id=a.id)
    assert (step.step, step.due_date) == ("city_receive", None)

    app.config["TODAY"] = date(2026, 9, 15)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/received", {"received_on": "2026-09-15"}).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.received_on, a.review_due, a.status) == (date(2026, 9, 15), date(2026, 10, 15), "under_review")  # + 30 days
    step = programs.current(session=db, program="red_landmark", program_id=a.id)
    assert (step.step, step.due_date) == ("city_review", date(2026, 10, 15))
    page = act(w["city_reviewer"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "2026-10-15" in page and "剩 30 天" in page and "开始评定检查" in page

    r = act(w["city_reviewer"], f"/landmark/{a.id}/evaluation", {})
    assert r.status_code == 303
    ev = db.get(Inspection, one(db, RedLandmarkApplication).evaluation_id)
    assert (ev.purpose, ev.site_id, ev.created_by_id) == ("red_landmark", w["site"].id, w["city_reviewer"].id)
    assert r.headers["Location"].endswith(f"/inspections/{ev.id}")
    assert act(w["city_reviewer"], f"/landmark/{a.id}/evaluation", {}).status_code == 409  # only one evaluation
    answer_all(db, ev, specs["red-landmark"], w["city_reviewer"])
    assert inspections.submit(session=db, inspection=ev, by=w["city_reviewer"]).verdict == "pass"
    db.commit()

    app.config["TODAY"] = date(2026, 9, 25)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/result", {}).status_code == 303
    assert db.exec(select(Notice)).all() == []  # 7.4: the department meeting decides before any notice
    app.config["TODAY"] = date(2026, 9, 28)
    r = meeting(act, w, a, contact="监督电话：0516-12345678")
    assert r.status_code == 303, r.get_data(as_text=True)
    notice = one(db, Notice)
    # 7 working days from Mon 09-28: 09-28, 09-29, 09-30, (10-01…10-07 off), 10-08, 10-09, Sat 10-10 (make-up), 10-12
    assert (notice.kind, notice.start_date, notice.end_date, notice.working_days) == (
        "red_landmark_result", date(2026, 9, 28), date(2026, 10, 12), 7)
    c = notice.content
    assert set(c) == {"site", "region", "sections", "body", "photos", "contact", "issuer"}
    assert (c["site"], c["region"], c["issuer"], c["photos"]) == ("张庄村党群服务中心", "龙固镇 张庄村", "中共徐州市委组织部", [])
    sections = {s["label"]: s["value"] for s in c["sections"]}
    assert [s["label"] for s in c["sections"]][:1] == ["站点"]
    assert sections["站点"] == "张庄村党群服务中心" and "合格" in sections["评定结果"]
    assert sections["评定得分"] == f"{ev.score:.1f} 分" and sections["评审单位"] == "中共徐州市委组织部"
    assert "2026-10-12" in sections["公示期"] and c["contact"] == "监督电话：0516-12345678"
    a = one(db, RedLandmarkApplication)
    assert (a.status, a.notice_id) == ("noticed", notice.id)
    step = programs.current(session=db, program="red_landmark", program_id=a.id)
    assert (step.step, step.due_date) == ("notice", date(2026, 10, 12))
    page = act(w["city_reviewer"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "2026-09-28" in page and "2026-10-12" in page and f"/notice/{notice.public_id}" in page

    app.config["TODAY"] = date(2026, 10, 9)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/objections",
               {"received_on": "2026-10-09", "text": "活动室平时不开放"}).status_code == 303
    app.config["TODAY"] = date(2026, 10, 12)  # the last day of the period: too early
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号", "award_date": "2026-10-12"})
    assert r.status_code == 409 and "2026-10-13 起方可命名" in r.get_data(as_text=True)
    app.config["TODAY"] = date(2026, 10, 13)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号", "award_date": "2026-10-13"})
    assert r.status_code == 409 and "1 条异议未处理" in r.get_data(as_text=True)
    objection = one(db, Objection)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/objections/{objection.id}/resolve",
               {"resolution": "经核实，活动室每日开放 8 小时，异议不成立"}).status_code == 303
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号", "award_date": "2026-10-13"})
    assert r.status_code == 303, r.get_data(as_text=True)
    a = one(db, RedLandmarkApplication)
    assert (a.status, a.award_number, a.award_date) == ("awarded", "徐组通〔2026〕25号", date(2026, 10, 13))
    assert programs.current(session=db, program="red_landmark", program_id=a.id) is None
    page = act(w["village"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "已命名" in page and "徐组通〔2026〕25号" in page and "经核实" in page
    steps = programs.history(session=db, program="red_landmark", program_id=a.id)
    assert [s.step for s in steps] == ["township_recommend", "county_recommend", "city_receive", "city_review",
                                       "meeting", "notice"]
    assert all(s.done_by_id for s in steps)
    actions = {r.action for r in db.exec(select(AuditLog).where(AuditLog.entity == "red_landmark"))}
    assert {"apply", "township_recommend", "county_recommend", "receive", "start_evaluation", "result",
            "meeting", "award"} <= actions


def test_revoke_an_awarded_title_with_reason_and_date(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "noticed")
    app.config["TODAY"] = date(2026, 10, 13)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/revoke", {"reason": "x"}).status_code == 409  # not awarded yet
    assert act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号"}).status_code == 303
    app.config["TODAY"] = date(2026, 12, 1)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/revoke", {"reason": "", "revoked_on": "2026-12-01"})
    assert r.status_code == 422 and "请填写取消命名的理由" in r.get_data(as_text=True)
    assert act(w["township"], f"/landmark/{a.id}/revoke", {"reason": "群众举报"}).status_code == 403
    r = act(w["city_reviewer"], f"/landmark/{a.id}/revoke", {"reason": "被群众举报，工作明显滑坡", "revoked_on": "2026-12-01"})
    assert r.status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.status, a.revoked_on, a.decision_reason) == ("revoked", date(2026, 12, 1), "被群众举报，工作明显滑坡")
    page = act(w["city_reviewer"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "已取消命名" in page and "2026-12-01" in page and "4.3" in page
    assert act(w["city_reviewer"], f"/landmark/{a.id}/revoke", {"reason": "again"}).status_code == 409


def test_failed_evaluation_is_not_noticed_and_can_only_be_refused(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "failed")
    app.config["TODAY"] = date(2026, 9, 28)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/result", {}).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert a.status == "failed" and a.notice_id is None and db.exec(select(Notice)).all() == []
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号"})
    assert r.status_code == 409 and "评审未通过" in r.get_data(as_text=True)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/refuse", {"reason": "现场核查发现安全事故隐患（4.2 c）"}).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.status, a.decision_reason) == ("refused", "现场核查发现安全事故隐患（4.2 c）")
    assert (a.result, a.result_verdict, a.refused_on) == ("fail", "ineligible", date(2026, 9, 28))


# ---------------------------------------------------------------- 4.2 conditions

@pytest.mark.parametrize("change, clause", [
    ({"leadership_ok": None}, "4.2 a)"),
    ({"no_major_incident": None}, "4.2 c)"),
    ({"operating_since": "2025-09-02"}, "4.2 b)"),   # one day short of a year on 2026-09-01
    ({"operating_since": ""}, "4.2 b)"),
])
def test_each_failed_condition_is_refused_naming_the_clause(app, db, act, world, change, clause):
    r = apply(app, act, world, **change)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and clause in text and "002 篇五" in text
    assert db.exec(select(RedLandmarkApplication)).all() == [] and db.exec(select(ProgramStep)).all() == []


def test_exactly_one_year_of_operation_is_enough(app, db, act, world):
    assert apply(app, act, world, operating_since="2025-09-01").status_code == 303


def test_build_standard_is_checked_against_the_evidence_not_a_checkbox(app, db, act, world, specs):
    w = world
    w["proof"].verdict = "fail"
    db.add(w["proof"])
    db.commit()
    r = apply(app, act, w, build_standard_met="1")
    assert r.status_code == 422 and "4.2 b)" in r.get_data(as_text=True) and "不合格" in r.get_data(as_text=True)
    # a later approved acceptance that passes is the evidence now
    newer = inspections.start(session=db, site=w["site"], spec=specs["build-standard"], purpose="inspection",
                              tier="standard", by=w["inspector"])
    newer.status, newer.verdict = "accepted", "pass"
    db.commit()
    assert apply(app, act, w).status_code == 303
    assert one(db, RedLandmarkApplication).build_evidence_id == newer.id


def test_no_reviewed_build_inspection_means_no_evidence(app, db, act, world):
    w = world
    w["proof"].status = "submitted"  # submitted but not yet approved or accepted
    db.add(w["proof"])
    db.commit()
    r = apply(app, act, w)
    assert r.status_code == 422 and "没有已审核或已验收的建设标准检查" in r.get_data(as_text=True)


def test_29_february_completes_its_year_on_1_march():
    assert landmark.eligible_from(date(2024, 2, 29)) == date(2025, 3, 1)
    assert landmark.eligible_from(date(2027, 2, 28)) == date(2028, 2, 28)
    assert landmark.eligible_from(date(2025, 3, 1)) == date(2026, 3, 1)


@pytest.mark.parametrize("today, status", [(date(2025, 2, 28), 422), (date(2025, 3, 1), 303)])
def test_a_plaque_hung_on_29_february(app, db, act, world, today, status):
    app.config["TODAY"] = today
    r = apply(app, act, world, operating_since="2024-02-29")
    assert r.status_code == status, r.get_data(as_text=True)


def test_self_assessment_must_be_submitted_and_on_the_red_landmark_checklist(app, db, act, world, specs):
    w = world
    w["sa"].status = "draft"
    db.add(w["sa"])
    db.commit()
    r = apply(app, act, w)
    assert r.status_code == 422 and "提交后才能申报" in r.get_data(as_text=True)
    wrong = inspections.start(session=db, site=w["site"], spec=specs["build-standard"], purpose="self_assessment",
                              tier="standard", by=w["village"])
    wrong.status = "submitted"
    db.commit()
    r = apply(app, act, w, self_assessment_id=wrong.id)
    assert r.status_code == 422 and "红色地标" in r.get_data(as_text=True)
    assert db.exec(select(RedLandmarkApplication)).all() == []


def test_one_application_per_site_and_year(app, db, act, world):
    assert apply(app, act, world).status_code == 303
    app.config["TODAY"] = date(2026, 11, 2)
    r = apply(app, act, world)
    assert r.status_code == 409 and "2026 年已申报" in r.get_data(as_text=True) and "7.1" in r.get_data(as_text=True)
    assert len(db.exec(select(RedLandmarkApplication)).all()) == 1


def test_a_due_date_in_a_year_without_its_schedule_is_provisional_or_refused_when_strict(app, db, act, world):
    app.config["TODAY"] = date(2026, 12, 28)  # 10 working days later is in 2027, whose schedule is not entered
    app.config["WORKDAYS_STRICT"] = True
    r = apply(app, act, world)
    assert r.status_code == 422 and "2027 年的节假日安排尚未录入" in r.get_data(as_text=True)
    assert db.exec(select(RedLandmarkApplication)).all() == []
    app.config["WORKDAYS_STRICT"] = False  # the default: counted by the statutory holidays, marked 暂定
    assert apply(app, act, world).status_code == 303
    step = db.exec(select(ProgramStep)).one()
    # Dec 29–31 (3), 元旦 Fri 01-01 off, Jan 4–8 (8), Jan 11, 12 (10)
    assert (step.due_date, step.due_provisional) == (date(2027, 1, 12), True)
    page = act(world["village"], f"/landmark/{step.program_id}", method="get").get_data(as_text=True)
    assert "data-provisional>暂定<" in page and "2027 年的国务院节假日安排尚未录入" in page


def test_the_step_deadline_is_a_setting(app, db, act, world):
    app.config["LANDMARK_STEP_WORKING_DAYS"] = 3
    assert apply(app, act, world).status_code == 303
    step = db.exec(select(ProgramStep)).one()
    assert step.due_date == date(2026, 9, 4)  # Tue 09-01 + 3 working days
    page = act(world["village"], f"/landmark/{step.program_id}", method="get").get_data(as_text=True)
    assert "3 个工作日：县级设定，源文件未规定期限" in page


# ---------------------------------------------------------------- roles, order, period

@pytest.mark.parametrize("who, path, data, allowed", [
    ("township", "/landmark/", None, "村（社区）"),
    ("village", "township", {"report": "推荐"}, "乡镇（街道）"),
    ("county_reviewer", "township", {"report": "推荐"}, "乡镇（街道）"),
    ("township", "/landmark/county", {"opinion": "同意"}, "县委组织部"),
    ("county_reviewer", "received", {"received_on": "2026-09-01"}, "市级评审"),
    ("township", "evaluation", {}, "市级评审、检查员"),
    ("inspector", "result", {}, "市级评审"),
    ("county_reviewer", "award", {"number": "x"}, "市级评审"),
    ("village", "refuse", {"reason": "x"}, "市级评审"),
])
def test_wrong_role_is_refused_with_403_naming_who_may(app, db, act, world, who, path, data, allowed):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    if path == "/landmark/":
        r = act(w[who], path, {"site_id": w["site"].id, "self_assessment_id": w["sa"].id, **GOOD, **files(*ALL_FILES)})
    elif path.startswith("/"):
        r = act(w[who], path, data)
    else:
        r = act(w[who], f"/landmark/{a.id}/{path}", data)
    text = r.get_data(as_text=True)
    assert r.status_code == 403 and allowed in text, text
    assert db.exec(select(RedLandmarkApplication)).one().status == "applied"
    assert len(db.exec(select(ProgramStep)).all()) == 1


def test_only_a_village_gets_the_form(app, act, world):
    assert act(world["city_reviewer"], "/landmark/new", method="get").status_code == 403
    page = act(world["village"], "/landmark/new", method="get").get_data(as_text=True)
    assert "4.2" in page and f"第 {world['proof'].id} 号竣工验收" in page and f"第 {world['sa'].id} 号自评" in page


@pytest.mark.parametrize("who, path, data, current", [
    ("city_reviewer", "received", {"received_on": "2026-09-01"}, "当前环节：乡镇（街道）党（工）委推荐"),
    ("county_reviewer", "/landmark/county", {"opinion": "同意"}, "2026 年没有待县级推荐的申报"),
    ("city_reviewer", "award", {"number": "x"}, "当前环节：乡镇（街道）党（工）委推荐"),
    ("city_reviewer", "evaluation", {}, "当前环节：乡镇（街道）党（工）委推荐"),
    ("city_reviewer", "objections", {"received_on": "2026-09-01", "text": "x"}, "当前环节"),
])
def test_wrong_order_is_refused_with_the_current_step(app, db, act, world, who, path, data, current):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    r = act(w[who], path if path.startswith("/") else f"/landmark/{a.id}/{path}", data)
    assert r.status_code == 409 and current in r.get_data(as_text=True)
    assert one(db, RedLandmarkApplication).status == "applied"


def test_result_needs_a_submitted_evaluation(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "received")
    r = act(w["city_reviewer"], f"/landmark/{a.id}/result", {})
    assert r.status_code == 409 and "请先开始评定检查" in r.get_data(as_text=True)
    assert act(w["inspector"], f"/landmark/{a.id}/evaluation", {}).status_code == 303  # an inspector may start it
    r = act(w["city_reviewer"], f"/landmark/{a.id}/result", {})
    assert r.status_code == 409 and "提交后才能记录评审结果" in r.get_data(as_text=True)


def test_township_report_is_required(app, db, act, world):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    r = act(w["township"], f"/landmark/{a.id}/township", {"report": "   "})
    assert r.status_code == 422 and "请填写申请报告" in r.get_data(as_text=True)


@pytest.mark.parametrize("day", ["2026-09-25", "2026-10-13"])
def test_objection_outside_the_period_is_refused(app, db, act, world, specs, day):
    w = world
    a = advance(app, db, act, w, specs, "noticed")
    app.config["TODAY"] = date(2026, 10, 13)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/objections", {"received_on": day, "text": "有异议"})
    assert r.status_code == 422 and "2026-09-28 至 2026-10-12" in r.get_data(as_text=True)
    assert db.exec(select(Objection)).all() == []


def test_award_before_the_notice_ends_is_refused(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "noticed")
    app.config["TODAY"] = date(2026, 10, 9)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号", "award_date": "2026-10-09"})
    assert r.status_code == 409 and "公示期至 2026-10-12 止" in r.get_data(as_text=True)
    app.config["TODAY"] = date(2026, 10, 13)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "", "award_date": "2026-10-13"})
    assert r.status_code == 422 and "文号" in r.get_data(as_text=True)
    assert one(db, RedLandmarkApplication).status == "noticed"


def test_refusals_are_domain_errors_with_their_status():
    assert issubclass(landmark.LandmarkError, DomainError) and landmark.LandmarkError.status == 422
    assert issubclass(landmark.StepOrder, landmark.LandmarkError) and landmark.StepOrder.status == 409
    assert issubclass(landmark.UnknownObjection, DomainError) and landmark.UnknownObjection.status == 404


def test_an_objection_of_another_notice_is_not_found_and_nothing_changes(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "noticed")
    app.config["TODAY"] = date(2026, 10, 9)
    r = act(w["city_reviewer"], f"/landmark/{a.id}/objections/999/resolve", {"resolution": "异议不成立"})
    assert r.status_code == 404 and "没有这条异议" in r.get_data(as_text=True)
    assert one(db, RedLandmarkApplication).status == "noticed"


# ---------------------------------------------------------------- due lists, scoping, escaping

def test_overdue_list_puts_overdue_steps_first(app, db, act, world, specs):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    micro = programs.open_step(session=db, program="micro_project", program_id=77, step="township_review",
                               owner_role="township", region_id=w["site"].region_id, due_date=date(2026, 9, 30))
    other = programs.open_step(session=db, program="micro_project", program_id=78, step="township_review",
                               owner_role="township", region_id=w["other"].region_id, due_date=date(2026, 9, 10))
    db.commit()
    app.config["TODAY"] = date(2026, 9, 18)  # township step was due 09-15
    page = act(w["county_reviewer"], "/landmark/due", method="get").get_data(as_text=True)
    assert "已逾期 3 天" in page and "剩 12 天" in page and "已逾期 8 天" in page
    assert page.index("已逾期 8 天") < page.index("已逾期 3 天") < page.index("剩 12 天")
    assert f'href="/landmark/{a.id}"' in page and ('href="/micro/77"' in page)
    town_page = act(w["township"], "/landmark/due", method="get").get_data(as_text=True)
    assert "已逾期 3 天" in town_page and "/micro/77" in town_page and "/micro/78" not in town_page
    assert act(w["village"], "/landmark/due", method="get").status_code == 403
    assert act(w["inspector"], "/landmark/due", method="get").status_code == 403
    del micro, other


def test_another_township_gets_404_and_does_not_see_it_listed(app, db, act, world):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert act(w["other_town"], f"/landmark/{a.id}", method="get").status_code == 404
    assert act(w["other_town"], f"/landmark/{a.id}/township", {"report": "推荐"}).status_code == 404
    assert "张庄村" not in act(w["other_town"], "/landmark/", method="get").get_data(as_text=True)
    assert act(w["other_village"], f"/landmark/{a.id}", method="get").status_code == 404
    r = act(w["other_village"], "/landmark/", {"site_id": w["site"].id, "self_assessment_id": w["sa"].id, **GOOD,
                                               **files(*ALL_FILES)})
    assert r.status_code == 404  # another village's site
    assert one(db, RedLandmarkApplication).status == "applied"
    listed = act(w["township"], "/landmark/?year=2026&status=applied", method="get").get_data(as_text=True)
    assert "张庄村党群服务中心 · 2026 年" in listed
    assert "张庄村党群服务中心 · 2026 年" not in act(w["township"], "/landmark/?status=awarded",
                                                     method="get").get_data(as_text=True)
    partial = act(w["city_reviewer"], "/landmark/?year=2026", method="get")
    assert "张庄村党群服务中心 · 2026 年" in partial.get_data(as_text=True)


def test_list_filter_answers_htmx_with_the_list_only(app, client, db, act, world):
    assert apply(app, act, world).status_code == 303
    r = client.get("/landmark/?year=2026", headers={"HX-Request": "true"})
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and text.lstrip().startswith('<section id="landmark-list"') and "<html" not in text


def test_township_report_is_escaped(app, db, act, world):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    app.config["TODAY"] = date(2026, 9, 8)
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert act(w["township"], f"/landmark/{a.id}/township", {"report": attack}).status_code == 303
    page = act(w["county_reviewer"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page and "<img src=x" not in page


@pytest.mark.csrf
def test_forms_carry_the_csrf_token(app, client, db, login_as, world):
    login_as(world["village"])
    page = client.get("/landmark/new").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    r = client.post("/landmark/", data={"site_id": world["site"].id, "self_assessment_id": world["sa"].id, **GOOD,
                                        **files(*ALL_FILES)})
    assert r.status_code == 400 and db.exec(select(RedLandmarkApplication)).all() == []


def test_demo_adds_applications_to_the_demo_county(app, db, specs, tmp_path):
    from inspector.core import workdays
    from inspector import demo
    demo.load(session=db, specs=specs)
    made = demo_landmark.load(session=db, specs=specs, calendar=workdays.load(), today=date(2026, 9, 30), media_root=tmp_path)
    db.commit()
    rows = db.exec(select(RedLandmarkApplication).order_by(RedLandmarkApplication.id)).all()
    assert made == 2 and [r.status for r in rows] == ["under_review", "applied"]
    assert rows[0].review_due == date(2026, 10, 10)  # received 09-10 + 30 days
    assert rows[0].details["evidence"]["a"][0]["kind"] == "photo" and rows[0].county_recommended
    assert demo_landmark.load(session=db, specs=specs, calendar=workdays.load(), today=date(2026, 9, 30),
                         media_root=tmp_path) == 0


# ---------------------------------------------------------------- 4.2 evidence, 5.13 ranking, 7.2, 7.4

@pytest.mark.parametrize("missing", ["a", "b", "c"])
def test_4_2_without_evidence_is_refused_though_ticked(app, db, act, world, missing):
    r = apply(app, act, world, evidence=[k for k in ALL_FILES if k != missing])
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and f"4.2 {missing}) 须附证明材料" in text and "勾选声明不能代替证明" in text
    assert db.exec(select(RedLandmarkApplication)).all() == [] and db.exec(select(ProgramStep)).all() == []
    root = Path(app.config["MEDIA_DIR"])
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_evidence_photos_and_pdfs_are_stored_and_shown(app, db, act, world):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    ev = a.details["evidence"]
    assert [f["kind"] for f in ev["a"]] == ["photo"] and [f["kind"] for f in ev["b"]] == ["document"]
    root = Path(app.config["MEDIA_DIR"])
    assert (root / ev["b"][0]["path"]).read_bytes() == PDF and (root / ev["a"][0]["display"]).is_file()
    page = act(w["township"], f"/landmark/{a.id}", method="get").get_data(as_text=True)
    assert 'data-evidence="a"' in page and "b.pdf" in page and "第 1 名 / 共 5 个" in page
    with act(w["township"], f"/landmark/{a.id}/evidence/b/0", method="get") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data == PDF
    with act(w["township"], f"/landmark/{a.id}/evidence/a/0", method="get") as photo:
        assert photo.mimetype == "image/jpeg"
    assert act(w["township"], f"/landmark/{a.id}/evidence/a/1", method="get").status_code == 404
    assert act(w["other_town"], f"/landmark/{a.id}/evidence/b/0", method="get").status_code == 404


def test_a_file_that_is_neither_photo_nor_pdf_is_refused_and_nothing_is_kept(app, db, act, world):
    r = apply(app, act, world, evidence_c=(io.BytesIO(b"plain text, not a document"), "c.txt"))
    assert r.status_code == 422 and "c.txt 不是照片或 PDF 文件" in r.get_data(as_text=True)
    assert db.exec(select(RedLandmarkApplication)).all() == []
    root = Path(app.config["MEDIA_DIR"])
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_5_13_entered_needs_rank_and_evidence_when_the_town_results_are_missing(app, db, act, world):
    r = apply(app, act, world, evidence=("a", "b", "c"))
    assert r.status_code == 422 and "5.13 填写的名次须附证明材料" in r.get_data(as_text=True)
    r = apply(app, act, world, town_rank="")
    assert r.status_code == 422 and "请填写本村（社区）在镇（街道）的名次" in r.get_data(as_text=True)
    r = apply(app, act, world, town_rank="6", town_total="5")
    assert r.status_code == 422


def _town_of_four(db, world, specs, scores):
    """Every site of 龙固镇 with a scored red-landmark self-assessment (the app has the town's results)."""
    c = world["regions"]
    ours = world["sa"]
    ours.score = scores[0]
    db.add(ours)
    for n, score in enumerate(scores[1:], start=2):
        village = factories.site(db, factories.regions.add_region(
            session=db, name=f"龙固{n}村", level="village", code=f"T10100{n}", parent=c["town_a"]), name=f"龙固{n}村党群服务中心")
        sa = inspections.start(session=db, site=village, spec=specs["red-landmark"], purpose="self_assessment",
                               tier=None, by=world["village"])
        sa.status, sa.score = "submitted", score
    db.commit()


def test_5_13_is_computed_from_the_towns_results_and_binds_the_title(app, db, act, world, specs):
    w = world
    _town_of_four(db, w, specs, [80.0, 95.0, 90.0, 70.0])  # ours ranks 3 of 4: 75 %, not the top 30 %
    page = act(w["village"], "/landmark/new", method="get").get_data(as_text=True)
    assert "第 3 名 / 共 4 个" in page and "未进入前 30%" in page
    assert apply(app, act, w, evidence=("a", "b", "c"), town_rank="", town_total="").status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.town_rank, a.town_total, a.town_rank_computed, a.town_rank_holds) == (3, 4, True, False)
    assert landmark.town_rank_basis(a) == "全镇（街道）各村（社区）最近一次“红色地标”自评得分"
    assert a.details["town_scores"] == [95.0, 90.0, 80.0, 70.0] and "town_rank" not in a.details
    app.config["TODAY"] = date(2026, 9, 8)
    assert act(w["township"], f"/landmark/{a.id}/township", {"report": "推荐"}).status_code == 303
    app.config["TODAY"] = date(2026, 9, 14)
    assert recommend(act, w, a.id).status_code == 303
    app.config["TODAY"] = date(2026, 9, 15)
    assert act(w["city_reviewer"], f"/landmark/{a.id}/received", {"received_on": "2026-09-15"}).status_code == 303
    assert act(w["city_reviewer"], f"/landmark/{a.id}/evaluation", {}).status_code == 303
    ev = db.get(Inspection, one(db, RedLandmarkApplication).evaluation_id)
    answer_all(db, ev, specs["red-landmark"], w["city_reviewer"])
    assert inspections.submit(session=db, inspection=ev, by=w["city_reviewer"]).verdict == "pass"
    db.commit()
    assert act(w["city_reviewer"], f"/landmark/{a.id}/result", {}).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert a.status == "failed" and "不符合 5.13" in a.details["result_reasons"][0]
    assert "全镇（街道）4 个村（社区）中列第 3 名" in a.details["result_reasons"][0]


def test_5_13_top_of_the_town_is_computed_and_needs_no_entry(app, db, act, world, specs):
    _town_of_four(db, world, specs, [96.0, 95.0, 90.0, 70.0])  # rank 1 of 4: 25 %
    assert apply(app, act, world, evidence=("a", "b", "c"), town_rank="", town_total="").status_code == 303
    assert one(db, RedLandmarkApplication).town_rank_holds is True


def _second_application(app, db, act, w, specs):
    """吴庄社区 applies too, and its township recommends it."""
    sa = inspections.start(session=db, site=w["other"], spec=specs["red-landmark"], purpose="self_assessment",
                           tier=None, by=w["other_village"])
    sa.status = "submitted"
    proof = inspections.start(session=db, site=w["other"], spec=specs["build-standard"],
                              purpose="completion_acceptance", tier="standard", by=w["inspector"])
    proof.status, proof.verdict = "approved", "pass"
    db.commit()
    data = {"site_id": w["other"].id, "self_assessment_id": sa.id, **GOOD, **files(*ALL_FILES)}
    assert act(w["other_village"], "/landmark/", data).status_code == 303
    b = db.exec(select(RedLandmarkApplication).where(RedLandmarkApplication.site_id == w["other"].id)).one()
    assert act(w["other_town"], f"/landmark/{b.id}/township", {"report": "推荐"}).status_code == 303
    return b


def test_7_2_the_county_ranks_and_only_recommended_applications_go_forward(app, db, act, world, specs):
    w = world
    assert apply(app, act, w).status_code == 303
    a = one(db, RedLandmarkApplication)
    assert act(w["township"], f"/landmark/{a.id}/township", {"report": "推荐"}).status_code == 303
    b = _second_application(app, db, act, w, specs)
    page = act(w["county_reviewer"], "/landmark/county", method="get").get_data(as_text=True)
    assert f'data-application="{a.id}"' in page and f'data-application="{b.id}"' in page and "择优推荐" in page
    # every waiting application is ranked, each rank once
    r = act(w["county_reviewer"], "/landmark/county", {"year": "2026", f"rank_{a.id}": "1", f"rank_{b.id}": "1",
                                                       f"recommend_{a.id}": "1", "opinion": "择优"})
    assert r.status_code == 422 and "名次应为 1 至 2" in r.get_data(as_text=True)
    # the recommended ones are the best-ranked
    r = recommend(act, w, a.id, b.id, recommended={b.id})
    assert r.status_code == 422 and "推荐的申报应是排名靠前的" in r.get_data(as_text=True)
    db.expire_all()
    assert {x.status for x in db.exec(select(RedLandmarkApplication))} == {"township_recommended"}
    r = recommend(act, w, b.id, a.id, recommended={b.id})  # 吴庄 first and recommended, 张庄 second, not
    assert r.status_code == 303
    db.expire_all()
    a, b = db.get(RedLandmarkApplication, a.id), db.get(RedLandmarkApplication, b.id)
    assert (b.status, b.county_rank, b.county_recommended) == ("county_recommended", 1, True)
    assert (a.status, a.county_rank, a.county_rank_of, a.county_recommended) == ("not_recommended", 2, 2, False)
    assert a.county_recommended_on == date(2026, 9, 1) and a.details["county_batch"] == [b.id, a.id]
    assert programs.current(session=db, program="red_landmark", program_id=a.id) is None
    assert programs.current(session=db, program="red_landmark", program_id=b.id).step == "city_receive"
    r = act(w["city_reviewer"], f"/landmark/{a.id}/received", {"received_on": "2026-09-01"})
    assert r.status_code == 409 and "县级未推荐" in r.get_data(as_text=True)
    assert "全县第 2 名 / 共 2 份 · 未推荐" in act(w["village"], f"/landmark/{a.id}", method="get").get_data(as_text=True)


def test_7_4_the_department_meeting_decides_before_the_notice(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "meeting")
    a = one(db, RedLandmarkApplication)
    assert a.status == "meeting" and db.exec(select(Notice)).all() == []
    assert programs.current(session=db, program="red_landmark", program_id=a.id).step == "meeting"
    r = act(w["city_reviewer"], f"/landmark/{a.id}/award", {"number": "徐组通〔2026〕25号"})
    assert r.status_code == 409 and "报部务会审定" in r.get_data(as_text=True)
    app.config["TODAY"] = date(2026, 9, 28)
    r = meeting(act, w, a, meeting_date="")
    assert r.status_code == 422 and "请填写部务会审定日期" in r.get_data(as_text=True)
    r = meeting(act, w, a, minutes="")
    assert r.status_code == 422 and "请填写部务会纪要号" in r.get_data(as_text=True)
    r = meeting(act, w, a, notice_start="2026-09-24")
    assert r.status_code == 422 and "早于部务会审定日期 2026-09-25" in r.get_data(as_text=True)
    assert db.exec(select(Notice)).all() == []
    assert meeting(act, w, a).status_code == 303
    notice = one(db, Notice)
    sections = {s["label"]: s["value"] for s in notice.content["sections"]}
    assert sections["部务会审定"] == "2026-09-25（市委组织部部务会纪要〔2026〕18号）"
    assert (notice.start_date, notice.end_date) == (date(2026, 9, 28), date(2026, 10, 12))
    a = one(db, RedLandmarkApplication)
    assert (a.meeting_on, a.meeting_minutes, a.meeting_approved) == (
        date(2026, 9, 25), "市委组织部部务会纪要〔2026〕18号", True)
    assert "meeting" not in (a.details or {})
    assert a.status == "noticed"


def test_7_4_a_meeting_that_does_not_approve_refuses_the_title(app, db, act, world, specs):
    w = world
    a = advance(app, db, act, w, specs, "meeting")
    r = meeting(act, w, a, outcome="reject", reason="")
    assert r.status_code == 422 and "请填写部务会未通过的理由" in r.get_data(as_text=True)
    assert meeting(act, w, a, outcome="reject", reason="抽查发现服务事项未公示").status_code == 303
    a = one(db, RedLandmarkApplication)
    assert (a.status, a.decision_reason) == ("refused", "抽查发现服务事项未公示") and db.exec(select(Notice)).all() == []
    assert (a.meeting_on, a.meeting_approved, a.result, a.result_on) == (date(2026, 9, 25), False, "pass", date(2026, 9, 25))


def test_the_landmark_modules_know_nothing_of_micro_projects():
    """The due list of both programs is services/due.py; no landmark module imports or names micro."""
    import ast
    for path in sorted(Path(landmark.__file__).parent.glob("landmark*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not any("micro" in x.lower() for x in imported | names), path.name
