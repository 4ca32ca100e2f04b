"""On a phone: the comparison as cards, on a desk as a table; a public notice opened from its QR."""
from __future__ import annotations

import re
from datetime import date

import pytest

from ..test_compare import compared, county  # noqa: F401 - fixtures
from ..test_notices import posted  # noqa: F401 - fixture
from .conftest import PHONE

pytestmark = pytest.mark.browser


def signed_in(browser, live_server, user, **context):
    ctx = browser.new_context(base_url=live_server, **context)
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("correct-horse-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))
    return ctx, page


def test_phone_shows_cards_and_a_wide_screen_a_table(browser, live_server, compared):  # noqa: F811
    """Under 600 px each row is a card (no header row, no sideways scrolling); above it, a sortable table."""
    ctx, phone = signed_in(browser, live_server, compared["county"], **PHONE)
    try:
        phone.goto("/compare/")
        assert phone.locator(".cmp-list thead").bounding_box()["height"] <= 1
        assert phone.locator(".cmp-list tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
        phone.get_by_role("link", name="张庄村党群服务中心").tap()
        phone.wait_for_url(re.compile(r"/compare/site/\d+$"))
        row = phone.locator('[data-item="hall-area"]')
        assert "35 m²" in row.inner_text() and "自评偏高" in row.inner_text()
        assert row.evaluate("e => getComputedStyle(e).display") == "block"
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        ctx.close()

    ctx, desk = signed_in(browser, live_server, compared["county"], viewport={"width": 1100, "height": 900},
                          locale="zh-CN")
    try:
        desk.goto(f"/compare/site/{compared['site'].id}")
        assert desk.locator(".cmp-items thead").bounding_box()["height"] > 20
        assert desk.locator('[data-item="hall-area"]').evaluate("e => getComputedStyle(e).display") == "table-row"
        desk.goto("/compare/")
        desk.get_by_role("link", name="分差").click()  # sorts by the gap; htmx swaps the list in
        desk.wait_for_url(re.compile(r"sort=gap"))
        assert desk.locator("th[aria-sort]").inner_text().startswith("分差")
    finally:
        ctx.close()


def test_a_phone_opens_the_notice_without_signing_in(app, browser, live_server, posted):  # noqa: F811
    notice, _content, _photos = posted
    app.config["TODAY"] = date(2026, 5, 2)
    ctx = browser.new_context(base_url=live_server, **PHONE)
    try:
        phone = ctx.new_page()
        phone.goto(f"/notice/{notice.public_id}")
        assert phone.locator("[data-state]").inner_text() == "公示中，还剩 5 个工作日"
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        photos = phone.locator(".notice-photos img")
        assert photos.count() == 2
        for n in range(2):  # lazy images load once scrolled into view
            photos.nth(n).scroll_into_view_if_needed()
        phone.wait_for_function("() => Array.from(document.querySelectorAll('.notice-photos img'))"
                                ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
        assert ctx.cookies() == []  # a public page sets no cookie
    finally:
        ctx.close()
