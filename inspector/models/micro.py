"""Micro projects (微实事) and the members' fund."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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
