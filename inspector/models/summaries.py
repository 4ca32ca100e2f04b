"""Per-site and per-region summaries kept for the dashboard."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class SiteSummary(SQLModel, table=True):
    """Where one site stands, kept current by the workflow (services/summaries.py): its latest
    inspection's status, its latest result, and the regions above it, so the dashboard reads
    counts and map cells from SQL without recomputing each site's latest inspection."""

    __tablename__ = "site_summary"
    # one index per level in the dashboard's order, carrying what its lists and map read (PostgreSQL
    # answers from the index alone)
    __table_args__ = tuple(Index(f"ix_site_summary_{level}_code", f"{level}_id", "code", "site_id",
                                 postgresql_include=["status", "since", "lat", "lon", "township_id"])
                           for level in ("township", "county", "city"))

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    village_id: int = Field(foreign_key="region.id", index=True)
    township_id: Optional[int] = None
    county_id: Optional[int] = None
    city_id: Optional[int] = None
    code: str = Field(default="", max_length=32)  # the village's code: the dashboard's order
    applied: str = Field(default="none", max_length=16)  # approved category, or "none"
    status: str = Field(default="none", max_length=16)  # latest inspection's status, or "none"
    last_id: Optional[int] = None  # latest inspection
    res_id: Optional[int] = None  # latest result (submitted or later)
    since: Optional[datetime] = None  # latest inspection's submission (else last change)
    reached: str = Field(default="none", max_length=16)  # tier passed, "below" or "none"
    verdict: str = Field(default="none", max_length=16)  # latest result's verdict, or "none"
    score: Optional[float] = None
    score_bin: str = Field(default="none", max_length=8)  # "0".."9" (10-point bins), or "none"
    lat: Optional[float] = None
    lon: Optional[float] = None


class SiteFailed(SQLModel, table=True):
    """An item failed in a site's latest result (`checklist:item`), for the per-region counts."""

    __tablename__ = "site_failed"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    item_key: str = Field(max_length=170, primary_key=True)


class RegionSummary(SQLModel, table=True):
    """Counts of sites per region (every level above a site), per approved category, per
    dimension (sites, status, reached, verdict, score, located, failed) and key."""

    __tablename__ = "region_summary"

    region_id: int = Field(foreign_key="region.id", primary_key=True)
    applied: str = Field(max_length=16, primary_key=True)
    dimension: str = Field(max_length=12, primary_key=True)
    key: str = Field(max_length=170, primary_key=True)
    n: int = 0
