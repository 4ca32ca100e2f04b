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
    staff = {name: _user(session, name) for name in ("city", "county", "inspector")}
    if None in (red, build, *staff.values()):
        return 0
    rnd = random.Random(seed)
    root = media_root or Path(__file__).resolve().parents[2] / "media"
    made = 0
    for site_name, village_name, town_name, days_ago in PLAN:
        site = session.exec(select(Site).where(Site.name == site_name)).first()
        village = _user(session, village_name)
        if site is None or village is None:
            continue
        sa = _evidence_and_self_assessment(session, site, village, staff["inspector"], red=red, build=build, rnd=rnd)
        if sa is None:
            continue
        applied_on = today - timedelta(days=days_ago + 10)
        try:  # a due date in a year whose holidays are unknown stops this application, not the demo
            application = landmark.apply(session=session, site=site, by=village, today=applied_on, calendar=calendar,
                                         self_assessment_id=sa.id, leadership_ok=True,
                                         operating_since=date(applied_on.year - 2, 5, 1), no_major_incident=True,
                                         evidence_files=_demo_evidence(made), town_rank="1", town_total="5",
                                         media_root=root)
            made += 1
            town = _user(session, town_name) if town_name else None
            if town is not None:
                _forward(session, application, site, town=town, staff=staff, calendar=calendar, applied_on=applied_on,
                         received_on=today - timedelta(days=days_ago), today=today)
        except landmark.LandmarkError:
            continue
    return made


# (site, village account, township account or None, days since the city received it)
PLAN = [("大屯社区党群服务中心", "v00201", "town002", 20), ("龙固村党群服务中心", "v10101", None, 3)]


def _user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def _filled(session: Session, ins, spec: ChecklistSpec, site: Site, who: User, *, tier, pass_rate: float,
            rnd: random.Random) -> None:
    """Answer every item of a demo inspection and score it."""
    for item_id, value in demo_answers(spec, tier=tier, site_type=site.site_type, pass_rate=pass_rate, share=1.0,
                                       rnd=rnd).items():
        inspections.record_answer(session=session, inspection=ins, item_id=item_id, raw=value, note=None, by=who)
    inspections.refresh_score(session=session, inspection=ins)


def _evidence_and_self_assessment(session: Session, site: Site, village: User, inspector: User, *,
                                  red: ChecklistSpec, build: ChecklistSpec, rnd: random.Random):
    """An approved completion acceptance (4.2 b evidence) and a submitted self-assessment; the
    self-assessment, or None when the acceptance did not pass."""
    tier = site.tier_applied or "standard"
    proof = inspections.start(session=session, site=site, spec=build, purpose="completion_acceptance",
                              tier=tier, by=inspector)
    _filled(session, proof, build, site, inspector, tier=tier, pass_rate=1.0, rnd=rnd)
    proof.status, proof.approved_at = "approved", utcnow()
    sa = inspections.start(session=session, site=site, spec=red, purpose="self_assessment", tier=None, by=village)
    _filled(session, sa, red, site, village, tier=None, pass_rate=0.95, rnd=rnd)
    sa.status, sa.submitted_at = "submitted", utcnow()
    session.flush()
    return sa if proof.verdict == "pass" else None


def _forward(session: Session, application: RedLandmarkApplication, site: Site, *, town: User,
             staff: dict[str, User], calendar: workdays.Calendar, applied_on: date, received_on: date,
             today: date) -> None:
    """Take a demo application through the township, the county's ranking and the city's receipt."""
    landmark.township_recommend(session=session, application=application, by=town, today=applied_on,
                                calendar=calendar, report=f"{site.name}班子健全，服务规范，群众满意度高，特推荐申报“红色地标”。")
    county = session.get(Region, staff["county"].region_id)
    queue = landmark.county_queue(session=session, region=county, year=application.year)
    landmark.county_rank(session=session, region=county, year=application.year,
                         ranking=[landmark.Ranked(a.id, n, True) for n, (a, _s) in enumerate(queue, start=1)],
                         opinion="经核实，申请材料齐全、真实，择优推荐。", by=staff["county"], today=applied_on)
    landmark.receive(session=session, application=application, by=staff["city"], today=today, received_on=received_on)
