"""Users: create, find, authenticate (argon2), and change role, region, name, activity and password.

Every change writes an audit row; the password and its hash never appear in one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, select

from ..core.errors import DomainError
from ..models import LABELS, ROLE_LABELS, ROLES, Region, User, utcnow
from . import audit, throttle

# RFC 9106's second recommendation (argon2id, t=3, 64 MiB, p=4): about 0.1 s per hash here.
# The test suite swaps in a cheap hasher (tests/conftest.py) and checks these parameters once.
HASH_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(HASH_PARAMETERS)
_dummy_hash: str | None = None

MIN_PASSWORD = 8
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
# The region level each role is bound to; roles not listed may sit at any level of the tree.
ROLE_LEVELS = {"village": "village", "township": "township", "county_reviewer": "county", "city_reviewer": "city"}


class UserError(DomainError):
    """A user change that breaks a rule (the message says which, in Chinese); 422."""


def hash_password(password: str) -> str:
    """An argon2 hash of a password (at least 8 characters)."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 位")
    return _hasher.hash(password)


def _by_id(by: User | int | None) -> int | None:
    return by.id if isinstance(by, User) else by


def check_role_region(role: str, region: Region) -> None:
    """Raise UserError unless the role exists and may be bound to a region of this level."""
    if role not in ROLES:
        raise UserError(f"未知角色 {role!r}（可用：{', '.join(ROLES)}）")
    level = ROLE_LEVELS.get(role)
    if level is not None and region.level != level:
        raise UserError(f"{ROLE_LABELS[role]}账号应绑定到{LABELS[level]}级区划，"
                        f"而“{region.name}”是{LABELS.get(region.level, region.level)}级")


def _clean_name(display_name: str) -> str:
    name = (display_name or "").strip()
    if not name:
        raise UserError("请填写姓名")
    if len(name) > 100:
        raise UserError("姓名不能超过 100 个字")
    return name


def create(*, session: Session, username: str, display_name: str, role: str, region: Region,
           password: str | None = None, password_hash: str | None = None, by: User | int | None = None) -> User:
    """Create a user bound to a region of the level its role needs; the password is stored as an argon2 hash."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise UserError("用户名为 2–64 位字母、数字或 _ . @ -")
    display_name = _clean_name(display_name)
    check_role_region(role, region)
    if session.exec(select(User).where(func.lower(User.username) == username.lower())).first():
        raise UserError(f"用户名“{username}”已存在")
    if password_hash is None:
        password_hash = hash_password(password or "")
    user = User(username=username, display_name=display_name, role=role, region_id=region.id,
                password_hash=password_hash)
    session.add(user)
    session.flush()
    audit.record(session=session, user_id=_by_id(by), action="create", entity="user", entity_id=user.id,
                 after={"username": username, "display_name": display_name, "role": role, "region": region.code,
                        "active": True})
    return user


def update(*, session: Session, user: User, by: User, display_name: str | None = None, role: str | None = None,
           region: Region | None = None, active: bool | None = None) -> dict[str, Any]:
    """Change a user's name, role, region or activity; returns what changed (audited as before/after).

    An admin cannot deactivate themselves or give up their own admin role.
    """
    new_name = _clean_name(display_name) if display_name is not None else user.display_name
    new_role = role if role is not None else user.role
    new_region = region if region is not None else session.get(Region, user.region_id)
    new_active = active if active is not None else user.active
    check_role_region(new_role, new_region)
    if user.id == by.id and not new_active:
        raise UserError("不能停用自己的账号")
    if user.id == by.id and by.role == "admin" and new_role != "admin":
        raise UserError("不能取消自己的管理员角色（请另一位管理员操作）")
    old_region = session.get(Region, user.region_id)
    before = {"display_name": user.display_name, "role": user.role, "region": old_region.code, "active": user.active}
    after = {"display_name": new_name, "role": new_role, "region": new_region.code, "active": new_active}
    changed = {k for k in before if before[k] != after[k]}
    if not changed:
        return {}
    user.display_name, user.role, user.region_id, user.active = new_name, new_role, new_region.id, new_active
    session.add(user)
    audit.record(session=session, user_id=by.id, action="update", entity="user", entity_id=user.id,
                 before={k: before[k] for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)})
    return {k: after[k] for k in changed}


def reset_password(*, session: Session, user: User, password: str, by: User) -> None:
    """Set a new password for a user (an admin's reset); the audit row records only that it happened."""
    user.password_hash = hash_password(password or "")
    session.add(user)
    end_all_sessions(session=session, user=user)  # the old password's sessions end with it
    audit.record(session=session, user_id=by.id, action="reset_password", entity="user", entity_id=user.id,
                 after={"username": user.username})


def change_password(*, session: Session, user: User, current: str, new: str, repeat: str) -> None:
    """Change one's own password: the current one, then the new one twice (at least 8 characters)."""
    if not check_password(user, current or ""):
        raise UserError("当前密码不正确")
    if (new or "") != (repeat or ""):
        raise UserError("两次输入的新密码不一致")
    if new == current:
        raise UserError("新密码不能与当前密码相同")
    user.password_hash = hash_password(new or "")
    session.add(user)
    end_all_sessions(session=session, user=user)  # every session signs in again; the caller opens a new one
    audit.record(session=session, user_id=user.id, action="change_password", entity="user", entity_id=user.id,
                 after={"username": user.username})


def check_password(user: User, password: str) -> bool:
    """Whether the password matches the user's hash."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    """A hash to verify against when the username is unknown (same argon2 work, same timing)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("no-such-user-dummy-password")
    return _dummy_hash


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The user whose password this is (active or not), or None; always does one argon2 verification."""
    row = by_username(session=session, username=username)
    if row is None:
        try:
            _hasher.verify(_dummy(), password or "")
        except (VerificationError, InvalidHashError):
            pass
        return None
    return row if check_password(row, password or "") else None


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or why not (and for how long, when throttled)."""

    user: User | None
    error: str | None = None
    wait_minutes: int | None = None


WRONG = "用户名或密码不正确"  # the same words whether or not the account exists


def sign_in(*, session: Session, username: str, password: str, ip: str, limits: throttle.Limits,
            keep: timedelta = timedelta(days=90)) -> SignIn:
    """Check a sign-in: the throttle first (even a right password waits), then the password; record it.

    The caller commits. An inactive account is refused; only someone who knows its password learns
    that it exists but is disabled. A success also drops attempts older than `keep`.
    """
    wait = throttle.wait_minutes(session=session, username=username, ip=ip, limits=limits)
    if wait is not None:
        return SignIn(None, f"登录失败次数过多，请 {wait} 分钟后再试", wait)
    row = authenticate(session=session, username=username, password=password)
    ok = row is not None and row.active
    throttle.record(session=session, username=username, ip=ip, ok=ok)
    if ok:
        throttle.prune(session=session, older_than=keep)
        prune_sessions(session=session, older_than=keep)
        return SignIn(row)
    return SignIn(None, "账号已停用，请联系管理员" if row is not None else WRONG)


def by_username(*, session: Session, username: str) -> User | None:
    """A user by username."""
    return session.exec(select(User).where(User.username == username)).first()


# Server-side sessions: the cookie names a row by its token; ending the row ends the cookie at once.

def _token_hash(token: str) -> str:
    import hashlib
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(*, session: Session, user: User, ip: str = "") -> str:
    """Open a server-side session for a user; the token to put in the cookie (only its hash is stored)."""
    import secrets
    from ..models import AuthSession
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(user_id=user.id, token_hash=_token_hash(token), ip=ip[:64]))
    return token


@dataclass(frozen=True)
class Claim:
    """What a session cookie claims: a user and the token of a server-side session of theirs."""

    user_id: int
    token: str

    def params(self, lifetime: timedelta) -> dict[str, Any]:
        """The bind parameters of SESSION_MATCH for this claim (open sessions younger than `lifetime`)."""
        return {"token_hash": _token_hash(self.token), "user_id": self.user_id, "since": utcnow() - lifetime}


def claim_of(value: str | None) -> Claim | None:
    """The claim in a session's "<user id>.<token>" (Flask-Login's user id), or None for anything else."""
    id_part, _, token = (value or "").partition(".")
    if not id_part.isdigit() or not token or int(id_part) > 2**31 - 1:
        return None
    return Claim(int(id_part), token)


def _session_match():
    from ..models import AuthSession
    return AuthSession, and_(AuthSession.user_id == User.id, AuthSession.token_hash == bindparam("token_hash"),
                             AuthSession.user_id == bindparam("user_id"), AuthSession.ended_at.is_(None),
                             AuthSession.created_at > bindparam("since"), User.active.is_(True))


# The join that finds a claim's open session row for an active `User` (parameters: Claim.params), for
# the sign-in check of every request and for the save's single read (services/inspections.for_save).
SESSION_TABLE, SESSION_MATCH = _session_match()
_SESSION_USER = select(User).join(SESSION_TABLE, SESSION_MATCH)  # built once: every request runs it (docs/saves.md)


def session_user(*, session: Session, claim: Claim, lifetime: timedelta) -> User | None:
    """The active user of an open, unexpired session with this claim, or None."""
    return session.exec(_SESSION_USER, params=claim.params(lifetime)).first()


def end_session(*, session: Session, token: str) -> int:
    """End one session (sign-out); how many rows were ended."""
    from sqlalchemy import update as sql_update
    from ..models import AuthSession, utcnow
    done = session.execute(sql_update(AuthSession).where(AuthSession.token_hash == _token_hash(token),
                                                         AuthSession.ended_at.is_(None)).values(ended_at=utcnow()))
    return done.rowcount or 0


def end_all_sessions(*, session: Session, user: User, keep: str | None = None) -> int:
    """End every open session of a user (sign out everywhere), except the one with token `keep`."""
    from sqlalchemy import update as sql_update
    from ..models import AuthSession, utcnow
    statement = sql_update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
    if keep:
        statement = statement.where(AuthSession.token_hash != _token_hash(keep))
    return session.execute(statement.values(ended_at=utcnow())).rowcount or 0


def prune_sessions(*, session: Session, older_than: timedelta) -> int:
    """Delete session rows created before a period (expired anyway); how many."""
    from sqlalchemy import delete
    from ..models import AuthSession, utcnow
    return session.execute(delete(AuthSession).where(AuthSession.created_at < utcnow() - older_than)).rowcount or 0


# ---------------------------------------------------------------- the administrator's list

SORTS = {"username": User.username, "name": User.display_name, "role": User.role, "region": Region.path,
         "created": User.created_at, "active": User.active}


@dataclass(frozen=True)
class ListFilters:
    """What the administrator's user list is narrowed to (empty: not narrowed)."""

    within: Region                 # the admin's region (always)
    region: Region | None = None   # a region of that subtree
    role: str = ""
    active: str = ""               # "1", "0" or ""
    q: str = ""                    # part of the username or the name


def listing(*, session: Session, filters: ListFilters, sort: str = "region", desc: bool = False, limit: int,
            offset: int = 0) -> tuple[list[tuple[User, Region]], int]:
    """Users of a region's subtree with their regions, filtered and sorted by a column; (page, total)."""
    f = filters
    stmt = select(User, Region).join(Region, User.region_id == Region.id).where(
        Region.path.startswith((f.region or f.within).path), Region.path.startswith(f.within.path))
    if f.role:
        stmt = stmt.where(User.role == f.role)
    if f.active:
        stmt = stmt.where(User.active.is_(f.active == "1"))
    if f.q:
        stmt = stmt.where(or_(User.username.contains(f.q, autoescape=True),
                              User.display_name.contains(f.q, autoescape=True)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    column = SORTS.get(sort, Region.path)
    order = [column.desc() if desc else column.asc(), User.username.asc()]
    return list(session.exec(stmt.order_by(*order).limit(limit).offset(offset)).all()), total
