"""The in-service members' ledger (seed 004)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


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
