"""Moving through a long checklist on a phone (issue 15): section index, next unanswered, filters, the
finish button always in reach, and a submission that lists what is missing before it goes."""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from inspector.services import inspections
from inspector import demo

from .. import factories, samples
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser
SITE = (34.870000, 116.860000)


@pytest.fixture
def people(db):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    inspector = factories.user(db, c["county"], username="wangfang")
    db.commit()
    return site, inspector


def rooms(db, specs, people):
    """A fresh inspection of the function-rooms checklist (136 items, the largest)."""
    site, who = people
    ins = inspections.start(session=db, site=site, spec=specs["function-rooms"], purpose="inspection", tier=None,
                            by=who)
    db.commit()
    return ins


def first_open_item(specs, site_type="village"):
    spec = specs["function-rooms"]
    return next(i for i in spec.items() if i.applies(None, site_type))


def in_view(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height + 1


def test_a_long_checklist_opens_section_by_section_with_an_index_and_next_unanswered(browser, live_server, db,
                                                                                    specs, people):
    ins = rooms(db, specs, people)
    page = signed_in_phone(browser, live_server, people[1], position=SITE, open_all=False)
    page.goto(f"/inspections/{ins.id}")
    sections = page.locator("details.section")
    count = sections.count()
    assert count == len(specs["function-rooms"].sections)
    # closed sections hold no items yet; each says where its items come from (the offline copy caches it)
    expect(page.locator("article.item")).to_have_count(0)
    urls = [sections.nth(i).get_attribute("data-section-url") for i in range(count)]
    assert urls == [f"/inspections/{ins.id}/sections/{i}" for i in range(1, count + 1)]
    assert page.evaluate("document.querySelectorAll('*').length") < 1000

    # the finish button is on screen at the top and after scrolling
    finish = page.get_by_role("link", name="完成检查，查看结果")
    assert in_view(page, finish)

    # the index jumps to a section and opens it
    page.locator(".toc > summary").tap()
    page.locator(".toc").get_by_role("link", name=re.compile("图书阅览室")).tap()
    library = page.locator("#sec-4")
    expect(library).to_have_attribute("open", "")
    expect(library.locator("article.item")).to_have_count(9)
    expect(library.locator("h2")).to_be_in_viewport()
    assert in_view(page, finish)

    # next unanswered from here: the first item of the next section, loaded when needed
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="下一个未查项").tap()
    first = first_open_item(specs)
    item = page.locator(f"#item-{first.id}")
    expect(item).to_be_in_viewport()
    expect(item).to_be_focused()
    item.locator(".seg-pass").tap()
    expect(item.locator(".saved")).to_contain_text("已保存")
    expect(page.locator("#sec-1 [data-sec-count]")).to_have_text(re.compile(r"^1/\d+$"))
    page.get_by_role("button", name="下一个未查项").tap()
    second = page.locator("#sec-1 article.item").nth(1)
    expect(second).to_be_in_viewport()
    expect(second).to_be_focused()
    # no device id travels in an address, to the summary or anywhere
    finish.tap()
    expect(page.locator("h1")).to_have_text("检查结果")
    assert "device_id" not in page.url
    page.context.close()


def test_open_all_is_the_phones_choice_for_every_walk_page(browser, live_server, db, specs, people):
    ins = rooms(db, specs, people)
    page = signed_in_phone(browser, live_server, people[1], position=SITE, open_all=False)
    page.goto(f"/inspections/{ins.id}")
    sections = page.locator("details.section")
    expect(page.locator("article.item")).to_have_count(0)
    button = page.get_by_role("button", name="全部展开")
    button.tap()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("details.section[open][data-loaded]")).to_have_count(sections.count())
    total = sum(1 for i in specs["function-rooms"].items() if i.applies(None, "village"))
    expect(page.locator("article.item")).to_have_count(total)
    page.reload()  # kept on the phone: the next walk page opens whole
    expect(page.locator("details.section[open][data-loaded]")).to_have_count(sections.count())
    expect(page.get_by_role("button", name="全部展开")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="全部展开").tap()  # and folded again
    expect(page.locator("details.section[open]")).to_have_count(0)
    page.reload()
    expect(page.locator("details.section[open]")).to_have_count(0)
    page.context.close()


def test_filters_show_unanswered_failed_and_photo_missing_items(browser, live_server, db, specs, people):
    ins = rooms(db, specs, people)
    spec = specs["function-rooms"]
    applicable = [i for i in spec.items() if i.applies(None, "village")]
    checks = [i for i in applicable if i.kind == "check"]
    failed, passed = checks[0], checks[1:4]
    for it in passed:
        inspections.record_answer(session=db, inspection=ins, item_id=it.id, raw="pass", note=None, by=people[1])
    inspections.record_answer(session=db, inspection=ins, item_id=failed.id, raw="fail", note=None, by=people[1])
    db.commit()
    page = signed_in_phone(browser, live_server, people[1], position=SITE, open_all=False)
    page.goto(f"/inspections/{ins.id}")

    page.get_by_role("button", name=re.compile("^不合格")).tap()
    expect(page.get_by_role("button", name=re.compile("^不合格"))).to_have_attribute("aria-pressed", "true")
    expect(page.locator("article.item:visible")).to_have_count(1)
    expect(page.locator(f"#item-{failed.id}")).to_be_visible()
    expect(page.locator(f"#item-{failed.id} .result")).to_have_text("不符合")

    page.get_by_role("button", name=re.compile("^未答")).tap()
    expect(page.locator("article.item:visible")).to_have_count(len(applicable) - 4)
    for it in passed:
        expect(page.locator(f"#item-{it.id}")).to_be_hidden()

    need_photos = [i for i in applicable if i.evidence.photos]
    page.get_by_role("button", name=re.compile("^缺照片")).tap()
    expect(page.locator("article.item:visible")).to_have_count(len(need_photos))
    expect(page.locator("article.item:visible .photo-need").first).to_contain_text("照片 0/")

    page.get_by_role("button", name="全部", exact=True).tap()
    expect(page.locator("article.item:visible")).to_have_count(len(applicable))
    page.context.close()


def test_submit_lists_missing_photos_and_asks_to_confirm(browser, live_server, db, specs, people):
    site, who = people
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=who)
    values = demo.demo_answers(spec, tier="standard", site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(3))
    for item_id, value in values.items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note="已核实", by=who)
    db.commit()
    need = [i for i in spec.items() if i.applies("standard", "village") and i.evidence.photos
            and values.get(i.id) != "na"]
    page = signed_in_phone(browser, live_server, who, position=SITE)
    page.goto(f"/inspections/{ins.id}/summary")
    expect(page.locator("[data-submit-check]")).to_contain_text("缺少照片")
    page.get_by_role("button", name="提交检查结果").tap()
    expect(page.locator("h1")).to_have_text("确认提交")
    missing = page.locator("[data-missing-photos]")
    expect(missing).to_contain_text(f"（{len(need)} 项）")
    expect(missing.locator("li")).to_have_count(len(need))
    assert db.get(type(ins), ins.id).status == "draft"
    link = missing.locator("a").first.get_attribute("href")
    page.get_by_role("button", name="确认提交").tap()
    expect(page.locator(".flash")).to_contain_text("已提交")
    db.expire_all()
    assert db.get(type(ins), ins.id).status == "submitted"
    # an item of the list, followed from it: the page opens at that item
    page.goto(link)
    expect(page.locator(f"#item-{need[0].id}")).to_be_in_viewport()
    page.context.close()


def test_photo_flag_reasons_are_text_on_the_item(browser, live_server, db, specs, people, tmp_path):
    site, who = people
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=who)
    db.commit()
    page = signed_in_phone(browser, live_server, who, position=SITE)
    page.goto(f"/inspections/{ins.id}")
    old = (datetime.now(timezone(timedelta(hours=8))) - timedelta(days=40)).strftime("%Y:%m:%d %H:%M:%S")
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(samples.jpeg(lat=SITE[0], lon=SITE[1], taken=old))
    item = page.locator("#item-premises-exists")
    item.locator("input[type=file]").set_input_files(str(photo))
    flag = item.locator(".thumbs .flag")
    expect(flag).to_have_count(1)
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("照片拍摄时间比手机采集时间早")  # the reason itself (EXIF against the capture time), not a hover tooltip
    assert flag.get_attribute("title") is None
    page.context.close()
