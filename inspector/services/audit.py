"""The audit log: every write records who, when, before and after."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..models import AuditLog


def record(*, session: Session, user_id: int | None, action: str, entity: str, entity_id: int | None,
           before: Any = None, after: Any = None) -> None:
    """Add an audit row to the session (committed with the change it describes)."""
    session.add(AuditLog(user_id=user_id, action=action, entity=entity, entity_id=entity_id,
                         before=before, after=after))
