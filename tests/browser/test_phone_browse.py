"""A county officer on a phone: finds a site, opens it, reviews what the build standard checks."""
import pytest
from playwright.sync_api import expect

from inspector import demo

pytestmark = pytest.mark.browser


@pytest.fixture
def county(db, specs):
    demo.load(session=db, specs=specs)
    db.commit()


def test_find_a_site_and_review_the_checklist_on_a_phone(phone, county, tmp_path):
    phone.goto("/")
    expect(phone.locator("h1")).to_have_text("党群服务中心检查")
    phone.get_by_role("link", name="登录").first.tap()
    phone.get_by_label("用户名").fill("county")
    phone.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").tap()
    expect(phone.locator(".tiles")).to_contain_text("20")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    nav = phone.get_by_role("link", name="站点", exact=True)
    assert nav.bounding_box()["height"] >= 44  # a thumb can hit it
    nav.tap()
    expect(phone.locator("#site-results")).to_contain_text("共 20 个站点")
    # htmx has set up the boosted page's search box (its trigger), as it has by the time a person types
    phone.wait_for_function("""() => { const i = document.querySelector("input[type=search], [placeholder='按名称或地址搜索']");
        return !!(i && i['htmx-internal-data'] && i['htmx-internal-data'].initHash); }""")
    phone.get_by_placeholder("按名称或地址搜索").fill("龙固村")
    expect(phone.locator("#site-results")).to_contain_text("共 1 个站点")  # htmx swapped the results in
    assert "q=" in phone.url  # the search is in the address bar, so reload and share keep it
    card = phone.get_by_role("link", name="龙固村党群服务中心")
    assert card.bounding_box()["height"] >= 44
    card.tap()
    expect(phone.locator("h1")).to_have_text("龙固村党群服务中心")
    expect(phone.locator(".crumbs")).to_contain_text("龙固镇")

    phone.get_by_role("link", name="清单", exact=True).tap()
    expect(phone.locator("h1")).to_have_text("检查清单")
    phone.get_by_role("link", name="十二个一").tap()
    expect(phone.locator("body")).to_contain_text("≥ 600 m²")
    phone.wait_for_function("() => window.inspectorAppReady === true")  # the swapped-in app.js runs the select
    phone.get_by_label("等级").select_option("standard")
    expect(phone.locator("body")).to_contain_text("≥ 400 m²")
    expect(phone.locator("body")).to_contain_text("《振兴重点村党群服务中心建设项目实施方案》")
    cite = phone.locator("details.cite").first
    cite.locator("summary").tap()  # a tap opens the document's record (issue 16)
    expect(cite.locator(".cite-record")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text(".txt")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "phone-checklist.png"), full_page=False)
