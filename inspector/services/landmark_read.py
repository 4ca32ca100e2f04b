"""Red-landmark applications as pages read them: the site's self-assessments and build evidence, the
applications of a region, what a user may do now, and an application's whole dossier."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from ..models import (ROLE_LABELS, ChecklistVersion, Inspection, Notice, Objection, ProgramStep,
                      RedLandmarkApplication, Region, Site, User)
from . import notices, programs, regions, rights
from .landmark_steps import (BUILD_CHECKLIST, BUILD_PURPOSES, CHECKLIST, PROGRAM, REVIEWED, SELF_ASSESSMENT_DONE,
                             step_label)


def checklist_of(*, session: Session, inspection: Inspection) -> str:
    """The checklist id an inspection was started with."""
    return session.exec(select(ChecklistVersion.checklist_id)
                        .where(ChecklistVersion.id == inspection.checklist_version_id)).one()


def self_assessments(*, session: Session, site: Site) -> list[Inspection]:
    """The site's red-landmark self-assessments that may back an application (submitted or later)."""
    return list(session.exec(
        select(Inspection).join(ChecklistVersion, Inspection.checklist_version_id == ChecklistVersion.id)
        .where(Inspection.site_id == site.id, Inspection.purpose == "self_assessment",
               ChecklistVersion.checklist_id == CHECKLIST, Inspection.status.in_(SELF_ASSESSMENT_DONE))
        .order_by(Inspection.id.desc())))


def _reviewed_on(ins: Inspection) -> datetime:
    """When an inspection was last signed off (accepted, approved, submitted, started)."""
    return ins.accepted_at or ins.approved_at or ins.submitted_at or ins.started_at


def build_evidence(*, session: Session, site: Site) -> Inspection | None:
    """The site's latest approved-or-accepted build-standard inspection or completion acceptance."""
    rows = session.exec(
        select(Inspection).join(ChecklistVersion, Inspection.checklist_version_id == ChecklistVersion.id)
        .where(Inspection.site_id == site.id, ChecklistVersion.checklist_id == BUILD_CHECKLIST,
               Inspection.purpose.in_(BUILD_PURPOSES), Inspection.status.in_(REVIEWED))).all()
    return max(rows, key=lambda i: (_reviewed_on(i), i.id), default=None)


def of_site_year(*, session: Session, site: Site, year: int) -> RedLandmarkApplication | None:
    """The site's application of a year, if any."""
    return session.exec(select(RedLandmarkApplication).where(RedLandmarkApplication.site_id == site.id,
                                                             RedLandmarkApplication.year == year)).first()


def search(*, session: Session, region: Region, year: int | None = None, status: str | None = None
           ) -> list[tuple[RedLandmarkApplication, Site]]:
    """Applications of sites in the region's subtree, newest first (optionally one year, one status)."""
    stmt = (select(RedLandmarkApplication, Site).join(Site, RedLandmarkApplication.site_id == Site.id)
            .join(Region, Site.region_id == Region.id).where(Region.path.startswith(region.path)))
    if year is not None:
        stmt = stmt.where(RedLandmarkApplication.year == year)
    if status:
        stmt = stmt.where(RedLandmarkApplication.status == status)
    return list(session.exec(stmt.order_by(RedLandmarkApplication.year.desc(), RedLandmarkApplication.id.desc())))


def years(*, session: Session, region: Region) -> list[int]:
    """Years that have applications in the region, newest first."""
    return sorted({a.year for a, _s in search(session=session, region=region)}, reverse=True)


def notice_of(*, session: Session, application: RedLandmarkApplication) -> Notice | None:
    """The application's result notice, if posted."""
    return session.get(Notice, application.notice_id) if application.notice_id else None


STEPS = {  # a page's action -> the steps it belongs to; who may is rights.ACTIONS["landmark_" + action]
    "township_recommend": ("township_recommend",),
    "county_recommend": ("county_recommend",),
    "receive": ("city_receive",),
    "start_evaluation": ("city_review",),
    "record_result": ("city_review",),
    "meeting": ("meeting",),
    "objection": ("notice",),
    "award": ("notice",),
    "refuse": ("notice", "decision"),
}


def available(*, application: RedLandmarkApplication, current: ProgramStep | None, user: User) -> set[str]:
    """The actions this user may take on the application now (for showing forms; services decide)."""
    out = {a for a, steps in STEPS.items()
           if current is not None and current.step in steps and rights.can(user, "landmark_" + a)}
    if application.status == "awarded" and rights.can(user, "landmark_revoke"):
        out.add("revoke")
    return out


@dataclass
class TimelineRow:
    """One step as a page shows it."""

    step: ProgramStep
    label: str
    owner: str
    done_by: str
    countdown: programs.Countdown | None


@dataclass
class Dossier:
    """Everything the application's page shows."""

    application: RedLandmarkApplication
    site: Site
    place: str
    timeline: list[TimelineRow]
    current: ProgramStep | None
    self_assessment: Inspection | None
    build_evidence: Inspection | None
    evaluation: Inspection | None
    notice: Notice | None
    objections: list[Objection]
    applicant: str
    today: date

    @property
    def notice_ended(self) -> bool:
        """Whether the notice's posting period is over."""
        return self.notice is not None and notices.has_ended(self.notice, self.today)

    @property
    def open_objections(self) -> int:
        """Objections still waiting for a resolution."""
        return sum(1 for o in self.objections if not o.resolution)


def dossier(*, session: Session, application: RedLandmarkApplication, today: date) -> Dossier:
    """The application with its steps (countdowns as of today), evidence, evaluation, notice, objections."""
    site = session.get(Site, application.site_id)
    steps = programs.history(session=session, program=PROGRAM, program_id=application.id)
    user_ids = {s.done_by_id for s in steps if s.done_by_id} | {application.applied_by_id}
    names = {u.id: u.display_name for u in session.exec(select(User).where(User.id.in_(user_ids)))}
    timeline = [TimelineRow(s, step_label(s.step), ROLE_LABELS.get(s.owner_role, s.owner_role),
                            names.get(s.done_by_id, ""),
                            programs.countdown(s.due_date, today) if s.done_at is None else None) for s in steps]
    current = next((s for s in reversed(steps) if s.done_at is None), None)
    notice = notice_of(session=session, application=application)
    evidence_id = application.build_evidence_id
    place, _issuer_name = issuer(session, site)
    return Dossier(application=application, site=site, place=place, timeline=timeline, current=current,
                   self_assessment=session.get(Inspection, application.self_assessment_id),
                   build_evidence=session.get(Inspection, evidence_id) if evidence_id else None,
                   evaluation=(session.get(Inspection, application.evaluation_id)
                               if application.evaluation_id else None),
                   notice=notice, objections=notices.objections_of(session=session, notice=notice) if notice else [],
                   applicant=names.get(application.applied_by_id, ""), today=today)


def issuer(session: Session, site: Site) -> tuple[str, str]:
    """(township + village names, the city organization department's name) for a site."""
    chain = regions.ancestry(session=session, region=session.get(Region, site.region_id))
    by_level = {r.level: r.name for r in chain}
    place = " ".join(n for n in (by_level.get("township"), by_level.get("village")) if n)
    city = by_level.get("city", "")
    return place, (f"中共{city}委组织部" if city else "市委组织部")
