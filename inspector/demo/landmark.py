"""Demo red-landmark applications: one in the city's 30-day review, one waiting for its township."""
from __future__ import annotations

import io
import random
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from sqlmodel import Session, select

from ..core import workdays
from ..core.checklist import ChecklistSpec
from ..core.examples import answers_for as demo_answers
from ..models import RedLandmarkApplication, Region, Site, User, utcnow
from ..services import inspections, landmark


def _demo_evidence(n: int) -> dict[str, list[landmark.Upload]]:
    """Demo evidence photos for 4.2 a–c and 5.13 (plain coloured pictures, marked 演示 by their file names)."""
    out = {}
    for i, key in enumerate(landmark.EVIDENCE_KEYS):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (150 + 20 * i, 60 + 10 * n, 60)).save(buffer, "JPEG", quality=80)
        out[key] = [landmark.Upload(f"演示材料-{key}.jpg", buffer.getvalue())]
    return out


def load(*, session: Session, specs: dict[str, ChecklistSpec], calendar: workdays.Calendar, today: date,
         seed: int = 2026, media_root: Path | None = None) -> int:
    """Two applications in the demo county: one in the city's 30-day review, one waiting for its township.

    Uses the demo users and sites of demo/county.py; does nothing when the demo county is missing
    or applications exist already. Returns how many applications it added.
    """
    if session.exec(select(RedLandmarkApplication)).first() is not None:
        return 0
    red, build = specs.get(landmark.CHECKLIST), specs.get(landmark.BUILD_CHECKLIST)
    city = session.exec(select(User).where(User.username == "city")).first()
    county = session.exec(select(User).where(User.username == "county")).first()
    inspector = session.exec(select(User).where(User.username == "inspector")).first()
    if None in (red, build, city, county, inspector):
        return 0
    rnd = random.Random(seed)
    plan = [("大屯社区党群服务中心", "v00201", "town002", 20), ("龙固村党群服务中心", "v10101", None, 3)]
    made = 0
    for site_name, village_name, town_name, days_ago in plan:
        site = session.exec(select(Site).where(Site.name == site_name)).first()
        village = session.exec(select(User).where(User.username == village_name)).first()
        if site is None or village is None:
            continue
        tier = site.tier_applied or "standard"
        proof = inspections.start(session=session, site=site, spec=build, purpose="completion_acceptance",
                                  tier=tier, by=inspector)
        for item_id, value in demo_answers(build, tier=tier, site_type=site.site_type, pass_rate=1.0, share=1.0,
                                           rnd=rnd).items():
            inspections.record_answer(session=session, inspection=proof, item_id=item_id, raw=value, note=None,
                                      by=inspector)
        inspections.refresh_score(session=session, inspection=proof)
        proof.status, proof.approved_at = "approved", utcnow()
        sa = inspections.start(session=session, site=site, spec=red, purpose="self_assessment", tier=None, by=village)
        for item_id, value in demo_answers(red, tier=None, site_type=site.site_type, pass_rate=0.95, share=1.0,
                                           rnd=rnd).items():
            inspections.record_answer(session=session, inspection=sa, item_id=item_id, raw=value, note=None,
                                      by=village)
        inspections.refresh_score(session=session, inspection=sa)
        sa.status, sa.submitted_at = "submitted", utcnow()
        session.flush()
        if proof.verdict != "pass":
            continue
        applied_on = today - timedelta(days=days_ago + 10)
        try:  # a due date in a year whose holidays are unknown stops this application, not the demo
            application = landmark.apply(session=session, site=site, by=village, today=applied_on, calendar=calendar,
                                self_assessment_id=sa.id, leadership_ok=True,
                                operating_since=date(applied_on.year - 2, 5, 1), no_major_incident=True,
                                evidence_files=_demo_evidence(made), town_rank="1", town_total="5",
                                media_root=media_root or Path(__file__).resolve().parents[2] / "media")
            made += 1
            town = session.exec(select(User).where(User.username == town_name)).first() if town_name else None
            if town is None:
                continue
            landmark.township_recommend(session=session, application=application, by=town, today=applied_on,
                               calendar=calendar, report=f"{site_name}班子健全，服务规范，群众满意度高，特推荐申报“红色地标”。")
            landmark.county_rank(session=session, region=session.get(Region, county.region_id), year=application.year,
                        ranking=[landmark.Ranked(a.id, n, True) for n, (a, _s) in enumerate(
                            landmark.county_queue(session=session, region=session.get(Region, county.region_id),
                                         year=application.year), start=1)],
                        opinion="经核实，申请材料齐全、真实，择优推荐。", by=county, today=applied_on)
            landmark.receive(session=session, application=application, by=city, today=today,
                    received_on=today - timedelta(days=days_ago))
        except landmark.LandmarkError:
            continue
    return made
