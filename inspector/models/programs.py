"""The steps of a program's procedure, each with its owner and deadline."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .base import utcnow


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
