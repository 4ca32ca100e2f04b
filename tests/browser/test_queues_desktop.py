"""Each role's work in front of it, on a phone (390 px) and on the county's desktop (1366 px):
to-do lists linking to the work, the bell for a returned item, the review page with its photos,
and the county's wide pages (review, comparison, audit) without sideways scrolling at 360 px."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inspector.core.geo import Position
from inspector.services import evidence, inspections
from inspector import demo

from .. import factories, samples
from .conftest import PHONE

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
LONG = "龙固镇张庄村党群服务中心（新址·含便民服务大厅）"  # a long site name that must wrap by words, not by characters


def _fill(db, ins, spec, who):
    values = demo.demo_answers(spec, tier=ins.tier, site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(5))
    for item_id, value in values.items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=who)


@pytest.fixture
def world(app, db, specs):
    """A village's self-assessment and the inspector's completion acceptance (with photos) of one site,
    both submitted; a second village's self-assessment; no contractor account anywhere."""
    app.config["TODAY"] = date(2026, 11, 2)
    c = factories.county(db)
    site = factories.site(db, c["village_a"], name=LONG, tier="standard")
    site_b = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", tier="standard")
    w = {"site": site, "site_b": site_b,
         "village": factories.user(db, c["village_a"], username="v-zhang", role="village"),
         "village_b": factories.user(db, c["village_b"], username="v-wu", role="village"),
         "township": factories.user(db, c["town_a"], username="t-longgu", role="township"),
         "town_b": factories.user(db, c["town_b"], username="t-yangtun", role="township"),
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer")}
    spec = specs["build-standard"]
    own = inspections.start(session=db, site=site, spec=spec, purpose="self_assessment", tier="standard",
                            by=w["village"])
    _fill(db, own, spec, w["village"])
    inspections.submit(session=db, inspection=own, by=w["village"])
    other = inspections.start(session=db, site=site_b, spec=spec, purpose="self_assessment", tier="standard",
                              by=w["village_b"])
    _fill(db, other, spec, w["village_b"])
    inspections.submit(session=db, inspection=other, by=w["village_b"])
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier="standard",
                            by=w["inspector"])
    _fill(db, ins, spec, w["inspector"])
    for n, (width, height) in enumerate([(640, 480), (480, 800)]):
        evidence.attach_photo(session=db, inspection=ins, item_id="premises-exists",
                              data=samples.jpeg(width, height, color=(120 + n * 40, 150, 190)),
                              device=Position(34.87, 116.86, 8.0), by=w["inspector"],
                              media_root=Path(app.config["MEDIA_DIR"]), accuracy_limit_m=100)
    inspections.submit(session=db, inspection=ins, by=w["inspector"])
    db.commit()
    w.update(own=own, other=other, ins=ins)
    return w


def signed_in(browser, live_server, user, size: str):
    context = browser.new_context(base_url=live_server, **SIZES[size])
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("correct-horse-1")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("党群服务中心检查")
    return page


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def entry(page, queue: str, href: str):
    return page.locator(f'[data-queue="{queue}"] a[href="{href}"]')


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_each_roles_todo_list_leads_to_its_work_and_a_return_rings_the_inspectors_bell(browser, live_server,
                                                                                       world, size):
    ins, own, other = world["ins"], world["own"], world["other"]
    # the township: the village's self-assessment on the day it was submitted
    page = signed_in(browser, live_server, world["township"], size)
    link = entry(page, "review", f"/inspections/{own.id}/review")
    expect(link).to_contain_text("今天提交")
    link.click()
    expect(page.locator("h1")).to_contain_text("审核：")
    page.get_by_role("button", name="退回修改").scroll_into_view_if_needed()
    page.locator("textarea[name=general]").fill("请补拍活动室照片")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator(".flow .badge").first).to_have_text("已退回")
    page.context.close()

    # the village: its returned self-assessment, linking to the walk
    page = signed_in(browser, live_server, world["village"], size)
    returned = entry(page, "returned", f"/inspections/{own.id}")
    expect(returned).to_contain_text("请补拍活动室照片")
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    returned.click()
    expect(page).to_have_url(f"{live_server}/inspections/{own.id}")
    page.context.close()

    # the county: the acceptance to review, with its photos; returns one item
    page = signed_in(browser, live_server, world["county"], size)
    entry(page, "review", f"/inspections/{ins.id}/review").click()
    photos = page.locator('[data-item="premises-exists"] [data-photos] img')
    expect(photos).to_have_count(2)
    photos.first.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('[data-photos] img')].every(i => i.complete && i.naturalWidth > 0)")
    full = page.locator('[data-item="premises-exists"] [data-photos] a').first.get_attribute("href")
    assert page.request.get(full).headers["content-type"].startswith("image/")
    no_sideways_scroll(page)
    page.locator('textarea[name="reason-meeting-tidy"]').fill("会议室照片看不清，请补拍")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator(".flow .badge").first).to_have_text("已退回")
    page.context.close()

    # the inspector: the bell counts it, the list leads to the reasons, the queue to the walk
    page = signed_in(browser, live_server, world["inspector"], size)
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    expect(entry(page, "returned", f"/inspections/{ins.id}")).to_contain_text("会议室照片看不清")
    page.locator("[data-bell]").click()
    note = page.locator("[data-notification]").first
    expect(note).to_contain_text("竣工验收被退回修改（第 1 次，1 条原因）")
    no_sideways_scroll(page)
    note.get_by_role("button").click()
    expect(page).to_have_url(f"{live_server}/inspections/{ins.id}/summary")
    expect(page.locator("#flow")).to_contain_text("会议室照片看不清，请补拍")
    expect(page.locator("[data-bell-count]")).to_have_count(0)
    page.context.close()

    # another township sees the other village's submission, never this one
    page = signed_in(browser, live_server, world["town_b"], size)
    expect(entry(page, "review", f"/inspections/{other.id}/review")).to_be_visible()
    expect(page.locator(f'a[href="/inspections/{own.id}/review"]')).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_missing_contractor_is_named_at_the_top_and_signers_find_their_signature(browser, live_server,
                                                                                  world, size):
    ins = world["ins"]
    page = signed_in(browser, live_server, world["county"], size)
    page.goto(f"/inspections/{ins.id}/review")
    banner = page.locator("[data-missing-signers]")
    expect(banner).to_contain_text("施工方")
    assert banner.bounding_box()["y"] < 700  # at the top, not thousands of pixels down
    page.get_by_role("button", name="审核通过").click()  # approving without naming the contractor lead
    expect(page.locator("[data-review-error]")).to_contain_text("施工方")
    expect(page.locator("[data-review-error]")).to_be_in_viewport()  # the refusal is seen where the page opens
    banner = page.locator("[data-missing-signers]")
    banner.get_by_role("link").first.click()
    name = page.locator("input[name='named-contractor-lead-name']").first
    expect(name).to_be_in_viewport()
    name.fill("孙建国")
    page.locator("input[name='named-contractor-lead-role']").first.fill("施工方项目经理")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".flow .badge").first).to_have_text("已审核")
    page.goto("/")
    awaiting = entry(page, "awaiting", f"/inspections/{ins.id}/sign")
    expect(awaiting).to_contain_text("须现场手写签名")
    expect(entry(page, "sign", f"/inspections/{ins.id}/sign")).to_be_visible()  # the county signs too
    page.context.close()
    for who in ("township", "inspector"):
        page = signed_in(browser, live_server, world[who], size)
        entry(page, "sign", f"/inspections/{ins.id}/sign").click()
        expect(page.locator("h1")).to_have_text("竣工验收多方签字")
        if who == "inspector":  # the hand signature on the inspector's phone, one tap away
            expect(page.get_by_role("link", name="现场手写签名")).to_be_visible()
        page.context.close()


def test_the_county_pages_use_a_desktops_width_and_fit_a_360_px_phone(browser, live_server, world):
    county, ins = world["county"], world["ins"]
    pages = ["/compare/", f"/compare/site/{world['site'].id}", f"/inspections/{ins.id}/review", "/admin/audit"]
    desk = signed_in(browser, live_server, county, "desktop")
    for url in pages:
        desk.goto(url)
        width = desk.evaluate("document.querySelector('main').getBoundingClientRect().width")
        assert width >= 1300, (url, width)
        no_sideways_scroll(desk)
    desk.goto("/compare/")
    assert desk.locator("#compare-rows tr").first.evaluate("r => getComputedStyle(r).display") == "table-row"
    box = desk.locator("[data-list-filter]")
    expect(box).to_be_visible()  # the script's filter: typing narrows the table
    box.locator("[data-filter-text]").fill("不存在的站点")
    expect(desk.locator("#compare-rows tr:visible")).to_have_count(0)
    box.locator("[data-filter-text]").fill("张庄")
    expect(desk.locator("#compare-rows tr:visible")).to_have_count(1)
    desk.goto("/admin/audit")
    desk.locator("[data-sort-by]").select_option("at:asc")
    times = desk.locator("#audit-rows .audit-row time").evaluate_all("ts => ts.map(t => t.dataset.sortAt)")
    assert times == sorted(times)
    desk.context.close()

    small = dict(PHONE, viewport={"width": 360, "height": 740})
    context = browser.new_context(base_url=live_server, **small)
    phone = context.new_page()
    phone.goto("/login")
    phone.get_by_label("用户名").fill(county.username)
    phone.get_by_label("密码").fill("correct-horse-1")
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator("h1")).to_have_text("党群服务中心检查")
    for url in pages + ["/", "/notifications/"]:
        phone.goto(url)
        no_sideways_scroll(phone)
    phone.goto("/compare/")
    assert phone.locator("#compare-rows tr").first.evaluate("r => getComputedStyle(r).display") == "block"  # a card
    name = phone.locator(f'#compare-rows a:has-text("{LONG[:6]}")')
    box = name.bounding_box()
    assert box["width"] > 200, box  # the name runs along the card, not one character per line
    context.close()
