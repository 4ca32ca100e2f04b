"""Long work done outside a request."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from .base import utcnow


class Job(SQLModel, table=True):
    """Long work done outside a request (export, batch issue, import, notice PDF): its state,
    progress and result, region-scoped like the records it reads. The queue only carries its id."""

    __table_args__ = (Index("ix_job_key_status", "key", "status"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # in the job's URLs; unguessable
    kind: str = Field(max_length=24)
    key: str = Field(max_length=64)  # sha256 of kind, user and parameters: the same request reuses a live job
    params: Any = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=12)  # queued | running | done | failed
    stage: str = Field(default="", max_length=200)  # what it is doing now, in Chinese
    done: int = 0
    total: int = 0
    attempts: int = 0
    max_attempts: int = 3
    region_id: int = Field(foreign_key="region.id", index=True)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: Optional[datetime] = None
    heartbeat_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    result_path: Optional[str] = Field(default=None, max_length=200)  # a storage key under MEDIA_DIR
    result_name: Optional[str] = Field(default=None, max_length=200)
    result_mime: Optional[str] = Field(default=None, max_length=100)
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))  # summary shown on the page
    error: str = Field(default="", max_length=2000)  # why it failed, in Chinese
