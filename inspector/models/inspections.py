"""An inspection on one checklist version: answers, return reasons, sign-offs, rectifications."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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

    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),
                      Index("ix_rectificationtask_status_due_date", "status", "due_date"))  # open tasks by due date

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
