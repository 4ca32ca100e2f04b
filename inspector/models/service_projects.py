"""Party–mass service projects (seed 003)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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
