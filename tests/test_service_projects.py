"""Party–mass service projects (seed 003) on the web, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlmodel import select

from inspector.models import Inspection, Notice, ProjectRota, ServiceProject, ServiceProjectActivity
from inspector.services import inspections

from . import samples
from .test_ledger import as_user, pdf_text, world  # noqa: F401 - shared fixtures


def create(client, world, **over) -> ServiceProject:
    form = {"name": "邻里助餐帮帮团", "level": "community", "site_id": str(world["site"].id),
            "survey_ways": ["网格员入户走访", "召开党员居民会议"], "survey_summary": "独居老人就餐难",
            "fixed_place": "0"}
    form.update(over)
    r = client.post("/projects/new", data=form)
    assert r.status_code == 303, r.get_data(as_text=True)
    return project_of(client, int(r.headers["Location"].rstrip("/").split("/")[-1]))


def project_of(client, project_id: int) -> ServiceProject:
    from inspector import db as dbmod
    with dbmod.session(client.application.extensions["engine"]) as s:
        return s.get(ServiceProject, project_id)


def to_running(client, world, as_user, app, **over) -> ServiceProject:
    """Survey → design → township review → a 5-working-day notice; today moves past the notice."""
    as_user(world["worker"])
    p = create(client, world, **over)
    assert client.post(f"/projects/{p.id}/design", data={"design": "每周三为独居老人送餐", "fixed_place": "0"}).status_code == 303
    as_user(world["town_b"])
    assert client.post(f"/projects/{p.id}/review", data={"outcome": "approve", "opinion": "需求明确，可行",
                                                         "partner": "沛县阳光社工服务中心"}).status_code == 303
    as_user(world["worker"])
    r = client.post(f"/projects/{p.id}/notice", data={"start": "2026-07-15", "working_days": "5"})
    assert r.status_code == 303, r.get_data(as_text=True)
    app.config["TODAY"] = date(2026, 11, 20)
    return project_of(client, p.id)


def activity(client, p, on: str, **over):
    form = {"on": on, "place": "吴庄社区食堂", "participants": "12", "note": "助餐"}
    form.update(over)
    return client.post(f"/projects/{p.id}/activities", data=form, content_type="multipart/form-data")


def test_plan_notice_is_at_least_five_working_days_through_the_notices(client, world, as_user, app, db):
    """三（二）：公示时间不少于5个工作日; posted 2026-07-15 (Wed) for 5 working days ends Tue 07-21."""
    as_user(world["worker"])
    p = create(client, world)
    client.post(f"/projects/{p.id}/design", data={"design": "每周送餐"})
    as_user(world["worker"])
    assert client.post(f"/projects/{p.id}/review", data={"outcome": "approve"}).status_code == 403
    as_user(world["town_b"])
    r = client.post(f"/projects/{p.id}/review", data={"outcome": "approve", "opinion": "", "partner": ""})
    assert r.status_code == 422 and "专业型社会组织" in r.get_data(as_text=True)
    client.post(f"/projects/{p.id}/review", data={"outcome": "approve", "opinion": "可行", "partner": "阳光社工"})
    as_user(world["worker"])
    r = client.post(f"/projects/{p.id}/notice", data={"start": "2026-07-15", "working_days": "4"})
    assert r.status_code == 422 and "公示时间不少于5个工作日" in r.get_data(as_text=True)
    assert client.post(f"/projects/{p.id}/notice", data={"start": "2026-07-15", "working_days": "5"}).status_code == 303
    notice = db.exec(select(Notice)).one()
    assert notice.kind == "service_plan" and notice.end_date == date(2026, 7, 21) and notice.working_days == 5
    assert client.get(f"/notice/{notice.public_id}").status_code == 200
    r = activity(client, p, "2026-07-15")
    assert r.status_code == 422 and "公示期满后才能实施" in r.get_data(as_text=True)


def test_three_activities_cannot_be_put_up_and_four_can(client, world, as_user, app, db):
    """三（三）：无固定场所的服务活动达到4次以上, checked before 申报评选."""
    p = to_running(client, world, as_user, app)
    for on in ("2026-08-01", "2026-09-01", "2026-10-01"):
        assert activity(client, p, on).status_code == 303
    assert client.post(f"/projects/{p.id}/summary", data={"results": "惠及独居老人 20 名"}).status_code == 303
    r = client.post(f"/projects/{p.id}/apply")
    assert r.status_code == 409 and "还差 1 次" in r.get_data(as_text=True)
    assert project_of(client, p.id).status == "summarized"
    r = client.post(f"/projects/{p.id}/activities", content_type="multipart/form-data",
                    data={"on": "2026-11-01", "place": "小区广场", "participants": "30",
                          "photos": [(io.BytesIO(samples.jpeg()), "a.jpg"), (io.BytesIO(samples.jpeg(320, 240)), "b.jpg")]})
    assert r.status_code == 303
    row = db.exec(select(ServiceProjectActivity).where(ServiceProjectActivity.on == date(2026, 11, 1))).one()
    assert len(row.photos) == 2
    served = client.get(f"/projects/activities/{row.id}/photos/1/thumb")
    assert served.status_code == 200
    served.close()
    assert client.post(f"/projects/{p.id}/summary", data={"results": "惠及独居老人 20 名"}).status_code == 303
    assert client.post(f"/projects/{p.id}/apply").status_code == 303
    assert project_of(client, p.id).status == "applied"


def test_evaluation_site_visit_votes_questionnaire_library_and_rota(client, world, as_user, app, db, tmp_path):
    """三（四）实地考察、民主评议、问卷调查; 三（五）项目库、镇街轮值每月推介."""
    p = to_running(client, world, as_user, app)
    for on in ("2026-08-01", "2026-08-15", "2026-09-01", "2026-10-01"):
        activity(client, p, on)
    client.post(f"/projects/{p.id}/summary", data={"results": "惠及独居老人 20 名"})
    text = pdf_text(tmp_path, client.get(f"/projects/{p.id}/summary.pdf").data)
    for words in ("党群服务项目总结报告", "项目名称", "整体概况", "实施情况", "成果经验", "共开展活动4次", "惠及独居老人20名"):
        assert words in text
    client.post(f"/projects/{p.id}/apply")
    as_user(world["county"])
    r = client.post(f"/projects/{p.id}/evaluate", data={"votes_for": "18", "votes_against": "1", "abstain": "1",
                                                        "respondents": "50", "satisfied": "47", "decision": "select",
                                                        "opinion": "效果好"})
    assert r.status_code == 422 and "请先完成并提交实地考察" in r.get_data(as_text=True)
    as_user(world["inspector"])
    r = client.post(f"/projects/{p.id}/site-visit")
    assert r.status_code == 303 and "/inspections/" in r.headers["Location"]
    p = project_of(client, p.id)
    inspection = db.get(Inspection, p.site_visit_id)
    spec = inspections.spec_for(session=db, inspection=inspection)
    for item in spec.items():
        inspections.record_answer(session=db, inspection=inspection, item_id=item.id,
                                  raw="pass" if item.kind == "check" else "present", note="", by=world["inspector"])
    inspections.submit(session=db, inspection=inspection, by=world["inspector"])
    db.commit()
    as_user(world["county"])
    r = client.post(f"/projects/{p.id}/evaluate", data={"votes_for": "18", "votes_against": "1", "abstain": "1",
                                                        "respondents": "50", "satisfied": "51", "decision": "select",
                                                        "opinion": "效果好"})
    assert r.status_code == 422 and "满意份数（51）不能多于回收份数（50）" in r.get_data(as_text=True)
    r = client.post(f"/projects/{p.id}/evaluate", data={"votes_for": "18", "votes_against": "1", "abstain": "1",
                                                        "respondents": "50", "satisfied": "47", "decision": "select",
                                                        "opinion": "效果好"})
    assert r.status_code == 303
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "赞成率 90.0%" in page and "满意率 94.0%" in page
    assert "邻里助餐帮帮团" in client.get("/projects/library").get_data(as_text=True)
    r = client.post("/projects/rota", data={"start": "2026-12", "months": "3"})
    assert r.status_code == 303
    rota = db.exec(select(ProjectRota).order_by(ProjectRota.month)).all()
    assert [r.month for r in rota] == ["2026-12", "2027-01", "2027-02"] and {r.project_id for r in rota} == {p.id}
    as_user(world["worker"])
    assert client.post("/projects/rota", data={"start": "2027-03", "months": "1"}).status_code == 403


def test_quotas_and_regions(client, world, as_user, app, db):
    """四（一）：每个社区新培育申报1—2个; at least one township-level project; other regions 404."""
    as_user(world["worker"])
    p = create(client, world)
    page = client.get("/projects/?year=2026").get_data(as_text=True)
    assert "吴庄社区：已申报 0 个（每个社区新培育申报1—2个）" in page
    assert "杨屯镇：镇街级项目 0 个（至少培育申报1个）" in page
    as_user(world["worker_a"])
    assert client.get(f"/projects/{p.id}").status_code == 404
    assert client.post(f"/projects/{p.id}/design", data={"design": "x"}).status_code == 404
    r = client.post("/projects/new", data={"name": "越权", "site_id": str(world["site"].id), "survey_ways": ["线上征集意见"],
                                           "survey_summary": "x"})
    assert r.status_code == 422 and "请选择本辖区的社区" in r.get_data(as_text=True)


def test_a_third_project_of_a_community_cannot_be_put_up(client, world, as_user, app, db):
    from inspector.services import service_projects
    for name in ("甲", "乙"):
        row = ServiceProject(region_id=world["c"]["village_b"].id, site_id=world["site"].id, level="community",
                             year=2026, name=name, status="applied", created_by_id=world["worker"].id)
        db.add(row)
    db.commit()
    p = to_running(client, world, as_user, app)
    for on in ("2026-08-01", "2026-08-15", "2026-09-01", "2026-10-01"):
        activity(client, p, on)
    client.post(f"/projects/{p.id}/summary", data={"results": "好"})
    r = client.post(f"/projects/{p.id}/apply")
    assert r.status_code == 409 and "已申报 2 个项目（每个社区新培育申报1—2个" in r.get_data(as_text=True)
    assert service_projects.applied_count(session=db, project=p) == 2


def test_shares_are_formatted_once_in_core_words():
    """Issue 18: the appraisal's and the questionnaire's shares use the one percentage format of core.words."""
    from inspector.core import service_projects as core
    from inspector.core.words import percent
    assert percent(47, 50) == "94.0%" and percent(1, 0) == "—"
    assert core.appraisal(0, 0, 0).endswith("赞成率 —") and core.satisfaction(3, 3).endswith("满意率 100.0%")
