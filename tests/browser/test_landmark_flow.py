"""A red-landmark application on phones, from the village to the award, one user per role.

Dates by hand against the 2026 schedule: 10 working days after Tue 09-01 is Tue 09-15; after Tue 09-08
it is Mon 09-21 (Sunday 09-20 is a make-up working day); received 09-15 + 30 days is 10-15; a 7-working-day
notice from Mon 09-28 ends Mon 10-12 (National Day 10-01…10-07 off, Saturday 10-10 worked).
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspector.models import Inspection, RedLandmarkApplication
from inspector.services import inspections

from .. import factories, samples
from ..test_landmark import PDF, answer_all
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser
SITE = (34.870000, 116.860000)


@pytest.fixture
def county(app, db, specs):
    """A village site with a submitted red-landmark self-assessment and an approved passing acceptance."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    people = {
        "village": factories.user(db, c["village_a"], username="zhangzhuang", role="village"),
        "township": factories.user(db, c["town_a"], username="longgu", role="township"),
        "county": factories.user(db, c["county"], username="county", role="county_reviewer"),
        "city": factories.user(db, c["city"], username="city", role="city_reviewer"),
        "inspector": factories.user(db, c["county"], username="inspector1", role="inspector"),
    }
    sa = inspections.start(session=db, site=site, spec=specs["red-landmark"], purpose="self_assessment", tier=None,
                           by=people["village"])
    sa.status = "submitted"
    proof = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="completion_acceptance",
                              tier="standard", by=people["inspector"])
    proof.status, proof.verdict, proof.score = "approved", "pass", 92.0
    db.commit()
    return site, people, proof


def phone_as(browser, live_server, user, *, position=None):
    """A signed-in phone for one user (with its position granted, when given)."""
    return signed_in_phone(browser, live_server, user, position=position)


def step(page, name):
    return page.locator(f'[data-step="{name}"]')


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def attach_evidence(page, tmp_path):
    """4.2 a–c each with a file (photos and a PDF), and the town ranking's document (5.13, entered)."""
    for key, name, data in (("a", "班子名单.jpg", samples.jpeg(color=(160, 40, 40))), ("b", "挂牌照片.jpg", samples.jpeg()),
                            ("c", "情况说明.pdf", PDF), ("rank", "镇考核排名.pdf", PDF)):
        path = tmp_path / name
        path.write_bytes(data)
        page.locator(f'input[name="evidence_{key}"]').set_input_files(str(path))


def test_from_village_to_award_on_phones(app, browser, live_server, db, county, specs, tmp_path):
    site, people, proof = county
    app.config["TODAY"] = date(2026, 9, 1)

    # the village applies; forgetting 4.2 c) is refused, naming the clause
    village = phone_as(browser, live_server, people["village"])
    village.goto("/landmark/")
    village.get_by_role("link", name="申报红色地标").tap()
    expect(village.locator("h1")).to_have_text("申报红色地标（2026 年）")
    expect(village.get_by_role("link", name=f"第 {proof.id} 号竣工验收")).to_be_visible()
    village.get_by_role("checkbox", name=re.compile(r"^a\)")).check()
    village.get_by_label("挂牌运行起始日期（需满 1 年）").fill("2025-08-01")
    village.get_by_label("名次").fill("2")
    village.get_by_label("参评村（社区）数").fill("12")
    attach_evidence(village, tmp_path)
    village.get_by_role("button", name="提交申报").tap()
    expect(village.locator(".error")).to_contain_text("不符合申报条件 4.2 c)")
    assert db.exec(select(RedLandmarkApplication)).all() == []
    expect(village.get_by_role("checkbox", name=re.compile(r"^a\)"))).to_be_checked()  # what was entered stays
    village.get_by_role("checkbox", name=re.compile(r"^c\)")).check()
    attach_evidence(village, tmp_path)  # a refused form keeps what was typed, but a browser never keeps files
    village.get_by_role("button", name="提交申报").tap()
    expect(village.locator("[data-status]")).to_have_text("待乡镇推荐")
    expect(step(village, "township_recommend").locator("[data-due]")).to_have_text("2026-09-15")
    expect(step(village, "township_recommend").locator("[data-countdown]")).to_have_text("剩 14 天")
    assert fits_the_phone(village)
    application = db.exec(select(RedLandmarkApplication)).one()
    url = f"/landmark/{application.id}"

    # the township recommends with its report
    app.config["TODAY"] = date(2026, 9, 8)
    township = phone_as(browser, live_server, people["township"])
    township.goto("/landmark/")
    township.get_by_role("link", name=re.compile("张庄村党群服务中心 · 2026 年")).tap()
    township.get_by_label(re.compile("申请报告")).fill("张庄村党组织班子健全，服务规范，群众满意，特推荐。")
    township.get_by_role("button", name="推荐并提交申请报告").tap()
    expect(township.locator("[data-status]")).to_have_text("待县级推荐")
    expect(step(township, "county_recommend").locator("[data-due]")).to_have_text("2026-09-21")
    expect(step(township, "township_recommend").locator("[data-report]")).to_contain_text("特推荐")

    # the county verifies, ranks the county's applications and recommends the best (7.2 择优推荐)
    app.config["TODAY"] = date(2026, 9, 14)
    county_phone = phone_as(browser, live_server, people["county"])
    county_phone.goto(url)
    county_phone.get_by_role("link", name=re.compile("择优推荐")).tap()
    expect(county_phone.get_by_label("张庄村党群服务中心的名次")).to_have_value("1")
    county_phone.get_by_label("推荐张庄村党群服务中心").check()
    county_phone.get_by_label(re.compile("县级推荐意见")).fill("经核实，材料齐全属实，同意推荐。")
    assert fits_the_phone(county_phone)
    county_phone.get_by_role("button", name="确认排序并推荐至市委组织部").tap()
    expect(county_phone.locator(".flash")).to_contain_text("已完成县级择优推荐")
    expect(county_phone.get_by_text("2026 年没有待县级推荐的申报。")).to_be_visible()
    county_phone.goto(url)
    expect(county_phone.locator("[data-status]")).to_have_text("待市级收件")

    # the city receives (30 days from today), starts its evaluation at the site
    app.config["TODAY"] = date(2026, 9, 15)
    city = phone_as(browser, live_server, people["city"], position=SITE)
    city.goto(url)
    expect(city.get_by_label("收到县级推荐材料的日期")).to_have_value("2026-09-15")
    city.get_by_role("button", name="登记收件").tap()
    expect(city.locator("[data-review-due]")).to_have_text("2026-10-15")
    expect(step(city, "city_review").locator("[data-due]")).to_have_text("2026-10-15")
    expect(step(city, "city_review").locator("[data-countdown]")).to_have_text("剩 30 天")
    expect(city.locator("[data-geo-status]")).to_contain_text("定位 ±8 米")
    city.get_by_role("button", name=re.compile("开始评定检查")).tap()
    expect(city).to_have_url(re.compile(r"/inspections/\d+$"))
    db.expire_all()
    evaluation = db.get(Inspection, db.exec(select(RedLandmarkApplication)).one().evaluation_id)
    assert evaluation.purpose == "red_landmark" and evaluation.start_flags == []  # started inside the geofence
    answer_all(db, evaluation, specs["red-landmark"], people["city"])  # the walk itself is tested elsewhere
    inspections.submit(session=db, inspection=evaluation, by=people["city"])
    db.commit()

    # the result goes to the department meeting (部务会审定, 7.4), then is noticed for 7 working days
    app.config["TODAY"] = date(2026, 9, 25)
    city.goto(url)
    city.get_by_role("button", name="记录评审结果，报部务会审定").tap()
    expect(city.locator("[data-status]")).to_have_text("待部务会审定")
    app.config["TODAY"] = date(2026, 9, 28)
    city.goto(url)
    city.get_by_label("部务会日期", exact=True).fill("2026-09-25")
    city.get_by_label("会议纪要号").fill("市委组织部部务会纪要〔2026〕18号")
    expect(city.get_by_label(re.compile("公示开始日期"))).to_have_value("2026-09-28")
    city.get_by_label(re.compile("监督电话")).fill("0516-12345678")
    city.get_by_role("button", name="审定通过并公示").tap()
    expect(city.locator("[data-status]")).to_have_text("公示中")
    expect(city.locator("[data-meeting]")).to_contain_text("市委组织部部务会纪要〔2026〕18号")
    expect(city.locator("[data-notice-start]")).to_have_text("2026-09-28")
    expect(city.locator("[data-notice-end]")).to_have_text("2026-10-12")
    expect(step(city, "notice").locator("[data-due]")).to_have_text("2026-10-12")
    expect(city.get_by_text("公示期满（2026-10-12）后方可命名")).to_be_visible()

    # after the period, with no objection, the title is awarded by document
    app.config["TODAY"] = date(2026, 10, 13)
    city.goto(url)
    city.get_by_label(re.compile("命名文件文号")).fill("徐组通〔2026〕25号")
    expect(city.get_by_label("命名日期")).to_have_value("2026-10-13")
    city.get_by_role("button", name="授予“红色地标”命名").tap()
    expect(city.locator("[data-status]")).to_have_text("已命名“红色地标”")
    expect(city.locator("[data-award-number]")).to_have_text("徐组通〔2026〕25号")
    assert fits_the_phone(city)

    village.goto(url)
    expect(village.locator("[data-award-date]")).to_have_text("2026-10-13")
    expect(village.get_by_role("button", name=re.compile("命名"))).to_have_count(0)  # no city forms for a village
