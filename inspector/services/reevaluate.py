"""Re-evaluate open inspections under the current checklist files, recording before and after.

Issued reports are never touched (each keeps the inputs it was made from). An inspection still
open (being filled in, awaiting review, awaiting signatures or acceptance) whose checklist has
changed moves to the current version of that checklist; its answers are judged again, its
verdict, score and subsidy recomputed, and `inspection.reevaluation` keeps what it was and what
it is now, shown as a note wherever the decision is shown.

An inspection answered on items the current version dropped (the micro checklist split per scheme)
stays on its own version, so no answer is lost.

Written with SQLAlchemy Core on a bare connection and naming only the columns it uses, so the
Alembic migration 0007 can run it as well as `flask checklists reevaluate`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Float, Integer, MetaData, String, Table, select, update
from sqlalchemy.engine import Connection

from ..core import clock, scoring, words
from ..core.checklist import ChecklistSpec
from ..core.decision import Approval, decide

OPEN = ("draft", "returned", "submitted", "resubmitted", "approved")

_meta = MetaData()
_version = Table("checklistversion", _meta, Column("id", Integer, primary_key=True), Column("checklist_id", String),
                 Column("version", String), Column("title", String), Column("content_hash", String),
                 Column("snapshot", JSON), Column("created_at", DateTime(timezone=True)))
_inspection = Table("inspection", _meta, Column("id", Integer, primary_key=True), Column("site_id", Integer),
                    Column("checklist_version_id", Integer), Column("purpose", String), Column("tier", String),
                    Column("status", String), Column("score", Float), Column("verdict", String),
                    Column("subsidy", Integer), Column("follow_up_of_id", Integer), Column("reevaluation", JSON))
_answer = Table("answer", _meta, Column("id", Integer, primary_key=True), Column("inspection_id", Integer),
                Column("item_id", String), Column("value", JSON), Column("result", String), Column("note", String))
_site = Table("site", _meta, Column("id", Integer, primary_key=True), Column("site_type", String),
              Column("tier_applied", String), Column("category_doc_number", String),
              Column("category_doc_date", Date))


def _version_id(conn: Connection, spec: ChecklistSpec) -> int:
    """The stored version row for this exact content, inserted if new."""
    found = conn.execute(select(_version.c.id).where(_version.c.content_hash == spec.content_hash)).scalar()
    if found is not None:
        return found
    conn.execute(_version.insert().values(checklist_id=spec.id, version=spec.version, title=spec.title,
                                          content_hash=spec.content_hash, snapshot=spec.snapshot(),
                                          created_at=clock.now()))
    return conn.execute(select(_version.c.id).where(_version.c.content_hash == spec.content_hash)).scalar_one()


def _chain_answers(conn: Connection, inspection_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Values and notes an inspection is judged on: a follow-up's own over its original's."""
    row = conn.execute(select(_inspection.c.follow_up_of_id).where(_inspection.c.id == inspection_id)).one()
    values, notes = ({}, {}) if row[0] is None else _chain_answers(conn, row[0])
    for item_id, value, note in conn.execute(select(_answer.c.item_id, _answer.c.value, _answer.c.note)
                                             .where(_answer.c.inspection_id == inspection_id)):
        values[item_id] = value
        notes[item_id] = note or ""
    return values, notes


def _approval(site) -> Approval:
    """A site row's approved category."""
    when = site.category_doc_date
    return Approval(site.tier_applied, site.category_doc_number or "",
                    when.isoformat() if isinstance(when, date) else (when or ""))


def reevaluate_open(conn: Connection, specs: dict[str, ChecklistSpec], *, when: datetime | None = None,
                    kept: list[dict] | None = None) -> list[dict]:
    """Move every open inspection whose checklist changed to the current version; return the records.

    An inspection with answers to items the current version no longer has is not moved (its answers
    would be lost); it stays on the version it was begun on and is listed in `kept`.
    """
    when = when or clock.now()
    kept = [] if kept is None else kept
    current = {s.id: s for s in specs.values()}
    rows = conn.execute(select(_inspection, _version.c.checklist_id, _version.c.content_hash, _version.c.snapshot)
                        .join(_version, _version.c.id == _inspection.c.checklist_version_id)
                        .where(_inspection.c.status.in_(OPEN)).order_by(_inspection.c.id)).all()
    records = []
    for row in rows:
        spec = current.get(row.checklist_id)
        if spec is None or spec.content_hash == row.content_hash:
            continue
        values, notes = _chain_answers(conn, row.id)
        lost = sorted(i for i, v in values.items() if v not in (None, "na") and i not in spec.by_id)
        if lost:  # e.g. a seed-001 project's acceptance begun on the mixed micro checklist: it stays as begun
            kept.append({"inspection_id": row.id, "lost": lost})
            continue
        records.append({"inspection_id": row.id, **_move(conn, row, spec, values, notes, when)})
    return records


def _move(conn: Connection, row, spec: ChecklistSpec, values: dict[str, Any], notes: dict[str, str],
          when: datetime) -> dict:
    """Judge one open inspection again on the current version, store it, and return the record."""
    site = conn.execute(select(_site).where(_site.c.id == row.site_id)).one()
    tier = row.tier if spec.tier(row.tier) else None
    result = decide(spec, values, purpose=row.purpose, tier=tier, site_type=site.site_type, notes=notes,
                    approval=_approval(site))
    for answer_id, item_id, value in conn.execute(select(_answer.c.id, _answer.c.item_id, _answer.c.value)
                                                  .where(_answer.c.inspection_id == row.id)):
        item = spec.by_id.get(item_id)
        if item is not None:
            judged = scoring.judge(item, value, tier=tier, site_type=site.site_type).result
            conn.execute(update(_answer).where(_answer.c.id == answer_id).values(result=judged))
    before = {"verdict": row.verdict, "verdict_label": words.verdict_words(row.verdict),
              "score": row.score, "subsidy": row.subsidy, "checklist_hash": row.content_hash}
    after = {"verdict": result.verdict, "verdict_label": result.verdict_label, "score": result.score,
             "subsidy": result.subsidy, "checklist_hash": spec.content_hash, "headline": result.headline,
             "reasons": list(result.reasons)[:20]}
    record = {"at": when.isoformat(), "rule": result.rule, "before": before, "after": after,
              "changed": (before["verdict"], before["subsidy"]) != (after["verdict"], after["subsidy"])}
    conn.execute(update(_inspection).where(_inspection.c.id == row.id).values(
        checklist_version_id=_version_id(conn, spec), tier=tier, score=result.score, verdict=result.verdict,
        subsidy=result.subsidy, reevaluation=record))
    return record

