"""Issue 14 point 5: the pages run under the CSP (no inline scripts): no violation is reported and
behaviour moved out of inline handlers still works."""
import pytest
from playwright.sync_api import expect

from inspector import demo

pytestmark = pytest.mark.browser


def test_pages_meet_the_csp_and_select_autosubmit_still_works(phone, db, specs):
    demo.load(session=db, specs=specs)
    db.commit()
    violations = []
    phone.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    phone.goto("/login")
    phone.get_by_label("用户名").fill("county")
    phone.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").tap()
    expect(phone.locator(".tiles")).to_contain_text("20")
    header = phone.request.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in header and "unsafe-inline" not in header.split("script-src")[1].split(";")[0]
    for path in ("/sites/", "/checklists/", "/dashboard/", "/landmark/", "/micro/", "/compare/"):
        phone.goto(path)
    phone.goto("/checklists/")
    phone.locator("a[href='/checklists/build-standard']").first.tap()  # hx-boost: app.js comes with the swap
    phone.wait_for_url("**/checklists/build-standard")
    phone.wait_for_function("() => window.inspectorAppReady === true")  # the swapped-in script has run
    phone.locator("select[name=tier]").select_option("upgrade")
    phone.wait_for_url("**tier=upgrade**")
    assert violations == []
