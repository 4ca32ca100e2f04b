"""One site from village self-assessment to an accepted completion acceptance, a phone per role."""
from __future__ import annotations

import random
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from inspector.models import Inspection
from inspector.services import inspections
from inspector import demo

from .. import factories
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser
LAST = "premises-exists"  # the item each author answers on the phone before submitting


def phone_as(browser, live_server, user):
    """A signed-in phone-sized page for one user."""
    return signed_in_phone(browser, live_server, user)


def prefill(db, ins, spec, who, *, fail=()):
    """Answer every applicable item except LAST through the service (the phone answers LAST)."""
    values = demo.demo_answers(spec, tier=ins.tier, site_type="village", pass_rate=1.0, share=1.0,
                               rnd=random.Random(3))
    for item_id, value in values.items():
        if item_id == LAST:
            continue
        if item_id in fail:
            value = "fail"
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=who)
    db.commit()


def answer_last_and_submit(page, ins_id):
    page.goto(f"/inspections/{ins_id}")
    page.locator(f"#item-{LAST} .seg-pass").tap()
    expect(page.locator(f"#item-{LAST} .saved")).to_contain_text("已保存")
    page.get_by_role("link", name="完成检查，查看结果").tap()
    page.get_by_role("button", name="提交检查结果").tap()
    expect(page.locator("[data-missing-photos]")).to_contain_text("缺少照片")  # issue 15: confirm what is missing
    page.get_by_role("button", name="确认提交").tap()
    expect(page.locator(".flow .badge").first).to_have_text(re.compile("已提交|已重新提交"))


def test_self_assessment_inspection_return_resubmit_approve_and_every_signature(app, browser, live_server, db,
                                                                               specs):
    app.config["TODAY"] = date(2026, 11, 2)
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    village = factories.user(db, c["village_a"], username="v-zhang", role="village")
    township = factories.user(db, c["town_a"], username="t-longgu", role="township")
    inspector = factories.user(db, c["county"], username="i-wang", role="inspector")
    county = factories.user(db, c["county"], username="c-chen", role="county_reviewer")
    contractor = factories.user(db, c["village_a"], username="k-sun", role="contractor")
    spec = specs["build-standard"]

    # 1. the village self-assesses and submits; its township approves
    own = inspections.start(session=db, site=site, spec=spec, purpose="self_assessment", tier="standard", by=village)
    prefill(db, own, spec, village)
    page = phone_as(browser, live_server, village)
    answer_last_and_submit(page, own.id)
    page.context.close()
    page = phone_as(browser, live_server, township)
    page.goto(f"/inspections/{own.id}/summary")
    page.get_by_role("link", name="审核（退回或通过）").tap()
    page.get_by_role("button", name="审核通过").tap()
    expect(page.locator(".flow .badge").first).to_have_text("已审核")
    page.context.close()

    # 2. the inspector's completion acceptance, submitted from the phone
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier="standard",
                            by=inspector)
    prefill(db, ins, spec, inspector)
    page = phone_as(browser, live_server, inspector)
    answer_last_and_submit(page, ins.id)
    page.context.close()

    # 3. the county returns it with a reason on one item
    page = phone_as(browser, live_server, county)
    page.goto(f"/inspections/{ins.id}/review")
    page.locator("textarea[name='reason-hall-area']").fill("大厅面积与图纸不符，请复测")
    page.get_by_role("button", name="退回修改").tap()
    expect(page.locator(".flow .badge").first).to_have_text("已退回")
    page.context.close()

    # 4. the inspector sees the reason on the item, re-measures and resubmits
    page = phone_as(browser, live_server, inspector)
    page.goto(f"/inspections/{ins.id}")
    hall = page.locator("#item-hall-area")
    expect(hall.locator(".returned-reason")).to_contain_text("大厅面积与图纸不符，请复测")
    hall.locator("input[name=value]").fill("88")
    hall.locator("input[name=value]").blur()
    expect(hall.locator(".saved")).to_contain_text("已保存")
    page.get_by_role("link", name="完成检查，查看结果").tap()
    page.get_by_role("button", name="提交检查结果").tap()
    page.get_by_role("button", name="确认提交").tap()  # issue 15: photos are missing, confirmed
    expect(page.locator(".flow .badge").first).to_have_text("已重新提交")
    page.context.close()

    # 5. the county approves and names the signers
    page = phone_as(browser, live_server, county)
    page.goto(f"/inspections/{ins.id}/review")
    page.locator(f"input[name='signer-township-staff'][value='{township.id}']").check()
    page.locator(f"input[name='signer-contractor-lead'][value='{contractor.id}']").check()
    team = page.locator("input[name='signer-acceptance-team']")
    expect(team.and_(page.locator(f"[value='{inspector.id}']"))).to_be_checked()  # the author is pre-ticked
    expect(team.and_(page.locator(f"[value='{county.id}']"))).to_be_checked()  # and the reviewer
    page.get_by_role("button", name="审核通过").tap()
    expect(page.locator(".flow .badge").first).to_have_text("已审核")
    expect(page.get_by_role("link", name="多方签字（0/4）")).to_be_visible()
    page.context.close()

    # 6. each party signs with their own password; the last signature makes it stand
    for n, who in enumerate((township, inspector, county, contractor)):
        page = phone_as(browser, live_server, who)
        page.goto(f"/inspections/{ins.id}/sign")
        expect(page.locator("[data-signed=yes]")).to_have_count(n)
        page.locator("input[name=password]").fill("wrong-password-x")
        page.get_by_role("button", name="确认签字").tap()
        expect(page.locator(".error")).to_have_text("密码不正确，未签字")
        page.locator("input[name=password]").fill("correct-horse-1")
        page.get_by_role("button", name="确认签字").tap()
        expect(page.locator(".flash")).to_have_text("签字完成，各方均已签字，竣工验收生效" if who is contractor
                                                    else "已签字")
        page.context.close()

    db.expire_all()
    done = db.get(Inspection, ins.id)
    assert done.status == "accepted" and done.accepted_at is not None
    page = phone_as(browser, live_server, county)
    page.goto(f"/inspections/{ins.id}/sign")
    expect(page.locator("[data-signed=yes]")).to_have_count(4)
    expect(page.locator(".badge.status-accepted")).to_have_text("已验收")
    page.goto(f"/inspections/{ins.id}/summary")
    expect(page.locator(".timeline li")).to_have_count(10)  # start, submit, return, submit, approve, 4 signs, accept
    page.context.close()
