"""The rows of one answer: read fresh, inserted once, overwritten by compare-and-set on its version,
each version with its audit row. Prebuilt statements on the tables, no ORM unit of work: these
are most of a save's SQL (services/inspections.record_answer decides; docs/saves.md). Also the
stored answers as the decision and the running tally read them (a follow-up's over its original's)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..models import Answer, AuditLog, Inspection


def current(session: Session, inspection_id: int, item_id: str) -> Answer | None:
    """The stored answer, read fresh from the database."""
    return session.exec(select(Answer).where(Answer.inspection_id == inspection_id, Answer.item_id == item_id)
                        .execution_options(populate_existing=True)).first()


def insert(session: Session, inspection, item_id: str, row: dict, note: str | None) -> Answer | None:
    """Insert the first answer to an item; None if another request inserted it first.

    `INSERT … ON CONFLICT DO NOTHING RETURNING` (as db.insert_new) returning the row itself."""
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    answer = session.scalars(dialect_insert(Answer).values(inspection_id=inspection.id, item_id=item_id, note=note or "",
                                                   version=1, **row)
                             .on_conflict_do_nothing(index_elements=["inspection_id", "item_id"])
                             .returning(Answer)).first()
    if answer is None:
        return None
    _audit(session, row["by_id"], answer.id, None, {"item": item_id, "value": row["value"],
                                                           "note": answer.note, "version": 1}, row["at"])
    return answer


_AUDIT_ANSWER = sa_insert(AuditLog.__table__).values(action="answer", entity="answer")


def _audit(session, user_id: int, answer_id: int, before, after, now) -> None:
    """The audit row of one answer version, written at once with a prebuilt INSERT (as
    audit.record writes it, without the ORM's unit of work: about a sixth of a save's CPU)."""
    session.execute(_AUDIT_ANSWER, {"at": now, "user_id": user_id, "entity_id": answer_id, "before": before,
                                    "after": after})


def _update_answer_statement(columns: frozenset):
    """UPDATE answer … WHERE id AND version (compare-and-set), built once, on the table (no ORM work)."""
    table = Answer.__table__
    return (sa_update(table).where(table.c.id == bindparam("answer_id"), table.c.version == bindparam("old_version"))
            .values({table.c[c]: bindparam(f"new_{c}", type_=table.c[c].type) for c in sorted(columns)}))


_BASE_COLUMNS = frozenset(("value", "result", "by_id", "at", "version", "client_id", "device_id"))
_UPDATE_ANSWER = {columns: _update_answer_statement(columns) for columns in
                  (_BASE_COLUMNS | extra for extra in (frozenset(), {"note"}, {"captured_at"}, {"note", "captured_at"}))}


def update(session: Session, current: Answer, row: dict, note: str | None) -> Answer | None:
    """Overwrite the answer if nobody saved it since we read it (compare-and-set on version)."""
    before = {"value": current.value, "note": current.note, "version": current.version}
    changes = {**row, "version": current.version + 1, **({} if note is None else {"note": note})}
    done = session.execute(_UPDATE_ANSWER[frozenset(changes)], {
        "answer_id": current.id, "old_version": current.version, **{f"new_{k}": v for k, v in changes.items()}})
    if done.rowcount != 1:
        return None
    for key, new in changes.items():  # what the row now holds, without reading it back
        set_committed_value(current, key, new)
    _audit(session, row["by_id"], current.id, before, {"item": current.item_id, "value": row["value"],
                                                              "note": current.note, "version": current.version},
                  row["at"])
    return current


def answers_of(*, session: Session, inspection: Inspection) -> dict[str, Answer]:
    """The inspection's answers by item id."""
    rows = session.exec(select(Answer).where(Answer.inspection_id == inspection.id))
    return {a.item_id: a for a in rows}


def values_of(*, session: Session, inspection: Inspection, answers: dict[str, Answer] | None = None) -> dict[str, Any]:
    """The values the inspection is scored on, by item id.

    A follow-up re-checks only its scope items: the rest keep the values of the inspection it
    follows up (itself perhaps a follow-up), so its score is the site's score after rectification.
    """
    if answers is None:
        answers = answers_of(session=session, inspection=inspection)
    own = {k: a.value for k, a in answers.items()}
    if inspection.follow_up_of_id is None:
        return own
    original = session.get(Inspection, inspection.follow_up_of_id)
    return {**values_of(session=session, inspection=original), **own}


def notes_of(*, session: Session, inspection: Inspection, answers: dict[str, Answer] | None = None) -> dict[str, str]:
    """The inspector's notes by item id, a follow-up's over its original's (like `values_of`)."""
    if answers is None:
        answers = answers_of(session=session, inspection=inspection)
    own = {k: a.note or "" for k, a in answers.items()}
    if inspection.follow_up_of_id is None:
        return own
    return {**notes_of(session=session, inspection=session.get(Inspection, inspection.follow_up_of_id)), **own}
