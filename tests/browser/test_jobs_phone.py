"""On a phone: a township issues its villages' rectification notices as one job and watches the
progress bar fill (htmx polling, no inline script), downloads the ZIP; the county exports from the
dashboard; a refused import shows why in Chinese, row by row."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from ..test_jobs import area  # noqa: F401 - fixture
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser


def test_a_township_batch_issues_and_downloads_at_phone_size(app, db, area, browser, live_server):  # noqa: F811
    page = signed_in_phone(browser, live_server, area["users"]["town_a"])
    try:
        page.goto("/jobs/")
        page.get_by_role("link", name="批量签发").tap()
        page.wait_for_url(re.compile(r"/jobs/batch-issue$"))
        boxes = page.locator('input[name="inspection"]')
        expect(boxes).to_have_count(3)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("button", name="签发所选（后台进行）").tap()
        page.wait_for_url(re.compile(r"/jobs/[\w-]+$"))
        status = page.locator("#job-status")
        expect(page.locator("h1")).to_have_text("批量签发")
        expect(status.locator("progress")).to_be_visible()
        expect(status).to_have_attribute("data-status", re.compile("queued|running|done"))
        expect(status).to_have_attribute("data-status", "done", timeout=120_000)  # polled, not reloaded
        expect(status).to_contain_text("已签发 3 份整改通知书")
        expect(status.locator("progress")).to_have_attribute("value", "100")
        assert status.get_attribute("hx-trigger") is None  # polling stopped
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        with page.expect_download() as info:
            status.get_by_role("link", name=re.compile("下载")).tap()
        download = info.value
        assert download.suggested_filename.endswith("（3份）.zip")
        with zipfile.ZipFile(download.path()) as archive:
            assert len(archive.namelist()) == 3
        assert page.evaluate("[...document.scripts].every(s => s.src)")  # no inline script on the page
    finally:
        page.context.close()


def test_the_county_exports_and_sees_a_refused_import_at_phone_size(app, db, area, browser, live_server):  # noqa: F811
    page = signed_in_phone(browser, live_server, area["users"]["county"])
    try:
        page.goto("/dashboard/")
        page.get_by_role("button", name="导出 Excel").tap()
        page.wait_for_url(re.compile(r"/jobs/[\w-]+$"))
        status = page.locator("#job-status")
        expect(status).to_have_attribute("data-status", "done", timeout=60_000)
        expect(status).to_contain_text("已导出 4 个站点")
        expect(status.locator("progress")).to_have_attribute("value", "100")  # the bar filled
        with page.expect_download() as info:
            status.get_by_role("link", name=re.compile("下载")).tap()
        assert info.value.suggested_filename.endswith(".xlsx")
        from openpyxl import load_workbook
        sheet = load_workbook(io.BytesIO(info.value.path().read_bytes())).active  # opens, filterable, with the money
        assert sheet.auto_filter.ref.startswith("A1:") and sheet.max_row == 5
        assert "奖补金额（元）" in [c.value for c in sheet[1]]
        page.goto("/dashboard/import")
        bad = "名称,类型,乡镇（街道）\n新庄村党群服务中心,村,不存在镇\n".encode()
        page.locator('input[type="file"]').set_input_files(
            {"name": "sites.csv", "mimeType": "text/csv", "buffer": bad})
        page.get_by_role("button", name="导入").tap()
        page.wait_for_url(re.compile(r"/jobs/[\w-]+$"))
        expect(status).to_have_attribute("data-status", "failed", timeout=60_000)
        expect(status.get_by_role("alert")).to_contain_text("一个站点也没有导入")
        expect(status.locator("table.problems")).to_contain_text("找不到乡镇")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.context.close()
