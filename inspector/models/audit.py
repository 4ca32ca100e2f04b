"""Who changed what (the audit log), and messages to users."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from .base import utcnow


class AuditLog(SQLModel, table=True):
    """Who changed what, when, from what to what."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: Optional[int] = None
    before: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))


class Notification(SQLModel, table=True):
    """An in-app message to one user about something that concerns them (the bell in the header).

    `region_id` is the region of what it is about (the site's): a user only ever sees notifications
    inside their own region, and none are created across regions (services/notifications.py).
    `target` / `target_id` say where it leads (the web layer turns them into a link).
    """

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    region_id: int = Field(foreign_key="region.id", index=True)
    kind: str = Field(max_length=32)
    text: str = Field(max_length=500)
    target: str = Field(default="", max_length=24)  # inspection / review / sign / walk / micro / landmark / notice
    target_id: Optional[int] = None
    by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: Optional[datetime] = None
