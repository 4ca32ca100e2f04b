"""Public notices (公示) and objections raised against them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .base import utcnow


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
