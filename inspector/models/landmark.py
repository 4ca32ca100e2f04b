"""Red-landmark (红色地标) applications."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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
    # What each step recorded that pages show or steps check (before migration 0017 in `details`):
    applied_on: Optional[date] = None
    build_evidence_id: Optional[int] = Field(default=None, foreign_key="inspection.id")  # 4.2 b) evidence
    township_recommended_on: Optional[date] = None
    county_recommended_on: Optional[date] = None  # the city's receipt may not be earlier
    county_rank: Optional[int] = None  # 7.2: place in the county's ranking, of `county_rank_of`
    county_rank_of: Optional[int] = None
    county_recommended: Optional[bool] = None
    town_rank: Optional[int] = None  # 5.13: place in the town, of `town_total`
    town_total: Optional[int] = None
    town_rank_computed: Optional[bool] = None  # from the town's self-assessments (else entered with a file)
    town_rank_holds: Optional[bool] = None  # within the top share 5.13 asks for
    result: Optional[str] = Field(default=None, max_length=8)  # the city's result: pass / fail
    result_verdict: Optional[str] = Field(default=None, max_length=24)  # the evaluation's verdict then
    result_score: Optional[float] = None
    result_on: Optional[date] = None
    meeting_on: Optional[date] = None  # 7.4 部务会审定
    meeting_minutes: Optional[str] = Field(default=None, max_length=80)
    meeting_approved: Optional[bool] = None
    refused_on: Optional[date] = None
    # Free-form, never queried: evidence files, the town's scores, the county's batch, result reasons.
    details: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
