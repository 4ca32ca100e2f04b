"""Every page on a 360 px phone: nothing scrolls sideways, and axe-core finds no accessibility violation (issue 15).

axe-core comes from npm (package.json, installed by ./dev.sh setup like htmx) and is injected from
node_modules/axe-core/axe.min.js into each page after it has loaded.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspector.models import Inspection, Report, Site
from inspector.services import inspections, users
from inspector import demo

from .conftest import PHONE

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
NARROW = dict(PHONE, viewport={"width": 360, "height": 740}, bypass_csp=True)  # lets axe be injected



@pytest.fixture
def county(db, specs):
    """The demo county: sites, inspections in every state, one approved acceptance."""
    demo.load(session=db, specs=specs)
    db.commit()
    return db


def sign_in(browser, live_server, username):
    context = browser.new_context(base_url=live_server, **NARROW)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page.locator("h1")).to_have_text("党群服务中心检查")
    return page


def overflow(page) -> list[str]:
    """What sticks out to the right of a 360 px screen (empty when the page fits)."""
    return page.evaluate("""() => {
      const w = document.documentElement.clientWidth, out = [];
      if (document.documentElement.scrollWidth <= w) return out;
      document.querySelectorAll('body *').forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.right > w + 1 && r.width > 0) out.push((el.textContent || '').trim().slice(0, 12) + ' ' + el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' → ' + Math.round(r.right) + 'px');
      });
      return out.length ? out.slice(0, 8) : ['scrollWidth ' + document.documentElement.scrollWidth];
    }""")


def axe(page) -> list[str]:
    """axe-core's violations on the page as it is now: rule, impact and the first nodes."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => { const r = await axe.run(document); return r.violations.map(v => "
                           "({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),"
                           " count: v.nodes.length})); }")
    return [f"{v['id']} ({v['impact']}, {v['count']}×): {json.dumps(v['nodes'], ensure_ascii=False)}" for v in result]


def pages(db, specs) -> dict[str, dict[str, str]]:
    """The main pages of the demo county, by the user who sees them, by name."""
    site = db.exec(select(Site).order_by(Site.id)).first()
    draft = db.exec(select(Inspection).where(Inspection.status == "draft", Inspection.purpose == "inspection")
                    .order_by(Inspection.id)).first()
    approved = db.exec(select(Inspection).where(Inspection.status == "approved")).first()
    submitted = db.exec(select(Inspection).where(Inspection.status == "submitted").order_by(Inspection.id)).first()
    who = users.by_username(session=db, username="inspector")
    rooms = inspections.start(session=db, site=db.get(Site, draft.site_id), spec=specs["function-rooms"],
                              purpose="inspection", tier=None, by=who)
    db.commit()
    return {
        "inspector": {
            "home": "/", "sites": "/sites/", "site": f"/sites/{site.id}",
            "new-inspection": f"/sites/{site.id}/inspections/new",
            "walk": f"/inspections/{draft.id}", "walk-rooms": f"/inspections/{rooms.id}",
            "summary": f"/inspections/{draft.id}/summary", "reports": f"/inspections/{approved.id}/reports",
            "checklists": "/checklists/", "checklist": "/checklists/build-standard", "password": "/account/password",
        },
        "county": {
            "review": f"/inspections/{submitted.id}/review", "summary-approved": f"/inspections/{approved.id}/summary",
            "compare": "/compare/", "compare-site": f"/compare/site/{site.id}", "dashboard": "/dashboard/",
            "ledger": "/ledger/", "landmark": "/landmark/", "micro": "/micro/", "projects": "/projects/",
            "jobs": "/jobs/",
        },
        "admin": {"admin": "/admin/", "users": "/admin/users", "audit": "/admin/audit", "calendar": "/admin/calendar/"},
    }


def issue_report(page, db, inspection_id: int) -> str:
    """Issue the acceptance report of an approved inspection from its reports page; its public id."""
    page.goto(f"/inspections/{inspection_id}/reports")
    page.get_by_role("button", name="签发").first.tap()
    expect(page.locator("h1")).to_have_text("报告验证", timeout=60000)
    db.expire_all()
    report = db.exec(select(Report).where(Report.inspection_id == inspection_id)).first()
    assert report is not None
    return report.public_id


def sweep(page, named: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    found = {}
    for name, url in named.items():
        response = page.goto(url)
        assert response.status < 400, f"{name}: {url} answered {response.status}"
        page.wait_for_load_state("networkidle")
        found[name] = {"wide": overflow(page), "axe": axe(page)}
    return found


def report(found, names) -> str:
    return "\n".join(f"{n}: wide={found[n]['wide']} axe={found[n]['axe']}" for n in names
                     if found[n]["wide"] or found[n]["axe"])


def test_every_main_page_fits_360_px_and_has_no_axe_violation(browser, live_server, county, specs):
    assert AXE.exists(), "axe-core missing: ./dev.sh setup installs it from npm"
    found = {}
    for username, named in pages(county, specs).items():
        page = sign_in(browser, live_server, username)
        found |= sweep(page, named)
        if username == "inspector":
            approved = county.exec(select(Inspection).where(Inspection.status == "approved")).first()
            public_id = issue_report(page, county, approved.id)
        page.context.close()

    # the public verify page, signed out; and the sign-in page
    context = browser.new_context(base_url=live_server, **NARROW)
    page = context.new_page()
    found |= sweep(page, {"verify": f"/verify/{public_id}", "login": "/login"})
    context.close()

    assert len(found) == 27
    assert not report(found, found), report(found, found)


def test_the_walk_page_with_a_section_open_and_filters_has_no_axe_violation(browser, live_server, county, specs):
    who = users.by_username(session=county, username="inspector")
    draft = county.exec(select(Inspection).where(Inspection.status == "draft").order_by(Inspection.id)).first()
    rooms = inspections.start(session=county, site=county.get(Site, draft.site_id), spec=specs["function-rooms"],
                              purpose="inspection", tier=None, by=who)
    county.commit()
    page = sign_in(browser, live_server, "inspector")
    page.goto(f"/inspections/{rooms.id}")
    page.get_by_role("button", name="下一个未查项").tap()
    expect(page.locator("#sec-1 article.item").first).to_be_visible()
    page.locator(".toc > summary").tap()
    expect(page.locator(".toc ol")).to_be_visible()
    assert overflow(page) == [] and axe(page) == []
    page.locator(".toc > summary").tap()
    page.get_by_role("button", name=re.compile("^缺照片")).tap()
    expect(page.locator("#sec-2")).to_have_attribute("data-loaded", "")
    assert overflow(page) == [] and axe(page) == []
    page.context.close()
