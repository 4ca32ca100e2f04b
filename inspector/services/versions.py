"""Stored checklist versions as pages name them (the title each inspection was filled in against)."""
from __future__ import annotations

from typing import Iterable

from sqlmodel import Session, select

from ..models import ChecklistVersion


def titles(*, session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The title of each checklist version id, in one query (an empty dict for no ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.exec(select(ChecklistVersion.id, ChecklistVersion.title)
                             .where(ChecklistVersion.id.in_(wanted))).all())
