"""The rows of one answer: read fresh, inserted once, overwritten by compare-and-set on its version,
each version with its audit row. Prebuilt statements on the tables, no ORM unit of work: these
are most of a save's SQL (services/inspections.record_answer decides; docs/saves.md). Also the
stored answers as the decision and the running tally read them (a follow-up's over its original's)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, func, literal_column
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..models import Answer, AuditLog, Inspection
from .prebuilt import Prebuilt, loaded


def current(session: Session, inspection_id: int, item_id: str) -> Answer | None:
    """The stored answer, read fresh from the database."""
    return session.exec(select(Answer).where(Answer.inspection_id == inspection_id, Answer.item_id == item_id)
                        .execution_options(populate_existing=True)).first()


def kept_note(current: Answer | None, note: str | None) -> str:
    """The note a save leaves on the item: the one given, else the stored one ("" on a first answer)."""
    if note is not None:
        return note
    return current.note if current is not None else ""


def _audit_versions(current: Answer | None, item_id: str, value, note: str | None) -> tuple[dict | None, dict]:
    """The audit row's before and after of one answer version, the rule of every write path: the
    first version has no before; a note not given keeps the stored one (kept_note)."""
    after = {"item": item_id, "value": value, "note": kept_note(current, note),
             "version": 1 if current is None else current.version + 1}
    if current is None:
        return None, after
    return {"value": current.value, "note": current.note, "version": current.version}, after


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
    _audit(session, row["by_id"], answer.id, *_audit_versions(None, item_id, row["value"], note), row["at"])
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
    before, after = _audit_versions(current, current.item_id, row["value"], note)
    changes = {**row, "version": current.version + 1, **({} if note is None else {"note": note})}
    done = session.execute(_UPDATE_ANSWER[frozenset(changes)], {
        "answer_id": current.id, "old_version": current.version, **{f"new_{k}": v for k, v in changes.items()}})
    if done.rowcount != 1:
        return None
    for key, new in changes.items():  # what the row now holds, without reading it back
        set_committed_value(current, key, new)
    _audit(session, row["by_id"], current.id, before, after, row["at"])
    return current


def counts_with_the_write(session: Session) -> bool:
    """Whether the answer, its audit row and the inspection's counts go in one statement
    (`write_counted`: PostgreSQL's data-modifying WITH; SQLite has none, so three statements)."""
    return session.get_bind().dialect.name == "postgresql"


# What a save writes on the inspection's row (services/tally.py stores them all, every time).
COUNT_COLUMNS = ("tally", "tally_rev", "updated_at", "score", "verdict", "subsidy")
_WRITTEN = ("value", "result", "by_id", "at", "version", "client_id", "device_id", "note", "captured_at")


def _counted_statement(first: bool):
    """PostgreSQL: one statement that writes the answer (the first one: INSERT … ON CONFLICT DO
    NOTHING; else the compare-and-set UPDATE … WHERE id AND version), its audit row from the row
    written, and the inspection's counts by compare-and-set on tally_rev, only if the answer was
    written. It returns the answer's id (no row: nothing was written) and whether the counts were.
    It always writes every column a save may change (`_WRITTEN`), so there are two statements only.
    No parameter is named as a column of these tables: SQLAlchemy would add it to a SET clause."""
    answer, log, inspection = Answer.__table__, AuditLog.__table__, Inspection.__table__
    columns = _WRITTEN + (("inspection_id", "item_id") if first else ())
    new = {answer.c[c]: bindparam(f"new_{c}", type_=answer.c[c].type) for c in columns}
    if first:
        write = (postgresql.insert(answer).values(new)
                 .on_conflict_do_nothing(index_elements=["inspection_id", "item_id"]))
    else:
        write = sa_update(answer).where(answer.c.id == bindparam("answer_id"),
                                        answer.c.version == bindparam("old_version")).values(new)
    written = write.returning(answer.c.id, answer.c.at, answer.c.by_id).cte("written")
    logged = (sa_insert(log).from_select(
        ["at", "user_id", "action", "entity", "entity_id", "before", "after"],
        sa_select(written.c.at, written.c.by_id, _ANSWER, _ANSWER, written.c.id,
                  bindparam("audit_before", type_=log.c.before.type), bindparam("audit_after", type_=log.c.after.type)))
        .returning(log.c.id).cte("logged"))
    count = (sa_update(inspection)
             .where(inspection.c.id == bindparam("counted_id"), inspection.c.tally_rev == bindparam("old_rev"),
                    exists(sa_select(written.c.id)))
             .values({inspection.c[c]: bindparam(f"count_{c}", type_=inspection.c[c].type) for c in COUNT_COLUMNS})
             .returning(inspection.c.id).cte("counted"))
    return sa_select(written.c.id, sa_select(func.count()).select_from(count).scalar_subquery().label("counted"),
                     sa_select(func.count()).select_from(logged).scalar_subquery().label("logged"))


_ANSWER = literal_column("'answer'")  # the audit row's action and entity, as _AUDIT_ANSWER writes them
_FIRST_BUILT, _AGAIN_BUILT = _counted_statement(True), _counted_statement(False)
# PostgreSQL only (counts_with_the_write): run on the driver's cursor (services/prebuilt.py).
_WRITE_FIRST, _WRITE_AGAIN = Prebuilt(_FIRST_BUILT), Prebuilt(_AGAIN_BUILT)


def write_counted(session: Session, inspection: Inspection, current: Answer | None, item_id: str, row: dict,
                  note: str | None, counts: dict) -> tuple[Answer | None, bool]:
    """Write the answer (as `insert` or `update`), its audit row and the inspection's new counts
    (`counts`: services.tally.planned, COUNT_COLUMNS) in one statement and one round trip
    (counts_with_the_write).

    (None, False): someone wrote this item first, nothing was written (as `insert` / `update`
    returning None). (answer, False): the answer and its audit row are written but another save of
    this inspection counted first, so the caller must count this change again on the fresh counts
    (tally.count_save with stale=True). (answer, True): all three are written.
    A note or capture time not given keeps the stored one: it is written back as read, which the
    compare-and-set on the version makes the same as leaving it."""
    before, after = _audit_versions(current, item_id, row["value"], note)
    if current is None:
        changes = {"inspection_id": inspection.id, "item_id": item_id, "captured_at": None, **row}
        keys, statement = {}, _WRITE_FIRST
    else:
        changes = {"captured_at": current.captured_at, **row}
        keys, statement = {"answer_id": current.id, "old_version": current.version}, _WRITE_AGAIN
    changes.update(version=after["version"], note=after["note"])
    found = statement.first(session, {
        **keys, **{f"new_{k}": v for k, v in changes.items()}, "audit_before": before, "audit_after": after,
        "counted_id": inspection.id, "old_rev": inspection.tally_rev,
        **{f"count_{k}": counts[k] for k in COUNT_COLUMNS}})
    if found is None:
        return None, False
    answer_id, counted = found[0], found[1]
    if current is None:  # the row as written, known without reading it back
        current = loaded(session, Answer, ("id", *changes), (answer_id, *changes.values()))
    else:
        for k, v in changes.items():
            set_committed_value(current, k, v)
    return current, counted == 1


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
