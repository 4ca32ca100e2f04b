"""A calendar gap never stops the county (issue 12): deadlines across a year without the State
Council's schedule are counted provisionally (暂定) and marked so; entering the year's schedule in
the app recomputes every open deadline and notice, audit-logs each change and shows it to the
owners; issued documents stay as they are and their verify page shows the new date."""
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core import workdays
from inspector.models import AuditLog, CalendarYear, DeadlineChange, Notice, RectificationTask, Report
from inspector.services import inspections, notices, workcalendar
from inspector import demo

from . import factories
from .test_reports import pdf_file, run

D = date.fromisoformat

# A 2027 schedule for tests only (虚构，并非国务院办公厅的真实安排): National Day 10-01..07 with Sat
# 10-09 worked, Spring Festival 02-05..12 with Sat 02-20 worked, the statutory days all given.
TEST_2027 = {
    "title": "国务院办公厅关于2027年部分节假日安排的通知（测试用，虚构）",
    "number": "测试〔2026〕1号",
    "issued_on": "2026-11-10",
    "holidays": "元旦：1月1日至3日放假\n春节：2月5日（农历除夕）至12日放假调休\n清明节：4月3日至5日\n"
                "劳动节：5月1日至5日\n端午节：6月9日\n中秋节：9月15日\n国庆节：10月1日至7日",
    "workdays": "2月20日（星期六）\n10月9日（星期六）",
}


@pytest.fixture
def world(app, db):
    """A county with a village site and the people who act on it."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    w = {"c": c, "site": site,
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer"),
         "village": factories.user(db, c["village_a"], username="v-zhang", role="village"),
         "admin": factories.user(db, c["city"], username="a-root", role="admin")}
    db.commit()
    return w


def submitted_with_a_failure(app, db, world, specs, today: date):
    """An inspection submitted on `today` with one failed item (the hall is 35 m²)."""
    app.config["TODAY"] = today
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=world["site"], spec=spec, purpose="inspection", tier="standard",
                            by=world["inspector"])
    values = demo.demo_answers(spec, tier="standard", site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(1))
    values["hall-area"] = 35
    for item_id, value in values.items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None,
                                  by=world["inspector"])
    inspections.submit(session=db, inspection=ins, by=world["inspector"])
    db.commit()
    return ins


def _approved_with_failures(app, client, db, login_as, world, specs, today: date):
    """An inspection with one failed item, approved by the county on `today`; its task."""
    ins = submitted_with_a_failure(app, db, world, specs, today)
    login_as(world["county"])
    r = client.post(f"/inspections/{ins.id}/approve", data={})
    assert r.status_code == 303, r.get_data(as_text=True)
    client.post("/logout")
    task = db.exec(select(RectificationTask).where(RectificationTask.inspection_id == ins.id)).one()
    return ins, task


def _enter_2027(client, login_as, world, **changes):
    login_as(world["admin"])
    r = client.post("/admin/calendar/2027", data={**TEST_2027, **changes})
    client.post("/logout")
    return r


@pytest.mark.parametrize("today, provisional_due, official_due", [
    ("2026-12-07", "2027-01-05", "2027-01-05"),  # Dec 8–31: 18; 元旦 off; Jan 4, 5
    ("2027-01-02", "2027-01-29", "2027-01-29"),  # a Saturday: Jan 4–29 has no holiday either way
    ("2027-09-28", "2027-10-27", "2027-11-01"),  # provisional: only Oct 1–3 off; official: Oct 1–7 off, Fri 10-08 and Sat 10-09 worked
])
def test_approval_with_failed_items_works_provisionally_then_the_schedule_recomputes_it(
        app, client, db, login_as, world, specs, today, provisional_due, official_due):
    ins, task = _approved_with_failures(app, client, db, login_as, world, specs, D(today))
    assert (task.due_date, task.due_provisional) == (D(provisional_due), True)
    assert (task.due_from, task.due_working_days, task.due_rule) == (D(today), 20, "after")
    login_as(world["county"])
    page = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert provisional_due in page and "data-provisional>暂定<" in page
    assert "2027 年的国务院节假日安排尚未录入，按法定节假日推算，未计调休" in page
    client.post("/logout")

    r = _enter_2027(client, login_as, world)
    assert r.status_code == 303
    db.expire_all()
    task = db.get(RectificationTask, task.id)
    assert (task.due_date, task.due_provisional) == (D(official_due), False)
    logged = db.exec(select(AuditLog).where(AuditLog.action == "recompute_deadline",
                                            AuditLog.entity == "rectificationtask")).one()
    assert logged.before == {"due": provisional_due, "provisional": True}
    assert logged.after["due"] == official_due and logged.after["provisional"] is False
    assert "测试〔2026〕1号" in logged.after["reason"]
    assert db.exec(select(AuditLog).where(AuditLog.action == "enter_schedule")).one().after["year"] == 2027
    # the owner (the village) is shown the change on its home page
    login_as(world["village"])
    home = client.get("/").get_data(as_text=True)
    assert "期限变动" in home and f"{provisional_due}（暂定） → <strong>{official_due}</strong>" in home
    client.post("/logout")
    login_as(world["county"])
    page = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert official_due in page and "data-provisional" not in page


def test_a_notice_across_new_year_is_accepted_provisionally_and_restated_when_the_year_is_entered(
        app, client, db, login_as, world):
    app.config["TODAY"] = D("2026-12-07")
    across = notices.post(session=db, kind="micro_completion", site=world["site"], subject_id=1,
                          title="张庄村微实事项目完工公示", content={"body": "公示期 2026-12-28 至 2027-01-04"},
                          start=D("2026-12-28"), working_days=5, calendar=workdays.load(), by=world["village"])
    autumn = notices.post(session=db, kind="red_landmark_result", site=world["site"], subject_id=2,
                          title="张庄村“红色地标”评定结果公示",
                          content={"sections": [{"label": "公示期", "value": "2027-09-28 至 2027-10-07（7 个工作日）"}]},
                          start=D("2027-09-28"), working_days=7, calendar=workdays.load(), by=world["admin"])
    db.commit()
    assert (across.end_date, across.provisional) == (D("2027-01-04"), True)  # Dec 28–31, 元旦 off, Jan 4
    assert (autumn.end_date, autumn.provisional) == (D("2027-10-07"), True)
    public = client.get(f"/notice/{across.public_id}").get_data(as_text=True)
    assert "2027年1月4日" in public and "data-provisional>暂定<" in public and "按法定节假日推算" in public

    assert _enter_2027(client, login_as, world).status_code == 303
    db.expire_all()
    across, autumn = db.get(Notice, across.id), db.get(Notice, autumn.id)
    assert (across.end_date, across.provisional) == (D("2027-01-04"), False)
    # Sep 28–30 (3), Oct 8 (4), Sat Oct 9 worked (5), Oct 11, 12 (7)
    assert (autumn.end_date, autumn.provisional) == (D("2027-10-12"), False)
    assert autumn.content["sections"][0]["value"] == "2027-09-28 至 2027-10-12（7 个工作日）"
    public = client.get(f"/notice/{across.public_id}").get_data(as_text=True)
    assert "data-provisional" not in public
    moved = db.exec(select(DeadlineChange).where(DeadlineChange.entity == "notice")).all()
    assert {(c.entity_id, c.old_date, c.new_date) for c in moved} == {
        (across.id, D("2027-01-04"), D("2027-01-04")), (autumn.id, D("2027-10-07"), D("2027-10-12"))}


def test_a_2028_deadline_works_provisionally_and_stays_so_after_2027_is_entered(
        app, client, db, login_as, world, specs):
    ins, task = _approved_with_failures(app, client, db, login_as, world, specs, D("2027-12-20"))
    assert task.due_date.year == 2028 and task.due_provisional
    login_as(world["county"])
    page = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "2027、2028 年的国务院节假日安排尚未录入" in page
    client.post("/logout")
    app.config["TODAY"] = D("2027-12-21")
    assert _enter_2027(client, login_as, world).status_code == 303
    db.expire_all()
    assert db.get(RectificationTask, task.id).due_provisional
    login_as(world["county"])
    page = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "2028 年的国务院节假日安排尚未录入" in page and "2027、2028" not in page


def test_a_bad_schedule_names_each_line_and_stores_nothing(app, client, db, login_as, world):
    app.config["TODAY"] = D("2026-12-07")
    r = _enter_2027(client, login_as, world, holidays="2027-01-01\n2月30日\n国庆节：10月1日至7日",
                    workdays="2月10日\n2028-01-08")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    for fragment in ("放假日期第 2 行：2027年2月30日 不是有效日期", "调休上班第 2 行：2028-01-08 不属于 2027 年",
                     "调休上班第 1 行：2027-02-10 是星期三，调休上班日只能是周六或周日",
                     "放假日期缺少法定节假日 2027-02-05（农历除夕，星期五）"):
        assert fragment in text
    assert "国庆节：10月1日至7日" in text  # what was typed is kept in the form
    assert db.exec(select(CalendarYear)).all() == []
    assert db.exec(select(AuditLog).where(AuditLog.entity == "calendaryear")).all() == []


def test_only_the_admin_enters_a_schedule_the_county_sees_the_years(app, client, db, login_as, world):
    app.config["TODAY"] = D("2026-12-07")
    login_as(world["county"])
    page = client.get("/admin/calendar/").get_data(as_text=True)
    assert '<span class="cal-kind">暂定</span>' in page and "1月1日（元旦）" in page
    assert "/admin/calendar/2027" not in page
    assert client.post("/admin/calendar/2027", data=TEST_2027).status_code == 403
    client.post("/logout")
    login_as(world["village"])
    assert client.get("/admin/calendar/").status_code == 403
    client.post("/logout")
    login_as(world["admin"])
    assert client.get("/admin/calendar/2026").status_code == 404  # chinese_calendar's year
    assert client.get("/admin/calendar/2030").status_code == 404  # too far ahead
    form = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert "国务院办公厅关于2027年部分节假日安排的通知" in form and "2月5日（农历除夕，星期五）" in form
    assert client.post("/admin/calendar/2027", data=TEST_2027).status_code == 303
    page = client.get("/admin/calendar/").get_data(as_text=True)
    assert "官方（已录入）" in page and "测试〔2026〕1号" in page


def test_the_verify_page_of_an_issued_notice_shows_the_recomputed_date_and_why(
        app, client, db, login_as, world, specs, tmp_path):
    ins, _task = _approved_with_failures(app, client, db, login_as, world, specs, D("2027-09-28"))
    login_as(world["inspector"])
    assert client.post(f"/inspections/{ins.id}/reports/rectification", data={"deadline_days": "20"}).status_code == 303
    report = db.exec(select(Report)).one()
    assert report.inputs["dates"]["deadline"] == "2027-10-27" and report.inputs["dates"]["provisional"] == ["deadline"]
    pdf = (Path(app.config["MEDIA_DIR"]) / report.path).read_bytes()
    text = re.sub(r"\s+", "", run("pdftotext", str(pdf_file(tmp_path, pdf)), "-"))
    # the task's stored due date, as an official document writes dates (issue 16)
    assert "请于2027年10月27日（暂定）前" in text and "2027年10月27日为暂定日期：2027年的国务院节假日安排尚未录入" in text
    client.post("/logout")
    assert _enter_2027(client, login_as, world).status_code == 303
    db.expire_all()
    page = client.get(f"/verify/{report.public_id}").get_data(as_text=True)
    assert 'data-restated="true"' in page
    assert "文件印发时为 2027-10-27（暂定），现为 <strong data-now>2027-11-01</strong>" in page
    assert "测试〔2026〕1号" in page and "已印发的文件不作改动" in page
    assert (Path(app.config["MEDIA_DIR"]) / db.get(Report, report.id).path).read_bytes() == pdf


def test_the_calendar_import_command_enters_a_file_and_names_bad_lines(app, runner, db, world, tmp_path):
    app.config["TODAY"] = D("2026-12-07")
    good = tmp_path / "2027.yaml"
    statutory = ", ".join(d.isoformat() for d in workdays.statutory_holidays(2027))
    good.write_text(f"years:\n  2027:\n    source: 测试〔2026〕2号\n    title: 测试用（虚构）\n    issued_on: 2026-11-10\n"
                    f"    holidays: [{statutory}]\n    workdays: [2027-02-20]\n", encoding="utf-8")
    out = runner.invoke(args=["calendar", "import", str(good)])
    assert out.exit_code == 0, out.output
    assert "已录入 2027 年：《测试用（虚构）》（测试〔2026〕2号），放假 13 天，调休上班 1 天" in out.output
    row = db.exec(select(CalendarYear)).one()
    assert row.entered_by_id is None and row.workdays == ["2027-02-20"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("years:\n  2027:\n    source: x\n    workdays: [2027-02-10]\n", encoding="utf-8")
    out = runner.invoke(args=["calendar", "import", str(bad)])
    assert out.exit_code != 0 and f"{bad}:4: 2027-02-10 是星期三" in out.output
    shown = runner.invoke(args=["calendar", "show"])
    assert "2027：《测试用（虚构）》（测试〔2026〕2号）" in shown.output and "2028：暂定" in shown.output
