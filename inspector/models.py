"""Database tables (SQLModel). Portable: every column works on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

REGION_LEVELS = ("city", "county", "township", "village")
SITE_TYPES = ("village", "community")
ROLES = ("village", "township", "inspector", "county_reviewer", "city_reviewer", "admin", "contractor")
PURPOSES = ("self_assessment", "inspection", "completion_acceptance", "red_landmark", "micro_project")
STATUSES = ("draft", "submitted", "returned", "resubmitted", "approved", "accepted", "rejected")

LABELS = {
    "city": "市", "county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）",
    "community": "社区",
    "self_assessment": "自评", "inspection": "检查", "completion_acceptance": "竣工验收",
    "red_landmark": "红色地标评定", "micro_project": "微实事验收",
    "draft": "填写中", "submitted": "已提交", "returned": "已退回", "resubmitted": "已重新提交",
    "approved": "已审核", "accepted": "已验收", "rejected": "未通过（待整改）",
    "township_role": "乡镇", "inspector": "检查员", "county_reviewer": "县委组织部审核",
    "city_reviewer": "市级评审", "admin": "管理员",
    "demo": "示范村", "standard": "达标村", "upgrade": "改扩建",
}
SITE_TYPE_LABELS = {"village": "村", "community": "社区"}
ROLE_LABELS = {"village": "村（社区）", "township": "乡镇（街道）", "inspector": "检查员",
               "county_reviewer": "县委组织部", "city_reviewer": "市级评审", "admin": "管理员",
               "contractor": "施工方"}


def utcnow() -> datetime:
    """Now, timezone-aware UTC (SQLModel stores it as UTC on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc)


class Region(SQLModel, table=True):
    """A node of the administrative tree: city › county › township › village/community."""

    id: Optional[int] = Field(default=None, primary_key=True)
    parent_id: Optional[int] = Field(default=None, foreign_key="region.id", index=True)
    level: str = Field(max_length=16)
    name: str = Field(max_length=100)
    code: str = Field(max_length=32, unique=True)
    path: str = Field(max_length=400, index=True)  # "/1/4/9/": ancestors' ids, for subtree queries


class SiteBase(SQLModel):
    """Fields a person enters for a site."""

    name: str = Field(max_length=100)
    site_type: str = Field(max_length=16)
    address: str = Field(default="", max_length=300)
    lat: Optional[float] = None  # WGS-84
    lon: Optional[float] = None  # WGS-84
    tier_applied: Optional[str] = Field(default=None, max_length=16)  # the category the county approved (篇六 一、三)
    category_doc_number: str = Field(default="", max_length=80)  # the approval document's number
    category_doc_date: Optional[date] = None  # and its date
    geofence_m: int = 200


class Site(SiteBase, table=True):
    """A service center being inspected."""

    id: Optional[int] = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The micro-project scheme this village follows (a checklists/programs/*.yaml id), set by the county.
    micro_program: Optional[str] = Field(default=None, max_length=80)


class User(SQLModel, table=True):
    """A person with a role, bound to a region."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    region_id: int = Field(foreign_key="region.id", index=True)
    password_hash: str = Field(default="", max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ChecklistVersion(SQLModel, table=True):
    """An immutable snapshot of a checklist, identified by its content hash."""

    id: Optional[int] = Field(default=None, primary_key=True)
    checklist_id: str = Field(max_length=80, index=True)
    version: str = Field(max_length=40)
    title: str = Field(max_length=200)
    content_hash: str = Field(max_length=64, unique=True)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Inspection(SQLModel, table=True):
    """One walk through one checklist version at one site, for one purpose."""

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    checklist_version_id: int = Field(foreign_key="checklistversion.id", index=True)
    purpose: str = Field(max_length=32)
    tier: Optional[str] = Field(default=None, max_length=16)
    status: str = Field(default="draft", max_length=16, index=True)
    created_by_id: int = Field(foreign_key="user.id")
    started_at: datetime = Field(default_factory=utcnow)
    submitted_at: Optional[datetime] = None
    updated_at: datetime = Field(default_factory=utcnow)
    score: Optional[float] = None
    verdict: Optional[str] = Field(default=None, max_length=16)
    start_lat: Optional[float] = None  # the device's position when the inspection started (WGS-84)
    start_lon: Optional[float] = None
    start_accuracy_m: Optional[float] = None
    start_flags: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    follow_up_of_id: Optional[int] = Field(default=None, foreign_key="inspection.id", index=True)
    scope_items: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))  # follow-up: items re-checked
    round: int = 0  # how many times it was returned
    reviewed_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    approved_at: Optional[datetime] = None
    accepted_at: Optional[datetime] = None
    subsidy: Optional[int] = None  # completion acceptance: the subsidy its decision pays (CNY; 0 = 不予拨付)
    reevaluation: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))  # before/after a rule change
    # running totals of the decision's inputs, kept by services.inspections.record_answer (docs/saves.md);
    # tally_rev counts its writes: each save updates it by compare-and-set
    tally: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    tally_rev: int = 0


class Answer(SQLModel, table=True):
    """The current answer to one item of an inspection; `version` counts its saves."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),
                      # the dashboard's most-failed items: fail answers by inspection without the table
                      Index("ix_answer_result_inspection_item", "result", "inspection_id", "item_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    item_id: str = Field(max_length=80)
    value: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    result: str = Field(default="open", max_length=8)
    note: str = Field(default="", max_length=2000)
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    version: int = 1
    client_id: Optional[str] = Field(default=None, max_length=64)  # last save's id, makes repeats harmless
    device_id: Optional[str] = Field(default=None, max_length=64)  # the phone that saved it last
    captured_at: Optional[datetime] = None  # the phone's clock when the last save was made (offline outbox)


class Photo(SQLModel, table=True):
    """A photo with where and when it was taken: of one item of an inspection, or of a micro project's
    completion notice (`micro_project_id`, `item_id` "before" / "after" 实施前 / 完成后) — exactly one."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "sha256"),
                      UniqueConstraint("inspection_id", "client_id", name="uq_photo_client"),
                      UniqueConstraint("micro_project_id", "item_id", "sha256", name="uq_photo_micro_sha256"),
                      CheckConstraint("(inspection_id IS NULL) <> (micro_project_id IS NULL)",
                                      name="ck_photo_one_owner"))

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: Optional[int] = Field(default=None, foreign_key="inspection.id", index=True)
    micro_project_id: Optional[int] = Field(default=None, foreign_key="microproject.id", index=True)
    item_id: str = Field(max_length=80)
    caption: Optional[str] = Field(default=None, max_length=200)  # as printed under it (micro: 实施前 / 完成后)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int
    format: str = Field(max_length=8)
    width: int
    height: int
    original: str = Field(max_length=200)
    display: str = Field(max_length=200)
    thumb: str = Field(max_length=200)
    exif_time: Optional[datetime] = None
    exif_lat: Optional[float] = None
    exif_lon: Optional[float] = None
    device_lat: Optional[float] = None
    device_lon: Optional[float] = None
    device_accuracy_m: Optional[float] = None
    flags: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    # what the phone took and when (docs/photos.md): a resized upload names its original's hash and size
    client_id: Optional[str] = Field(default=None, max_length=64)  # a photo sent twice is stored once
    original_sha256: Optional[str] = Field(default=None, max_length=64)
    original_size: Optional[int] = None
    original_name: Optional[str] = Field(default=None, max_length=200)
    prepared: Optional[str] = Field(default=None, max_length=16)  # "resized" on the phone, or "original"
    captured_at: Optional[datetime] = None  # the device's clock when the photo was taken
    # soft delete and replacement before submission; files stay on disk until the inspection is closed
    deleted_at: Optional[datetime] = None
    deleted_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    delete_reason: Optional[str] = Field(default=None, max_length=200)
    replaced_by_id: Optional[int] = Field(default=None, foreign_key="photo.id")
    derived_from_id: Optional[int] = Field(default=None, foreign_key="photo.id", index=True)  # a marked-up copy
    purged_at: Optional[datetime] = None  # a deleted photo's files removed after the inspection closed


class AuditLog(SQLModel, table=True):
    """Who changed what, when, from what to what."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: Optional[int] = None
    before: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))


class Report(SQLModel, table=True):
    """An issued report: an immutable PDF stored by content hash, with the inputs it was made from.

    Changing the inspection afterwards never alters it: issuing again makes a new version that
    supersedes this one.
    """

    __table_args__ = (UniqueConstraint("inspection_id", "kind", "version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # in the QR's verification URL; unguessable
    number: str = Field(max_length=40, unique=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    kind: str = Field(max_length=24)
    version: int = 1
    status: str = Field(default="issued", max_length=16)
    sha256: str = Field(max_length=64, index=True)
    path: str = Field(max_length=200)
    size_bytes: int
    pages: int
    inputs: Any = Field(sa_column=Column(JSON, nullable=False))
    inputs_hash: str = Field(max_length=64)
    issued_by_id: int = Field(foreign_key="user.id")
    issued_at: datetime = Field(default_factory=utcnow)
    supersedes_id: Optional[int] = Field(default=None, foreign_key="report.id")


class ReturnReason(SQLModel, table=True):
    """Why a reviewer sent an inspection back: one reason per item (item_id None = the whole)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    round: int  # the inspection's return count this reason belongs to (1 = first return)
    item_id: Optional[str] = Field(default=None, max_length=80)
    reason: str = Field(max_length=2000)
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class SignOff(SQLModel, table=True):
    """One required signature on a completion acceptance: a party, who must sign, how and when.

    A person with an account signs with the password re-entered (`method` password, `user_id`);
    a person without one (`user_id` None, `signer_name`/`signer_role`) signs by hand on the
    inspector's phone: the drawn PNG is stored by its SHA-256 with the phone's position.
    """

    __table_args__ = (UniqueConstraint("inspection_id", "party", "user_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    party: str = Field(max_length=40)  # the checklist's signature party id
    user_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    signer_name: str = Field(default="", max_length=64)  # without an account: the name as given
    signer_role: str = Field(default="", max_length=100)  # and the office / role
    method: str = Field(default="password", max_length=16)  # password / handwritten
    assigned_by_id: int = Field(foreign_key="user.id")
    assigned_at: datetime = Field(default_factory=utcnow)
    signed_at: Optional[datetime] = None
    image_sha256: Optional[str] = Field(default=None, max_length=64)
    image_path: Optional[str] = Field(default=None, max_length=200)  # media-relative PNG
    lat: Optional[float] = None  # the phone's position when signing (WGS-84)
    lon: Optional[float] = None
    accuracy_m: Optional[float] = None
    collected_by_id: Optional[int] = Field(default=None, foreign_key="user.id")  # whose phone


class RectificationTask(SQLModel, table=True):
    """A failed item to fix by a deadline; closed by the follow-up inspection that re-checks it."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)  # where the item failed
    item_id: str = Field(max_length=80)
    due_date: date
    due_from: Optional[date] = None  # the deadline as what it is: due_from + due_working_days under due_rule
    due_working_days: Optional[int] = None
    due_rule: Optional[str] = Field(default=None, max_length=8)  # after / period (core/workdays.RULES)
    due_provisional: bool = False  # counted over a year without the State Council's schedule (暂定)
    status: str = Field(default="open", max_length=16)  # open / fixed / not_fixed
    follow_up_id: Optional[int] = Field(default=None, foreign_key="inspection.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: Optional[datetime] = None


class LoginAttempt(SQLModel, table=True):
    """A sign-in attempt, for throttling guesses by account and by address."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    ip: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool = False


class AuthSession(SQLModel, table=True):
    """A signed-in session, server-side: the cookie carries its token; sign-out ends the row at once."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the cookie's token, never the token
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: Optional[datetime] = None
    ip: str = Field(default="", max_length=64)


class Notice(SQLModel, table=True):
    """A public notice (公示): what it publishes, where, and its posting period in working days.

    Reachable without login at /notice/<public_id> (the QR on the printed notice).
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=24)  # red_landmark_result / micro_plan / micro_completion
    site_id: int = Field(foreign_key="site.id", index=True)
    subject_id: int  # the application or project it is about
    title: str = Field(max_length=200)
    content: Any = Field(sa_column=Column(JSON, nullable=False))  # exactly what is published
    start_date: date
    end_date: date  # last day of the posting period
    working_days: int
    provisional: bool = False  # end_date counted over a year without the State Council's schedule (暂定)
    status: str = Field(default="posted", max_length=16)  # posted / withdrawn
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Objection(SQLModel, table=True):
    """An objection received during a notice period, and what was done about it."""

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    received_on: date
    text: str = Field(max_length=2000)
    resolution: str = Field(default="", max_length=2000)
    recorded_by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class ProgramStep(SQLModel, table=True):
    """One step of a red-landmark application or a micro project: its owner, due date, completion."""

    id: Optional[int] = Field(default=None, primary_key=True)
    program: str = Field(max_length=24, index=True)  # red_landmark / micro_project
    program_id: int = Field(index=True)
    step: str = Field(max_length=32)
    owner_role: str = Field(max_length=32)
    region_id: int = Field(foreign_key="region.id", index=True)  # the site's region, for scoping
    opened_at: datetime = Field(default_factory=utcnow)
    due_date: Optional[date] = Field(default=None, index=True)
    due_from: Optional[date] = None  # a working-day deadline: due_from + due_working_days under due_rule
    due_working_days: Optional[int] = None
    due_rule: Optional[str] = Field(default=None, max_length=8)
    due_provisional: bool = False
    done_at: Optional[datetime] = None
    done_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    outcome: str = Field(default="", max_length=32)
    note: str = Field(default="", max_length=2000)


class RedLandmarkApplication(SQLModel, table=True):
    """A village's application for the red-landmark title, village → township → county → city."""

    __table_args__ = (UniqueConstraint("site_id", "year"),)  # one application per site and year (7.1)

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    year: int
    status: str = Field(default="applied", max_length=24, index=True)
    self_assessment_id: int = Field(foreign_key="inspection.id")
    evaluation_id: Optional[int] = Field(default=None, foreign_key="inspection.id")
    leadership_ok: bool = False  # 4.2 (a)
    build_standard_met: bool = False  # 4.2 (b)
    operating_since: Optional[date] = None  # 4.2 (b) ≥ 1 year in operation
    no_major_incident: bool = False  # 4.2 (c)
    township_report: str = Field(default="", max_length=4000)
    county_opinion: str = Field(default="", max_length=4000)
    received_on: Optional[date] = None  # city received the county's recommendation
    review_due: Optional[date] = None  # received + 30 days (7.x)
    notice_id: Optional[int] = Field(default=None, foreign_key="notice.id")
    award_number: str = Field(default="", max_length=80)
    award_date: Optional[date] = None
    decision_reason: str = Field(default="", max_length=2000)  # refusal or revocation reason
    revoked_on: Optional[date] = None
    applied_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    details: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))


class MicroProject(SQLModel, table=True):
    """A micro project (微实事): application, routing by amount, notice, acceptance, evaluation.

    Money is kept in fen (1/100 CNY) so sums are exact.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    year: int = Field(index=True)
    size: str = Field(max_length=8)  # large (the "1") / small (one of the "N")
    name: str = Field(max_length=200)
    lead_name: str = Field(max_length=64)
    lead_phone: str = Field(max_length=32)
    description: str = Field(max_length=4000)
    scale: str = Field(default="", max_length=400)
    expected_effect: str = Field(default="", max_length=1000)
    budget_fen: int
    fund_source: str = Field(max_length=200)
    start_date: date
    finish_date: date
    members: Any = Field(sa_column=Column(JSON, nullable=False))  # [{name, phone, kind}]
    households: Any = Field(sa_column=Column(JSON, nullable=False))  # [{name, phone, signed}]
    spending: Any = Field(sa_column=Column(JSON, nullable=False))  # [{item, category, amount_fen}]
    route: str = Field(max_length=32)  # the approval band of its program, from the amount
    program: str = Field(default="", max_length=80)  # the program (checklists/programs/*.yaml id) it follows
    emergency: bool = False
    status: str = Field(default="applied", max_length=24, index=True)
    notice_id: Optional[int] = Field(default=None, foreign_key="notice.id")
    acceptance_id: Optional[int] = Field(default=None, foreign_key="inspection.id")
    satisfaction: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    archived_at: Optional[datetime] = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    details: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))


class FundMember(SQLModel, table=True):
    """A Party member or residents' representative holding micro-service funds for a year."""

    __table_args__ = (UniqueConstraint("site_id", "year", "name", "phone"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    year: int
    name: str = Field(max_length=64)
    phone: str = Field(default="", max_length=32)
    kind: str = Field(max_length=16)  # party_member / representative
    allocation_fen: int = 20000  # 200 CNY, seed 000


class FundCommitment(SQLModel, table=True):
    """Money a fund member committed to a micro project."""

    __table_args__ = (UniqueConstraint("member_id", "project_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="fundmember.id", index=True)
    project_id: int = Field(foreign_key="microproject.id", index=True)
    amount_fen: int
    at: datetime = Field(default_factory=utcnow)


class CalendarYear(SQLModel, table=True):
    """One year's holiday schedule from the State Council's notice, entered in the app."""

    id: Optional[int] = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    title: str = Field(max_length=200)
    number: str = Field(max_length=80)  # 国办发明电〔2026〕N号
    issued_on: date
    holidays: Any = Field(sa_column=Column(JSON, nullable=False))  # ["2027-01-01", ...]
    workdays: Any = Field(sa_column=Column(JSON, nullable=False))  # make-up working days (调休上班)
    entered_by_id: Optional[int] = Field(default=None, foreign_key="user.id")  # None: the flask command
    entered_at: datetime = Field(default_factory=utcnow)


class DeadlineChange(SQLModel, table=True):
    """A working-day deadline or notice period moved because a year's schedule was entered."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    entity: str = Field(max_length=24)  # rectificationtask / programstep / notice
    entity_id: int
    region_id: int = Field(foreign_key="region.id", index=True)  # the site's region, for scoping
    owner_role: str = Field(max_length=32)  # whose step it is: they are shown the change
    what: str = Field(max_length=300)  # the deadline in words, e.g. 整改期限：站点 · 项目
    old_date: date
    new_date: date
    old_provisional: bool
    new_provisional: bool
    reason: str = Field(max_length=400)  # the notice that changed it


# ---------------------------------------------------------------- in-service members' ledger (seed 004)
# and Party–mass service projects (seed 003). Tables owned by the ledger area (inspector/services/ledger.py,
# inspector/services/service_projects.py).


class LedgerUnit(SQLModel, table=True):
    """A member's employer (单位) in a county, with its Party organization and supervising department's."""

    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="region.id", index=True)
    name: str = Field(max_length=100)
    party_org: str = Field(default="", max_length=100)  # 单位党组织
    supervisor_org: str = Field(default="", max_length=100)  # 主管部门党组织 (yearly feedback, 004 二（二）4)
    county_department: bool = False  # 县级各部门（系统）: the 100% reporting rate applies (004 二（三）2)
    created_at: datetime = Field(default_factory=utcnow)


class LedgerMember(SQLModel, table=True):
    """An in-service Party member registered at the community where they live (004 二（一）)."""

    __table_args__ = (UniqueConstraint("site_id", "name", "phone"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)  # the residential community's center
    unit_id: int = Field(foreign_key="ledgerunit.id", index=True)
    name: str = Field(max_length=64)
    phone: str = Field(default="", max_length=32)
    reported_on: Optional[date] = None  # 报到日期; None = registered by the unit, not yet reported
    letter_number: str = Field(default="", max_length=64)  # 报到证明信编号
    service_post: str = Field(default="", max_length=200)  # 认领的服务岗位
    pledge: str = Field(default="", max_length=2000)  # 服务承诺
    skills: str = Field(default="", max_length=200)  # 特长、服务意向 (004 二（二）1)
    pair_name: str = Field(default="", max_length=64)  # 结对帮扶对象
    pair_kind: str = Field(default="", max_length=16)  # 贫困户 / 困难党员 / 残疾人 / 贫困学生 / 孤寡老人
    pair_address: str = Field(default="", max_length=200)
    active: bool = True
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LedgerActivity(SQLModel, table=True):
    """One entry of a member's 写实登记卡: date, time spent, type, note and an optional photo."""

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="ledgermember.id", index=True)
    on: date = Field(index=True)
    minutes: int = 0  # hours are kept in minutes so sums are exact
    kind: str = Field(max_length=16)  # post_service / suggestion / public_welfare / pairing_visit / volunteer_day
    note: str = Field(default="", max_length=2000)
    photo: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))  # {display, thumb, original, sha256}
    recorded_by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class LedgerFeedback(SQLModel, table=True):
    """A feedback letter from a community to a member's unit: quarterly (1–4) or the yearly card (0)."""

    __table_args__ = (UniqueConstraint("site_id", "unit_id", "year", "quarter"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    unit_id: int = Field(foreign_key="ledgerunit.id", index=True)
    year: int
    quarter: int  # 1–4, or 0 for the yearly 现实表现评议情况反馈卡
    sent_on: date
    content: Any = Field(sa_column=Column(JSON, nullable=False))  # the members and their tallies, as sent
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class LedgerItemCheck(SQLModel, table=True):
    """A ledger checklist item computed from the records, and the inspector's confirmation or override."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    item_id: str = Field(max_length=80)
    computed: Any = Field(sa_column=Column(JSON, nullable=False))  # value, result and the figures behind them
    decision: str = Field(max_length=16)  # confirmed / overridden
    answer: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))  # what was recorded
    note: str = Field(default="", max_length=2000)
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class ServiceProject(SQLModel, table=True):
    """A Party–mass service project (党群服务项目, seed 003): survey → design → review → notice → running
    → summary → district evaluation → library."""

    id: Optional[int] = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)  # the community, or the township (镇街级)
    site_id: Optional[int] = Field(default=None, foreign_key="site.id", index=True)  # the community's center
    level: str = Field(max_length=16)  # community / township (镇街级)
    year: int = Field(index=True)
    name: str = Field(max_length=200)
    survey_source: str = Field(default="", max_length=400)  # 线上征集、入户走访、党员居民会议…
    survey_summary: str = Field(default="", max_length=4000)
    design: str = Field(default="", max_length=4000)
    fixed_place: bool = True  # 依托党群服务中心 (≥ 4 months) or 无固定场所 (≥ 4 activities)
    running_since: Optional[date] = None
    status: str = Field(default="surveyed", max_length=24, index=True)
    review: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    notice_id: Optional[int] = Field(default=None, foreign_key="notice.id")
    summary: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    evaluation: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    site_visit_id: Optional[int] = Field(default=None, foreign_key="inspection.id")
    library_on: Optional[date] = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ServiceProjectActivity(SQLModel, table=True):
    """One activity of a service project: date, place, participants, photos."""

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="serviceproject.id", index=True)
    on: date
    place: str = Field(max_length=200)
    participants: int = 0
    note: str = Field(default="", max_length=2000)
    photos: Any = Field(sa_column=Column(JSON, nullable=False))
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class ProjectRota(SQLModel, table=True):
    """The district library's monthly promotion: one township on duty, one quality project (003 三（五）)."""

    __table_args__ = (UniqueConstraint("county_id", "month"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="region.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    township_id: int = Field(foreign_key="region.id")
    project_id: int = Field(foreign_key="serviceproject.id")
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


# A department (unit) account sees only its own members' ledger records (issue 17): a new role, scoped by unit.
ROLES = (*ROLES, "unit")
ROLE_LABELS["unit"] = "党员所在单位"
LABELS.setdefault("unit", "党员所在单位")


class UnitUser(SQLModel, table=True):
    """The unit (单位) a `unit` account speaks for: it reads only that unit's members' records."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    unit_id: int = Field(foreign_key="ledgerunit.id", index=True)


class Job(SQLModel, table=True):
    """Long work done outside a request (export, batch issue, import, notice PDF): its state,
    progress and result, region-scoped like the records it reads. The queue only carries its id."""

    __table_args__ = (Index("ix_job_key_status", "key", "status"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # in the job's URLs; unguessable
    kind: str = Field(max_length=24)
    key: str = Field(max_length=64)  # sha256 of kind, user and parameters: the same request reuses a live job
    params: Any = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=12)  # queued | running | done | failed
    stage: str = Field(default="", max_length=200)  # what it is doing now, in Chinese
    done: int = 0
    total: int = 0
    attempts: int = 0
    max_attempts: int = 3
    region_id: int = Field(foreign_key="region.id", index=True)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: Optional[datetime] = None
    heartbeat_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    result_path: Optional[str] = Field(default=None, max_length=200)  # a storage key under MEDIA_DIR
    result_name: Optional[str] = Field(default=None, max_length=200)
    result_mime: Optional[str] = Field(default=None, max_length=100)
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))  # summary shown on the page
    error: str = Field(default="", max_length=2000)  # why it failed, in Chinese


class ReportSequence(SQLModel, table=True):
    """The last report number given per report type and year (YS-2026-0001, ZG-2026-0001…).

    Incremented by one UPDATE in the issuing transaction: on PostgreSQL the row lock makes
    concurrent issuers wait, so no two reports get the same number and none is skipped.
    """

    __tablename__ = "report_sequence"

    code: str = Field(primary_key=True, max_length=8)  # the report type's prefix (YS, ZG…)
    year: int = Field(primary_key=True)  # the Beijing-time year of issue
    last: int = 0


class Notification(SQLModel, table=True):
    """An in-app message to one user about something that concerns them (the bell in the header).

    `region_id` is the region of what it is about (the site's): a user only ever sees notifications
    inside their own region, and none are created across regions (services/notifications.py).
    `target` / `target_id` say where it leads (the web layer turns them into a link).
    """

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    region_id: int = Field(foreign_key="region.id", index=True)
    kind: str = Field(max_length=32)
    text: str = Field(max_length=500)
    target: str = Field(default="", max_length=24)  # inspection / review / sign / walk / micro / landmark / notice
    target_id: Optional[int] = None
    by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: Optional[datetime] = None


class SiteSummary(SQLModel, table=True):
    """Where one site stands, kept current by the workflow (services/summaries.py): its latest
    inspection's status, its latest result, and the regions above it, so the dashboard reads
    counts and map cells from SQL without recomputing each site's latest inspection."""

    __tablename__ = "site_summary"
    # one index per level in the dashboard's order, carrying what its lists and map read (PostgreSQL
    # answers from the index alone)
    __table_args__ = tuple(Index(f"ix_site_summary_{level}_code", f"{level}_id", "code", "site_id",
                                 postgresql_include=["status", "since", "lat", "lon", "township_id"])
                           for level in ("township", "county", "city"))

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    village_id: int = Field(foreign_key="region.id", index=True)
    township_id: Optional[int] = None
    county_id: Optional[int] = None
    city_id: Optional[int] = None
    code: str = Field(default="", max_length=32)  # the village's code: the dashboard's order
    applied: str = Field(default="none", max_length=16)  # approved category, or "none"
    status: str = Field(default="none", max_length=16)  # latest inspection's status, or "none"
    last_id: Optional[int] = None  # latest inspection
    res_id: Optional[int] = None  # latest result (submitted or later)
    since: Optional[datetime] = None  # latest inspection's submission (else last change)
    reached: str = Field(default="none", max_length=16)  # tier passed, "below" or "none"
    verdict: str = Field(default="none", max_length=16)  # latest result's verdict, or "none"
    score: Optional[float] = None
    score_bin: str = Field(default="none", max_length=8)  # "0".."9" (10-point bins), or "none"
    lat: Optional[float] = None
    lon: Optional[float] = None


class SiteFailed(SQLModel, table=True):
    """An item failed in a site's latest result (`checklist:item`), for the per-region counts."""

    __tablename__ = "site_failed"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    item_key: str = Field(max_length=170, primary_key=True)


class RegionSummary(SQLModel, table=True):
    """Counts of sites per region (every level above a site), per approved category, per
    dimension (sites, status, reached, verdict, score, located, failed) and key."""

    __tablename__ = "region_summary"

    region_id: int = Field(foreign_key="region.id", primary_key=True)
    applied: str = Field(max_length=16, primary_key=True)
    dimension: str = Field(max_length=12, primary_key=True)
    key: str = Field(max_length=170, primary_key=True)
    n: int = 0
