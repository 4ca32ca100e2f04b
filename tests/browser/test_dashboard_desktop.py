"""The county dashboard on a desktop (issue 16): at 1366 and 1920 px it uses the width, its
action lists sort and filter; at 360 px it still fits the phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..test_dashboard import TODAY, county  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def _signed_in(browser, live_server, user, width, height):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("correct-horse-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


@pytest.mark.parametrize("width", [1366, 1920])
def test_the_dashboard_uses_a_desktop_screen_and_its_lists_sort_and_filter(app, browser, live_server, county,
                                                                            width):  # noqa: F811
    page = _signed_in(browser, live_server, county["users"]["county"], width, 900)
    try:
        page.goto("/dashboard/")
        body = page.locator("#dash-body")
        assert body.bounding_box()["width"] > width * 0.85  # not a 760 px column
        status, tier = page.locator("#h-status"), page.locator("#h-tier")
        assert abs(status.bounding_box()["y"] - tier.bounding_box()["y"]) < 5  # sections side by side
        tasks = page.locator("#act-tasks")
        if tasks.get_attribute("open") is None:
            tasks.locator("summary").click()
        rows = page.locator("#tbl-tasks tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("吴庄社区党群服务中心")  # earliest due first
        name = page.locator("#tbl-tasks th button.sort").first
        name.click()
        expect(page.locator("#tbl-tasks th").first).to_have_attribute("aria-sort", "ascending")
        expect(rows.first).to_contain_text("龙固村党群服务中心")  # 龙 before 吴 in Chinese order
        name.click()
        expect(rows.first).to_contain_text("吴庄社区党群服务中心")
        page.locator('input[data-filter-table="tbl-tasks"]').fill("龙固")
        expect(page.locator("#tbl-tasks tbody tr:visible")).to_have_count(1)
        expect(page.locator("#tbl-tasks tbody tr:visible")).to_contain_text("龙固村党群服务中心")
    finally:
        page.context.close()


def test_the_dashboard_still_fits_a_phone(app, browser, live_server, county):  # noqa: F811
    page = _signed_in(browser, live_server, county["users"]["county"], 360, 740)
    try:
        page.goto("/dashboard/")
        expect(page.locator("#dash-body")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.context.close()
