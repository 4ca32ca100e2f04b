"""Login throttling: too many failed sign-ins for an account from one address, or from an address
for any accounts, within a window.

Failures are counted per (account, address) pair and per address, never per account alone: an
attacker's address locks itself out, never the owner on their own phone (whose pair has no
failures). Guessing one account from many addresses is slowed by argon2 and each address's limits.

Counted on the `LoginAttempt` table, so the limit holds across worker processes and restarts.
A success is recorded too but forgives nothing: failures count until they leave the window.
Refused attempts (over the limit) are not recorded: no password was tried, and the wait shown
to the person stays exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from ..models import LoginAttempt, utcnow


@dataclass(frozen=True)
class Limits:
    """How many failures an (account, address) pair and an address may have within the window (seconds)."""

    per_account: int = 5
    per_ip: int = 20
    window_s: int = 900

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits from app config (LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_IP, LOGIN_WINDOW_S)."""
        return cls(int(config["LOGIN_MAX_FAILURES"]), int(config["LOGIN_MAX_FAILURES_PER_IP"]),
                   int(config["LOGIN_WINDOW_S"]))


def _blocked_until(session: Session, where: list, limit: int, since: datetime,
                   window: timedelta) -> datetime | None:
    """When the failures matching `where` drop below the limit again, or None if they are below it now."""
    if limit <= 0:
        return None
    failures = session.exec(select(LoginAttempt.at).where(*where, LoginAttempt.ok.is_(False),
                                                          LoginAttempt.at > since)
                            .order_by(LoginAttempt.at.desc()).limit(limit)).all()
    if len(failures) < limit:
        return None
    return failures[-1] + window  # the limit-th newest failure leaves the window then


def wait_minutes(*, session: Session, username: str, ip: str, limits: Limits,
                 now: datetime | None = None) -> int | None:
    """Whole minutes to wait before this account may be tried from this address again, or None if it may now."""
    now = now or utcnow()
    window = timedelta(seconds=limits.window_s)
    since = now - window
    pair = [LoginAttempt.username == username[:64], LoginAttempt.ip == ip[:64]]
    until = [t for t in (_blocked_until(session, pair, limits.per_account, since, window),
                         _blocked_until(session, [LoginAttempt.ip == ip[:64]], limits.per_ip, since, window)) if t]
    if not until:
        return None
    return max(1, math.ceil((max(until) - now).total_seconds() / 60))


def record(*, session: Session, username: str, ip: str, ok: bool, now: datetime | None = None) -> LoginAttempt:
    """Record a sign-in attempt (successful or not)."""
    row = LoginAttempt(username=username[:64], ip=ip[:64], ok=ok, at=now or utcnow())
    session.add(row)
    return row


def failures(*, session: Session, username: str, limits: Limits, now: datetime | None = None) -> int:
    """Failed attempts for an account within the window (for messages and tests)."""
    since = (now or utcnow()) - timedelta(seconds=limits.window_s)
    return session.exec(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.ok.is_(False), LoginAttempt.at > since)).one()


def prune(*, session: Session, older_than: timedelta = timedelta(days=90), now: datetime | None = None) -> int:
    """Delete attempts older than a period (they no longer count); how many were deleted."""
    cutoff = (now or utcnow()) - older_than
    done = session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    return done.rowcount or 0
