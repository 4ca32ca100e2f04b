"""Per-region summaries (services/summaries.py): kept current by the workflow in the changing
transaction, equal to a recount from scratch after a random workflow, rebuilt by the CLI."""
from __future__ import annotations

import random
import threading
import time
from datetime import date

import pytest

from sqlalchemy import delete
from sqlmodel import select

from inspector import db as dbmod
from inspector.runtime import get_calendar
from inspector.models import Inspection, RegionSummary, Site, SiteSummary, User
from inspector.services import inspections, regions, sites, summaries, workflow
from inspector.services.inspections import InspectionError

from . import factories
from .test_dashboard import _user, _walk


def _counts(db, region_id, dimension):
    rows = db.exec(select(RegionSummary).where(RegionSummary.region_id == region_id,
                                               RegionSummary.dimension == dimension))
    out: dict[str, int] = {}
    for r in rows:
        out[r.key] = out.get(r.key, 0) + r.n
    return {k: v for k, v in out.items() if v}


def _county(db, n_villages=8):
    c = factories.county(db)
    made = []
    for k in range(n_villages):
        town = c["town_a"] if k % 2 else c["town_b"]
        village = regions.add_region(session=db, name=f"测试{k}村", level="village", code=f"TS{k:03d}", parent=town)
        made.append(factories.site(db, village, name=f"测试{k}村党群服务中心",
                                   tier=("standard", "demo", None)[k % 3], lat=34.8 + k / 100, lon=116.8))
    return c, made


def _step(db, rnd, site, spec, inspector, reviewer, calendar):
    """One random thing a person does to a site, through the services (refusals are fine)."""
    latest = db.exec(select(Inspection).where(Inspection.site_id == site.id).order_by(Inspection.id.desc())).first()
    action = rnd.choice(("start", "walk_submit", "return", "approve", "category", "locate"))
    try:
        if action == "start" or latest is None:
            inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=inspector)
        elif action == "walk_submit" and latest.status in ("draft", "returned"):
            _walk(db, latest, site, spec, inspector, fail=rnd.sample(["doc-bidding", "signage-door-plates",
                                                                     "premises-exists"], rnd.randint(0, 2)))
            inspections.submit(session=db, inspection=latest, by=inspector)
        elif action == "return" and latest.status in ("submitted", "resubmitted"):
            workflow.return_for_changes(session=db, inspection=latest, reasons={}, general="请补充照片",
                                        by=reviewer)
        elif action == "approve" and latest.status in ("submitted", "resubmitted"):
            workflow.approve(session=db, inspection=latest, by=reviewer, today=date(2026, 6, 1), calendar=calendar)
        elif action == "category":
            sites.set_category(session=db, site=site, category=rnd.choice(sites.TIERS), number="沛组发〔2026〕9号",
                               doc_date="2026-03-02", by=reviewer.id)
        elif action == "locate":
            sites.set_location(session=db, site=site, lat=34.7 + rnd.random() / 10, lon=116.9, system="wgs84",
                               geofence_m=200, by=reviewer.id)
        db.commit()
    except (InspectionError, ValueError):
        db.rollback()


def test_summaries_equal_a_recount_after_a_random_workflow(app, db, specs):
    spec = specs["build-standard"]
    c, made = _county(db)
    inspector = _user(db, c["county"], "sum-insp", "inspector")
    reviewer = _user(db, c["county"], "sum-rev", "county_reviewer")
    db.commit()
    rnd = random.Random(19)
    with app.test_request_context("/"):
        calendar = get_calendar()
    for _ in range(60):
        _step(db, rnd, rnd.choice(made), spec, inspector, reviewer, calendar)
        assert summaries.differences(db) == []
    county = _counts(db, c["county"].id, "status")
    statuses = [db.exec(select(Inspection.status).where(Inspection.site_id == s.id)
                        .order_by(Inspection.id.desc())).first() or "none" for s in made]
    assert county == {k: statuses.count(k) for k in set(statuses)}
    assert _counts(db, c["city"].id, "sites") == {"all": len(made)}
    town_a = _counts(db, c["town_a"].id, "sites")
    assert town_a == {"all": len(made) // 2}


def test_a_rolled_back_change_leaves_the_summary_as_it_was(db, specs):
    c, made = _county(db, 2)
    inspector = _user(db, c["county"], "rb-insp", "inspector")
    db.commit()
    inspections.start(session=db, site=made[0], spec=specs["build-standard"], purpose="inspection",
                      tier="standard", by=inspector)
    db.flush()
    assert _counts(db, c["county"].id, "status") == {"draft": 1, "none": 1}
    db.rollback()
    assert _counts(db, c["county"].id, "status") == {"none": 2}
    assert summaries.differences(db) == []


def test_rebuild_summaries_command_recounts_from_scratch(app, db, runner, specs):
    c, made = _county(db, 3)
    db.commit()
    db.execute(delete(RegionSummary))
    db.execute(delete(SiteSummary))
    db.commit()
    assert summaries.differences(db)
    result = runner.invoke(args=["dashboard", "rebuild-summaries"])
    assert result.exit_code == 0, result.output
    assert "3 个站点" in result.output
    db.expire_all()
    assert summaries.differences(db) == []
    assert _counts(db, c["county"].id, "located") == {"yes": 3}
    site = db.get(Site, made[0].id)
    db.delete(site)
    db.commit()
    assert _counts(db, c["county"].id, "sites") == {"all": 2}



def test_inspections_started_at_one_site_at_once_all_count(app, db, specs):
    """Six phones start an inspection of one site at the same moment, twice over (PostgreSQL): each
    waits for the one before instead of failing with a conflict, and every one is counted."""
    if app.extensions["engine"].dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers by itself (the same path runs here on PostgreSQL)")
    c, made = _county(db, 1)
    inspector = _user(db, c["county"], "twin-insp", "inspector")
    db.commit()
    site_id, inspector_id, phones = made[0].id, inspector.id, 6
    ready, errors = threading.Barrier(phones), []

    def phone() -> None:
        try:
            for _round in range(2):
                ready.wait(10)
                with dbmod.session(app.extensions["engine"]) as s:
                    inspections.start(session=s, site=s.get(Site, site_id), spec=specs["build-standard"],
                                      purpose="inspection", tier="standard", by=s.get(User, inspector_id))
                    s.commit()
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc)[:300])

    threads = [threading.Thread(target=phone) for _ in range(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.expire_all()
    assert len(db.exec(select(Inspection).where(Inspection.site_id == site_id)).all()) == 2 * phones
    assert _counts(db, c["county"].id, "status") == {"draft": 1}
    assert summaries.differences(db) == []
