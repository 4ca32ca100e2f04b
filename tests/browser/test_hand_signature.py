"""A contractor's lead without an account signs the acceptance by hand on the inspector's phone."""
from __future__ import annotations

import random
import re
import subprocess
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspector.models import Inspection, SignOff
from inspector.services import inspections, workflow
from inspector import demo

from .. import factories
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser


def test_contractor_lead_signs_on_the_inspectors_phone_and_the_signature_is_on_the_pdf(
        app, browser, live_server, db, specs, tmp_path):
    app.config["TODAY"] = date(2026, 11, 2)
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    township = factories.user(db, c["town_a"], username="t-longgu", role="township")
    inspector = factories.user(db, c["county"], username="i-wang", role="inspector")
    county = factories.user(db, c["county"], username="c-chen", role="county_reviewer")
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier="standard",
                            by=inspector)
    for item_id, value in demo.demo_answers(spec, tier="standard", site_type="village", pass_rate=1.0, share=1.0,
                                            rnd=random.Random(3)).items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=inspector)
    inspections.submit(session=db, inspection=ins, by=inspector)
    db.commit()

    # the county names the signers: accounts for the township and the team, the contractor's lead by name
    page = signed_in_phone(browser, live_server, county)
    page.goto(f"/inspections/{ins.id}/review")
    expect(page.locator("[data-decision-headline]")).to_have_text("验收合格")
    page.locator(f"input[name='signer-township-staff'][value='{township.id}']").check()
    page.locator("input[name='named-contractor-lead-name']").fill("孙建国")
    page.locator("input[name='named-contractor-lead-role']").fill("沛县建工集团 项目负责人")
    page.get_by_role("button", name="审核通过").tap()
    expect(page.locator(".flow .badge").first).to_have_text("已审核")
    page.context.close()

    # on site, the inspector hands the phone to the contractor's lead, who draws a signature
    page = signed_in_phone(browser, live_server, inspector, position=(34.8702, 116.8601), accuracy=6)
    page.goto(f"/inspections/{ins.id}/sign")
    page.get_by_role("link", name="现场手写签名").tap()
    expect(page.locator("[data-signer-name]")).to_have_text("孙建国")
    expect(page.locator("[data-geo-status]")).to_contain_text("定位 ±6 米")
    pad = page.locator("[data-signature-pad]")
    box = pad.bounding_box()
    assert box["width"] <= 390  # fits the phone
    page.get_by_role("button", name="确认签名").tap()  # nothing drawn yet: refused on the phone
    expect(page.locator("[data-geo-status]")).to_have_text("请先在框内手写签名")
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for n in range(1, 25):
        page.mouse.move(x + w * (0.1 + 0.033 * n), y + h * (0.3 if n % 2 else 0.75), steps=2)
    page.mouse.up()
    page.get_by_role("button", name="确认签名").tap()
    expect(page.locator(".flash")).to_have_text("孙建国 已手写签名")
    row = page.locator("tr", has_text="孙建国")
    expect(row.locator("[data-signed=yes]")).to_contain_text("手写签名 · 34.87020, 116.86010")
    db.expire_all()
    signed = db.exec(select(SignOff).where(SignOff.inspection_id == ins.id, SignOff.user_id.is_(None))).one()
    assert signed.image_sha256 and signed.method == "handwritten" and round(signed.lat, 4) == 34.8702

    # the account holders sign with their passwords; then the acceptance stands
    for who in (township, inspector, county):
        workflow.sign(session=db, inspection=db.get(Inspection, ins.id), by=who, password="correct-horse-1")
    db.commit()
    assert db.get(Inspection, ins.id).status == "accepted"

    pdf = page.request.get(f"/inspections/{ins.id}/reports/acceptance?format=pdf")
    assert pdf.ok
    path = tmp_path / "acceptance.pdf"
    path.write_bytes(pdf.body())
    page.context.close()
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "孙建国（现场手写签名，位置34.87020,116.86010）" in text
    assert "施工方负责人" in text and "沛县建工集团项目负责人" in text and "验收合格" in text and "600,000元" in text
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    sizes = [line.split()[3:5] for line in listing.splitlines()[2:] if line.strip()]
    assert ["700", "280"] in sizes, listing  # the canvas drawing, at its own size, embedded in the PDF
    assert re.search(signed.image_sha256[:16], text)
