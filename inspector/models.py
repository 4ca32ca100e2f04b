"""Database tables (SQLModel). Portable: every column works on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

REGION_LEVELS = ("city", "county", "township", "village")
SITE_TYPES = ("village", "community")
ROLES = ("village", "township", "inspector", "county_reviewer", "city_reviewer", "admin")
PURPOSES = ("self_assessment", "inspection", "completion_acceptance", "red_landmark", "micro_project")
STATUSES = ("draft", "submitted", "returned", "resubmitted", "approved", "accepted")

LABELS = {
    "city": "市", "county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）",
    "community": "社区",
    "self_assessment": "自评", "inspection": "检查", "completion_acceptance": "竣工验收",
    "red_landmark": "红色地标评定", "micro_project": "微实事验收",
    "draft": "填写中", "submitted": "已提交", "returned": "已退回", "resubmitted": "已重新提交",
    "approved": "已审核", "accepted": "已验收",
    "township_role": "乡镇", "inspector": "检查员", "county_reviewer": "县委组织部审核",
    "city_reviewer": "市级评审", "admin": "管理员",
    "demo": "示范村", "standard": "达标村", "upgrade": "改扩建",
}
SITE_TYPE_LABELS = {"village": "村", "community": "社区"}
ROLE_LABELS = {"village": "村（社区）", "township": "乡镇（街道）", "inspector": "检查员",
               "county_reviewer": "县委组织部", "city_reviewer": "市级评审", "admin": "管理员"}


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
    tier_applied: Optional[str] = Field(default=None, max_length=16)
    geofence_m: int = 200


class Site(SiteBase, table=True):
    """A service center being inspected."""

    id: Optional[int] = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


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


class Answer(SQLModel, table=True):
    """The current answer to one item of an inspection; `version` counts its saves."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

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


class Photo(SQLModel, table=True):
    """A photo attached to one item of an inspection, with where and when it was taken."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "sha256"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    item_id: str = Field(max_length=80)
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
