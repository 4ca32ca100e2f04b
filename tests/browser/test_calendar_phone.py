"""On a phone: the admin follows the holiday-data warning, enters a year's schedule from the State
Council's notice, corrects what the form refuses, and sees the open deadlines recomputed."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from inspector.core import workdays
from inspector.models import RectificationTask
from inspector.services import workflow

from ..test_calendar import TEST_2027, submitted_with_a_failure, world  # noqa: F401 - fixture
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser


def test_admin_enters_the_2027_schedule_at_phone_size(app, db, world, specs, browser, live_server):  # noqa: F811
    ins = submitted_with_a_failure(app, db, world, specs, date(2026, 12, 7))
    [task] = workflow.approve(session=db, inspection=ins, by=world["county"], today=date(2026, 12, 7),
                              calendar=workdays.load())
    db.commit()
    assert task.due_provisional
    page = signed_in_phone(browser, live_server, world["admin"])
    try:
        warning = page.locator("[data-calendar-notice]")
        expect(warning).to_contain_text("2027 年的安排尚未录入")
        warning.get_by_role("link", name="录入 2027 年节假日安排").tap()
        page.wait_for_url(re.compile(r"/admin/calendar/$"))
        expect(page.locator('[data-year="2027"] .cal-kind')).to_have_text("暂定")
        page.get_by_role("link", name="录入 2027 年安排").tap()
        page.wait_for_url(re.compile(r"/admin/calendar/2027$"))
        page.get_by_label("文号").fill(TEST_2027["number"])
        page.get_by_label("发布日期").fill(TEST_2027["issued_on"])
        page.get_by_label("放假日期").fill(TEST_2027["holidays"].replace("端午节：6月9日\n", ""))
        page.get_by_label("调休上班日").fill("2月20日（星期六）\n6月10日")
        page.get_by_role("button", name="保存并重新计算期限").tap()
        problems = page.locator("[data-problems]")
        expect(problems).to_contain_text("放假日期缺少法定节假日 2027-06-09（端午节，星期三）")
        expect(problems).to_contain_text("调休上班第 2 行：2027-06-10 是星期四")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_label("放假日期").fill(TEST_2027["holidays"])
        page.get_by_label("调休上班日").fill(TEST_2027["workdays"])
        page.get_by_role("button", name="保存并重新计算期限").tap()
        page.wait_for_url(re.compile(r"/admin/calendar/$"))
        expect(page.locator(".flash-success")).to_contain_text("重新计算 1 项期限，其中 0 项日期变动，1 项仅取消“暂定”")
        expect(page.locator('[data-year="2027"] .cal-kind')).to_have_text("官方（已录入）")
        expect(page.locator(".cal-changes")).to_contain_text("2027-01-05（暂定） → 2027-01-05")
        expect(page.locator("[data-calendar-notice]")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.context.close()
    db.expire_all()
    assert not db.get(RectificationTask, task.id).due_provisional
