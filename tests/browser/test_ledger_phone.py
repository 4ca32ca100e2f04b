"""The ledger on a phone (390 × 844): a community worker records a member's activity with a photo from the
nav, and the member's tally against seed 004's rule changes on screen."""
from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspector.models import LedgerActivity, LedgerMember, LedgerUnit

from .. import factories, samples
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def community(app, db):
    c = factories.county(db)
    site = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    worker = factories.user(db, c["village_b"], username="c-wu", role="village")
    unit = LedgerUnit(county_id=c["county"].id, name="沛县财政局", county_department=True)
    db.add(unit)
    db.flush()
    member = LedgerMember(site_id=site.id, unit_id=unit.id, name="王明", phone="13905160001", service_post="政策宣讲",
                          reported_on=date(2026, 5, 10), pair_name="李秀英", created_by_id=worker.id)
    db.add(member)
    db.commit()
    app.config["TODAY"] = date(2026, 7, 15)
    return site, worker, member


def test_community_worker_records_an_activity_with_a_photo_and_the_tally_changes(browser, live_server, community, db,
                                                                                  tmp_path):
    site, worker, member = community
    page = signed_in_phone(browser, live_server, worker)
    page.get_by_role("link", name="在职党员台账").tap()
    expect(page.locator("h1")).to_have_text("吴庄社区党群服务中心")  # one community: straight to it
    expect(page.locator("#short")).to_contain_text("还差 2 次或 8 小时")
    page.get_by_role("link", name="王明").first.tap()
    expect(page.locator("h1")).to_have_text("王明")
    service = page.locator('[data-rule="service"]')
    expect(service).to_contain_text("0 次 / 0 小时")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    photo = tmp_path / "activity.jpg"
    photo.write_bytes(samples.jpeg())
    page.get_by_label("活动日期").fill("2026-07-12")
    page.get_by_label("活动类型").select_option(label="岗位服务")
    page.get_by_label("时长（小时）").fill("3")
    page.get_by_label("说明").fill("社区政策宣讲")
    page.get_by_label("照片").set_input_files(str(photo))
    page.get_by_role("button", name="保存活动").tap()

    expect(service).to_contain_text("1 次 / 3 小时")
    expect(service).to_contain_text("还差 1 次或 5 小时")
    expect(page.locator(".lg-acts img")).to_have_count(1)
    page.wait_for_function("() => { const i = document.querySelector('.lg-acts img'); "
                           "return i && i.complete && i.naturalWidth > 0; }")

    page.get_by_label("活动日期").fill("2026-07-13")
    page.get_by_label("时长（小时）").fill("1")
    page.get_by_role("button", name="保存活动").tap()
    expect(service).to_contain_text("2 次 / 4 小时")
    expect(service).to_have_class("lg-check met")
    db.expire_all()
    rows = db.exec(select(LedgerActivity).order_by(LedgerActivity.id)).all()
    assert [(r.on, r.minutes, bool(r.photo)) for r in rows] == [(date(2026, 7, 12), 180, True),
                                                                (date(2026, 7, 13), 60, False)]
    page.context.close()
