"""The administrative tree and the service centers (sites) in it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .base import utcnow


class Region(SQLModel, table=True):
    """A node of the administrative tree: city › county › township › village/community."""

    id: Optional[int] = Field(default=None, primary_key=True)
    parent_id: Optional[int] = Field(default=None, foreign_key="region.id", index=True)
    level: str = Field(max_length=16)
    name: str = Field(max_length=100)
    code: str = Field(max_length=32, unique=True)
    path: str = Field(max_length=400, index=True)  # "/1/4/9/": ancestors' ids, for subtree queries


class SiteBase(SQLModel):
    """Fields a person enters for a site."""

    name: str = Field(max_length=100)
    site_type: str = Field(max_length=16)
    address: str = Field(default="", max_length=300)
    lat: Optional[float] = None  # WGS-84
    lon: Optional[float] = None  # WGS-84
    tier_applied: Optional[str] = Field(default=None, max_length=16)  # the category the county approved (篇六 一、三)
    category_doc_number: str = Field(default="", max_length=80)  # the approval document's number
    category_doc_date: Optional[date] = None  # and its date
    geofence_m: int = 200


class Site(SiteBase, table=True):
    """A service center being inspected."""

    id: Optional[int] = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The micro-project scheme this village follows (a checklists/programs/*.yaml id), set by the county.
    micro_program: Optional[str] = Field(default=None, max_length=80)
