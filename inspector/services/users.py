"""Users: create, find, check passwords (argon2)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ..models import ROLES, Region, User
from . import audit

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2 hash of a password (at least 8 characters)."""
    if len(password) < 8:
        raise ValueError("密码至少 8 位")
    return _hasher.hash(password)


def create(*, session: Session, username: str, display_name: str, role: str, region: Region,
           password: str | None = None, password_hash: str | None = None, by: int | None = None) -> User:
    """Create a user bound to a region; the password is stored as an argon2 hash."""
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}（可用：{', '.join(ROLES)}）")
    if password_hash is None:
        password_hash = hash_password(password or "")
    if session.exec(select(User).where(User.username == username)).first():
        raise ValueError(f"用户名 {username!r} 已存在")
    user = User(username=username, display_name=display_name, role=role, region_id=region.id,
                password_hash=password_hash)
    session.add(user)
    session.flush()
    audit.record(session=session, user_id=by, action="create", entity="user", entity_id=user.id,
                 after={"username": username, "role": role, "region": region.code})
    return user


def check_password(user: User, password: str) -> bool:
    """Whether the password matches the user's hash."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def by_username(*, session: Session, username: str) -> User | None:
    """A user by username."""
    return session.exec(select(User).where(User.username == username)).first()
