"""Accounts, the unit an account speaks for, sign-in attempts and sessions."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .base import utcnow


class User(SQLModel, table=True):
    """A person with a role, bound to a region."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    region_id: int = Field(foreign_key="region.id", index=True)
    password_hash: str = Field(default="", max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """A sign-in attempt, for throttling guesses by account and by address."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    ip: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool = False


class AuthSession(SQLModel, table=True):
    """A signed-in session, server-side: the cookie carries its token; sign-out ends the row at once."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the cookie's token, never the token
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: Optional[datetime] = None
    ip: str = Field(default="", max_length=64)


class UnitUser(SQLModel, table=True):
    """The unit (单位) a `unit` account speaks for: it reads only that unit's members' records."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    unit_id: int = Field(foreign_key="ledgerunit.id", index=True)
