"""Working-day schedules entered in the app, and the deadlines they changed."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .base import utcnow


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
