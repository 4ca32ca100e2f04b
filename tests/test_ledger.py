"""The in-service members' ledger (seed 004) on the web and in the services, on SQLite and PostgreSQL."""
from __future__ import annotations

import functools
import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from inspector.models import (
    LedgerActivity,
    LedgerFeedback,
    LedgerItemCheck,
    LedgerMember,
)
from inspector.services import (
    inspections,
    ledger,
    ledger_import,
    ledger_items,
    ledger_summary,
    users,
)

from . import factories, samples
from .test_documents import SEED_NAME


@functools.cache
def password_hash() -> str:
    return users.hash_password("correct-horse-1")


@pytest.fixture
def world(app, db):
    """Two townships, a community in each (and a village); community, township, county and inspector users."""
    c = factories.county(db)
    from inspector.services import regions
    c["community_a"] = regions.add_region(session=db, name="龙城社区", level="village", code="T101002", parent=c["town_a"])
    mine = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    other = factories.site(db, c["community_a"], name="龙城社区党群服务中心", site_type="community")
    village = factories.site(db, c["village_a"], name="张庄村党群服务中心")
    people = {key: users.create(session=db, username=name, display_name=f"{name} 姓名", role=role, region=c[region],
                                password_hash=password_hash())
              for key, name, role, region in (
                  ("worker", "c-wu", "village", "village_b"), ("worker_a", "c-long", "village", "community_a"),
                  ("town_b", "town-b", "township", "town_b"), ("town_a", "town-a", "township", "town_a"),
                  ("county", "county-1", "county_reviewer", "county"), ("inspector", "insp-1", "inspector", "county"))}
    db.commit()
    app.config["TODAY"] = date(2026, 7, 15)
    return {"site": mine, "other": other, "village": village, "c": c, **people}


@pytest.fixture
def as_user(client, login_as):
    def _as(user):
        client.post("/logout")
        return login_as(user)
    return _as


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def add_member(client, site, **over) -> LedgerMember:
    form = {"name": "王明", "phone": "13905160001", "unit": "沛县财政局", "party_org": "沛县财政局机关党支部",
            "supervisor_org": "中共沛县财政局党组", "county_department": "是", "reported_on": "2026-05-10",
            "letter_number": "财证〔2026〕3号", "service_post": "政策宣讲", "pledge": "每月参加一次社区志愿服务",
            "pair_name": "李秀英", "pair_kind": "孤寡老人", "pair_address": "吴庄社区3号楼"}
    form.update(over)
    r = client.post(f"/ledger/sites/{site.id}/members/new", data=form)
    assert r.status_code == 303, r.get_data(as_text=True)
    return client.application.extensions["engine"] and _last(client)


def _last(client) -> LedgerMember:
    from inspector import db as dbmod
    with dbmod.session(client.application.extensions["engine"]) as s:
        return s.exec(select(LedgerMember).order_by(LedgerMember.id.desc())).first()


def activity(client, member, **over):
    form = {"on": "2026-06-01", "kind": "post_service", "hours": "3", "note": "政策宣讲"}
    form.update(over)
    return client.post(f"/ledger/members/{member.id}/activities", data=form, content_type="multipart/form-data")


def pdf_text(tmp_path: Path, data: bytes) -> str:
    assert data[:5] == b"%PDF-"
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert not SEED_NAME.search(text), SEED_NAME.search(text).group(0)  # documents cite by title
    return re.sub(r"\s+", "", text)


def test_member_with_one_activity_of_three_hours_falls_short_and_two_meet(client, world, as_user, db):
    """二、主要任务（一）1: the member's page and the community's shortfall list follow the records."""
    as_user(world["worker"])
    m = add_member(client, world["site"])
    assert activity(client, m).status_code == 303
    page = client.get(f"/ledger/members/{m.id}").get_data(as_text=True)
    assert "1 次 / 3 小时" in page and "还差 1 次或 5 小时" in page
    short = client.get(f"/ledger/sites/{world['site'].id}").get_data(as_text=True)
    assert "未达要求 1 人" in short and "还差 1 次或 5 小时" in short and "二、主要任务（一）1" in short
    assert activity(client, m, on="2026-06-20", hours="1").status_code == 303
    page = client.get(f"/ledger/members/{m.id}").get_data(as_text=True)
    assert 'class="lg-check met" data-rule="service"' in page and "2 次 / 4 小时" in page
    assert "还差" not in client.get(f"/ledger/sites/{world['site'].id}").get_data(as_text=True)


def test_activity_with_photo_is_stored_and_served_to_the_region_only(client, world, as_user, db, app):
    as_user(world["worker"])
    m = add_member(client, world["site"])
    r = client.post(f"/ledger/members/{m.id}/activities", content_type="multipart/form-data",
                    data={"on": "2026-06-01", "kind": "public_welfare", "hours": "2", "note": "清扫楼道",
                          "photo": (io.BytesIO(samples.jpeg()), "a.jpg")})
    assert r.status_code == 303
    row = db.exec(select(LedgerActivity)).one()
    assert row.photo and (Path(app.config["MEDIA_DIR"]) / row.photo["display"]).exists()
    served = client.get(f"/ledger/activities/{row.id}/photo/thumb")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()
    as_user(world["worker_a"])
    assert client.get(f"/ledger/activities/{row.id}/photo/thumb").status_code == 404
    assert client.get(f"/ledger/members/{m.id}").status_code == 404


def test_bad_activity_is_refused_in_chinese_and_nothing_is_stored(client, world, as_user, db):
    as_user(world["worker"])
    m = add_member(client, world["site"])
    r = activity(client, m, on="2026-08-01", hours="abc", kind="dance")
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "请选择活动类型" in body and "晚于今天" in body
    r = activity(client, m, kind="suggestion", hours="", note="")
    assert r.status_code == 422 and "意见建议请在“说明”中写明内容" in r.get_data(as_text=True)
    r = client.post(f"/ledger/members/{m.id}/activities", content_type="multipart/form-data",
                    data={"on": "2026-06-01", "kind": "post_service", "hours": "1",
                          "photo": (io.BytesIO(b"not an image"), "x.jpg")})
    assert r.status_code == 422
    assert count(db, LedgerActivity) == 0


def test_roles_and_regions(client, world, as_user, db):
    """A community sees its own members; another community's worker 404; the county reads, cannot write."""
    as_user(world["worker"])
    m = add_member(client, world["site"])
    as_user(world["worker_a"])
    assert client.get(f"/ledger/sites/{world['site'].id}").status_code == 404
    assert activity(client, m).status_code == 404
    assert client.get(f"/ledger/sites/{world['village'].id}").status_code == 404  # a village keeps no such ledger
    as_user(world["town_a"])
    assert client.get(f"/ledger/members/{m.id}").status_code == 404
    as_user(world["town_b"])
    assert client.get(f"/ledger/members/{m.id}").status_code == 200
    as_user(world["county"])
    assert client.get(f"/ledger/members/{m.id}").status_code == 200
    r = activity(client, m)
    assert r.status_code == 403 and "登记在职党员及其活动" in r.get_data(as_text=True)
    assert count(db, LedgerActivity) == 0


def xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["姓名", "单位", "单位党组织", "县级部门", "居住社区", "联系电话", "报到日期", "服务岗位"]


def test_import_is_all_rows_or_none_with_a_line_per_row(client, world, as_user, db):
    as_user(world["county"])
    bad = xlsx([HEADER,
                ["张一", "沛县教育局", "教育局机关党委", "是", "吴庄社区党群服务中心", "13905160011", "2026-05-01", "文明劝导"],
                ["李二", "沛县教育局", "", "否", "不存在社区", "13905160012", "", ""],
                [], ["王三", "沛县医院", "", "是", "龙城社区", "123", "", ""]])
    r = client.post("/ledger/import", data={"file": (io.BytesIO(bad), "list.xlsx")}, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "第 3 行：居住社区 &#39;不存在社区&#39; 不是本辖区的社区" in body or "第 3 行：居住社区" in body
    assert "第 5 行：联系电话" in body  # the blank line keeps the file's numbering
    assert count(db, LedgerMember) == 0
    good = xlsx([HEADER,
                 ["张一", "沛县教育局", "教育局机关党委", "是", "吴庄社区党群服务中心", "13905160011", "2026-05-01", "文明劝导"],
                 ["王三", "沛县医院", "", "否", "龙城社区", "13905160013", "", ""]])
    r = client.post("/ledger/import", data={"file": (io.BytesIO(good), "list.xlsx")}, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 200, body
    assert "已导入 2 人" in body and "第 2 行：张一（沛县教育局）→ 吴庄社区党群服务中心" in body
    assert count(db, LedgerMember) == 2
    again = client.post("/ledger/import", data={"file": (io.BytesIO(good), "list.xlsx")},
                        content_type="multipart/form-data")
    assert again.status_code == 422 and "已登记 张一" in again.get_data(as_text=True)
    assert count(db, LedgerMember) == 2


def test_import_refuses_other_files_and_other_regions(client, world, as_user, db):
    as_user(world["worker_a"])
    r = client.post("/ledger/import", data={"file": (io.BytesIO(b"x"), "list.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "不支持的文件类型" in r.get_data(as_text=True)
    rows = xlsx([HEADER, ["张一", "沛县教育局", "", "是", "吴庄社区党群服务中心", "13905160011", "", ""]])
    r = client.post("/ledger/import", data={"file": (io.BytesIO(rows), "list.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "不是本辖区的社区" in r.get_data(as_text=True)
    csv = "姓名,单位,联系电话\n赵四,沛县税务局,13905160099\n".encode("utf-8-sig")
    r = client.post("/ledger/import", data={"file": (io.BytesIO(csv), "list.csv")}, content_type="multipart/form-data")
    assert r.status_code == 200 and "→ 龙城社区党群服务中心" in r.get_data(as_text=True)  # blank column: own community


def test_november_roll_up_totals_equal_the_sum_of_its_communities(client, world, as_user, db, tmp_path):
    """四、加强领导: both tables community → township → county; Excel and PDF."""
    as_user(world["worker"])
    a = add_member(client, world["site"])
    add_member(client, world["site"], name="陈红", phone="13905160002", unit="沛县城关小学", county_department="",
               reported_on="2026-05-20")
    activity(client, a)
    activity(client, a, on="2026-06-05", kind="public_welfare", hours="2.5")
    as_user(world["worker_a"])
    add_member(client, world["other"], name="刘强", phone="13905160003", unit="沛县人民医院", reported_on="")
    as_user(world["county"])
    data = ledger_summary.summary(session=db, user=world["county"], year=2026, as_of=date(2026, 11, 30))
    communities = [r for r in data.service if r.level == "community"]
    total = data.service[-1]
    assert total.level == "county" and total.name == "沛县 合计"
    for key in ("members", "reported", "times", "minutes", "service_met"):
        assert total.counts[key] == sum(r.counts[key] for r in communities)
    assert total.counts["members"] == 3 and total.counts["reported"] == 2 and total.counts["minutes"] == 330
    report_total = data.report[-1].counts
    assert report_total["on_time"] == 1 and report_total["dept_members"] == 2 and report_total["dept_reported"] == 1
    by_unit = {r.name: r.counts for r in data.by_unit}
    assert by_unit["沛县财政局"]["members"] == 1 and by_unit["沛县财政局"]["minutes"] == 330
    assert by_unit["沛县 合计"]["members"] == 3 and list(by_unit)[0] in ("沛县财政局", "沛县人民医院")  # departments first
    page = client.get("/ledger/summary?year=2026").get_data(as_text=True)
    assert "在职党员进社区服务群众情况汇总表" in page and "杨屯镇 小计" in page and "龙固镇 小计" in page
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(client.get("/ledger/summary.xlsx?year=2026").data))
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[-1][0] == "沛县 合计" and rows[-1][1] == 3
    assert [s.title for s in book.worksheets] == ["服务群众情况汇总表", "报到情况汇总表", "按单位汇总"]
    text = pdf_text(tmp_path, client.get("/ledger/summary/by_unit.pdf?year=2026").data)
    assert "（按单位）" in text and "沛县财政局" in text and "沛县城关小学" in text
    text = pdf_text(tmp_path, client.get("/ledger/summary/service.pdf?year=2026").data)
    assert "在职党员进社区服务群众情况汇总表" in text and "沛县合计" in text and "吴庄社区党群服务中心" in text
    text = pdf_text(tmp_path, client.get("/ledger/summary/report.pdf?year=2026").data)
    assert "在职党员进社区报到情况汇总表" in text and "50%" in text, text[-400:]  # county departments: 1 of 2 reported
    as_user(world["worker"])
    assert client.get("/ledger/summary").status_code == 403


def test_member_cards_are_pdfs_filled_from_the_records(client, world, as_user, db, tmp_path):
    as_user(world["worker"])
    m = add_member(client, world["site"])
    activity(client, m, kind="pairing_visit", hours="1", note="送米面油")
    expect = {"letter": ["在职党员进社区报到证明信", "财证〔2026〕3号", "王明"],
              "info": ["在职党员基本情况信息卡", "沛县财政局机关党支部", "孤寡老人"],
              "receipt": ["在职党员进社区报到回执", "2026年5月10日"],
              "record": ["在职党员进社区情况写实登记卡", "结对走访", "送米面油"],
              "pledge": ["在职党员服务承诺卡", "每月参加一次社区志愿服务"],
              "contact": ["在职党员进社区联系对象档案卡", "李秀英", "送米面油"]}
    for card, words in expect.items():
        r = client.get(f"/ledger/members/{m.id}/cards/{card}.pdf?year=2026")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        text = pdf_text(tmp_path, r.data)
        for w in words:
            assert w in text, (card, w)
    assert client.get(f"/ledger/members/{m.id}/cards/nothing.pdf").status_code == 404


def test_feedback_letters_quarterly_and_the_yearly_card(client, world, as_user, db, app, tmp_path):
    """三、工作措施 2 quarterly; 二（二）4 yearly card with a rating per member."""
    as_user(world["worker"])
    m = add_member(client, world["site"])
    activity(client, m)
    unit_id = m.unit_id
    site = world["site"]
    r = client.post(f"/ledger/sites/{site.id}/feedback", data={"unit_id": unit_id, "quarter": "3", "year": "2026"})
    assert r.status_code == 422 and "第三季度尚未结束" in r.get_data(as_text=True)
    assert client.post(f"/ledger/sites/{site.id}/feedback",
                       data={"unit_id": unit_id, "quarter": "2", "year": "2026"}).status_code == 303
    again = client.post(f"/ledger/sites/{site.id}/feedback", data={"unit_id": unit_id, "quarter": "2", "year": "2026"})
    assert again.status_code == 409 and "已向沛县财政局反馈过" in again.get_data(as_text=True)
    page = client.get(f"/ledger/sites/{site.id}/feedback?year=2026").get_data(as_text=True)
    assert "应反馈未反馈" in page  # Q1 ended, not sent
    letter = db.exec(select(LedgerFeedback)).one()
    text = pdf_text(tmp_path, client.get(f"/ledger/feedback/{letter.id}.pdf").data)
    assert "季度反馈函" in text and "王明" in text and "第二季度" in text
    no_rating = client.post(f"/ledger/sites/{site.id}/feedback", data={"unit_id": unit_id, "quarter": "0",
                                                                        "year": "2026"})
    assert no_rating.status_code == 422 and "请为 王明 选择评议等次" in no_rating.get_data(as_text=True)
    r = client.post(f"/ledger/sites/{site.id}/feedback", data={"unit_id": unit_id, "quarter": "0", "year": "2026",
                                                                f"rating_{m.id}": "合格", f"opinion_{m.id}": "积极参加"})
    assert r.status_code == 303
    card = db.exec(select(LedgerFeedback).where(LedgerFeedback.quarter == 0)).one()
    card_pdf = client.get(f"/ledger/feedback/{card.id}.pdf").data
    text = pdf_text(tmp_path, card_pdf)
    pages = subprocess.run(["pdfinfo", str(tmp_path / "out.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M), pages  # one member, one card: the basis line stays on its page
    assert "在职党员现实表现评议情况反馈卡" in text and "合格" in text and "积极参加" in text and "中共沛县财政局党组" in text
    as_user(world["worker_a"])
    assert client.get(f"/ledger/feedback/{card.id}.pdf").status_code == 404


def test_inspection_items_are_computed_from_the_ledger_and_confirmed_or_overridden(client, world, as_user, db, app):
    """Reporting rate = reported / registered (county departments); service rule per member; both kept."""
    as_user(world["worker"])
    a = add_member(client, world["site"])
    add_member(client, world["site"], name="陈红", phone="13905160002", reported_on="")
    activity(client, a)
    activity(client, a, on="2026-06-02")
    spec = app.extensions["checklists"]["service-ledger"]
    ins = inspections.start(session=db, site=world["site"], spec=spec, purpose="inspection", tier=None,
                            by=world["inspector"])
    db.commit()
    as_user(world["inspector"])
    page = client.get(f"/ledger/inspections/{ins.id}").get_data(as_text=True)
    assert "县级部门在职党员报到率 = 已报到 1 / 应报到 2（50%）" in page
    assert "全年服务≥2次或≥8小时：1 / 2 人（50%）" in page
    assert "季度反馈函：已发 0 / 应发 2 份" in page
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-report-rate", data={"decision": "confirm"})
    assert r.status_code == 303
    answer = inspections.answers_of(session=db, inspection=ins)["sl-report-rate"]
    assert answer.value == {"respondents": 2, "satisfied": 1} and answer.result == "fail"
    assert "台账计算" in answer.note
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-service-activities",
                    data={"decision": "override", "value": "pass", "note": ""})
    assert r.status_code == 422 and "改判时请写明理由" in r.get_data(as_text=True)
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-service-activities",
                    data={"decision": "override", "value": "pass", "note": "陈红纸质登记卡有2次记录"})
    assert r.status_code == 303
    db.expire_all()
    check = db.exec(select(LedgerItemCheck).where(LedgerItemCheck.item_id == "sl-service-activities")).one()
    assert check.decision == "overridden" and check.computed["result"] == "fail" and check.answer == "pass"
    answer = inspections.answers_of(session=db, inspection=ins)["sl-service-activities"]
    assert answer.result == "pass" and "检查员改判：陈红纸质登记卡有2次记录" in answer.note
    as_user(world["county"])
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-pairing", data={"decision": "confirm"})
    assert r.status_code == 403


def test_every_computed_item_is_in_the_checklist_and_says_so_in_its_note(specs):
    spec = specs["service-ledger"]
    for item_id in ledger_items.COMPUTED_ITEMS:
        item = spec.by_id[item_id]
        assert item.kind in ("check", "document", "rate"), item_id
        assert "台账计算" in (item.note or ""), item_id
    hooked = {i.id for i in spec.items() if "台账计算" in (i.note or "")}
    assert hooked == set(ledger_items.COMPUTED_ITEMS)


def test_the_community_page_links_its_ledger_inspections(client, world, as_user, db, app):
    as_user(world["worker"])
    add_member(client, world["site"])
    ins = inspections.start(session=db, site=world["site"], spec=app.extensions["checklists"]["service-ledger"],
                            purpose="inspection", tier=None, by=world["inspector"])
    db.commit()
    as_user(world["inspector"])
    page = client.get(f"/ledger/sites/{world['site'].id}").get_data(as_text=True)
    assert f'href="/ledger/inspections/{ins.id}"' in page and "台账核对" in page


def test_a_unit_account_sees_only_its_own_members(client, world, as_user, db, app, runner):
    """Issue 17 §4: a unit (department) user sees only its own members' records (a new role, scoped by unit)."""
    as_user(world["worker"])
    mine = add_member(client, world["site"])  # 沛县财政局
    theirs = add_member(client, world["site"], name="陈红", phone="13905160002", unit="沛县教育局")
    activity(client, mine)
    client.post(f"/ledger/sites/{world['site'].id}/feedback", data={"unit_id": theirs.unit_id, "quarter": "2",
                                                                     "year": "2026"})
    unit_user = users.create(session=db, username="u-caizheng", display_name="财政局联络员", role="unit",
                             region=world["c"]["county"], password_hash=password_hash())
    db.commit()
    result = runner.invoke(args=["ledger", "link-unit", "u-caizheng", "沛县财政局"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["ledger", "link-unit", "u-caizheng", "不存在的单位"]).exit_code != 0
    as_user(unit_user)
    page = client.get(f"/ledger/sites/{world['site'].id}").get_data(as_text=True)
    assert "王明" in page and "陈红" not in page
    assert client.get(f"/ledger/members/{mine.id}").status_code == 200
    assert client.get(f"/ledger/members/{theirs.id}").status_code == 404
    letter = db.exec(select(LedgerFeedback)).one()
    assert client.get(f"/ledger/feedback/{letter.id}.pdf?html=1").status_code == 404  # a letter to another unit
    assert "陈红" not in client.get(f"/ledger/sites/{world['site'].id}/feedback").get_data(as_text=True)
    assert activity(client, mine).status_code == 403
    assert client.get("/ledger/summary").status_code == 403
    assert "吴庄社区党群服务中心" in client.get("/ledger/").get_data(as_text=True)
    assert "龙城社区" not in client.get("/ledger/").get_data(as_text=True)


def test_ledger_demo_loads_through_the_services_once(runner, app, db):
    app.config["TODAY"] = date(2026, 7, 15)
    assert runner.invoke(args=["ledger", "demo"]).exit_code != 0  # the demo county first
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    result = runner.invoke(args=["ledger", "demo"])
    assert result.exit_code == 0, result.output
    assert "单位账号 unit-caizheng" in result.output
    assert count(db, LedgerMember) >= 25 and count(db, LedgerActivity) > 0 and count(db, LedgerFeedback) > 0
    again = runner.invoke(args=["ledger", "demo"])
    assert again.exit_code != 0 and "演示台账已存在" in again.output


def test_member_card_is_edited_with_an_audit_and_a_member_who_moved_away_is_not_counted(client, world, as_user, db):
    from inspector.models import AuditLog
    as_user(world["worker"])
    m = add_member(client, world["site"])
    page = client.get(f"/ledger/members/{m.id}/edit").get_data(as_text=True)
    assert 'value="沛县财政局"' in page and 'value="政策宣讲"' in page
    form = {"name": "王明", "phone": "13905160001", "unit": "沛县财政局", "service_post": "法律援助", "active": "1"}
    bad = client.post(f"/ledger/members/{m.id}/edit", data={**form, "phone": "12"})
    assert bad.status_code == 422 and "联系电话" in bad.get_data(as_text=True)
    assert client.post(f"/ledger/members/{m.id}/edit", data=form).status_code == 303
    db.expire_all()
    assert db.get(LedgerMember, m.id).service_post == "法律援助"
    row = db.exec(select(AuditLog).where(AuditLog.entity == "ledgermember", AuditLog.action == "update")).one()
    assert row.before["service_post"] == "政策宣讲" and row.after["service_post"] == "法律援助"
    assert client.post(f"/ledger/members/{m.id}/edit", data={**form, "active": "0"}).status_code == 303
    assert "在职党员 0 人" in client.get(f"/ledger/sites/{world['site'].id}").get_data(as_text=True)


def test_import_template_has_the_columns_the_import_reads(client, world, as_user):
    from openpyxl import load_workbook
    as_user(world["county"])
    book = load_workbook(io.BytesIO(client.get("/ledger/import/template.xlsx").data))
    header = [c.value for c in book.active[1]]
    assert header[:3] == ["姓名", "单位", "单位党组织"]
    from inspector.core import ledger as core
    assert all(h in core.COLUMNS for h in header)
    as_user(world["worker_a"])
    rows = ledger_import.read_rows("t.xlsx", client.get("/ledger/import/template.xlsx").data)
    assert rows[0]["name"] == "王明" and rows[0]["reported_on"] == "2026-05-10"


def test_an_override_that_does_not_fit_the_item_is_a_422_in_chinese(client, world, as_user, db, app):
    as_user(world["worker"])
    add_member(client, world["site"])
    ins = inspections.start(session=db, site=world["site"], spec=app.extensions["checklists"]["service-ledger"],
                            purpose="inspection", tier=None, by=world["inspector"])
    db.commit()
    as_user(world["inspector"])
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-report-rate",
                    data={"decision": "override", "respondents": "3", "satisfied": "5", "note": "核对纸质回执"})
    assert r.status_code == 422 and "已报到人数（5）不能多于应报到人数（3）" in r.get_data(as_text=True)
    r = client.post(f"/ledger/inspections/{ins.id}/items/sl-yearly-summary", data={"decision": "confirm"})
    assert r.status_code == 409 and "没有可依据的台账记录" in r.get_data(as_text=True)
    assert db.exec(select(LedgerItemCheck)).all() == []


def test_the_areas_refusals_are_domain_errors_with_their_status():
    """Issue 18: every refusal of the ledger and service projects carries its HTTP status and Chinese reason."""
    from inspector.core import service_projects as sp_core
    from inspector.core.errors import DomainError
    from inspector.services import service_projects
    for cls, status in ((ledger.LedgerError, 409), (ledger.Invalid, 422), (service_projects.ProjectError, 409),
                        (service_projects.Invalid, 422), (sp_core.TransitionError, 409)):
        assert issubclass(cls, DomainError) and cls.status == status, cls
    assert ledger.Invalid(["一", "二"]).message == "一；二"


AREA_VIEWS = sorted((Path(__file__).resolve().parents[1] / "inspector" / "web").glob("ledger*.py")) + [
    Path(__file__).resolve().parents[1] / "inspector" / "web" / "service_projects.py"]


@pytest.mark.parametrize("path", AREA_VIEWS, ids=lambda p: p.name)
def test_the_areas_views_neither_commit_nor_query_nor_name_a_role(path):
    """Issue 18: views use the unit of work, read through named service reads and ask `can(...)`."""
    text = path.read_text(encoding="utf-8")
    for bad in (".commit(", ".rollback(", "select(", ".role ==", ".role !=", "role in "):
        assert bad not in text, (path.name, bad)
