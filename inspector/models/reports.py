"""Issued reports and their numbering."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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


class ReportSequence(SQLModel, table=True):
    """The last report number given per report type and year (YS-2026-0001, ZG-2026-0001…).

    Incremented by one UPDATE in the issuing transaction: on PostgreSQL the row lock makes
    concurrent issuers wait, so no two reports get the same number and none is skipped.
    """

    __tablename__ = "report_sequence"

    code: str = Field(primary_key=True, max_length=8)  # the report type's prefix (YS, ZG…)
    year: int = Field(primary_key=True)  # the Beijing-time year of issue
    last: int = 0
