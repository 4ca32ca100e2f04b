"""The save's statements on the driver's cursor (services/prebuilt.py) read and fail as SQLAlchemy does.

PostgreSQL runs them on psycopg directly; these tests hold that path to SQLAlchemy's own: the same
row (JSON decoded, UTC datetimes made aware), the statements announced to the same events, and a
lost connection or a refused value raised as the SQLAlchemy errors the error pages read.
"""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, String, bindparam, cast, create_engine, event, select, text
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import object_session
from sqlmodel import Session

from inspector.models import Answer, Inspection
from inspector.services import inspections, users
from inspector.services.prebuilt import Prebuilt, loaded
from inspector.web.errors import _database_down

from . import factories


@pytest.fixture
def saved(app, db, specs):
    """An inspection with one answer (value, note, capture time), and its inspector's open session."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    by = factories.user(db, c["county"], username="i-prebuilt", role="inspector")
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=by)
    item = next(i for i in spec.items() if i.kind == "measure" and i.applies("standard", "village"))
    inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="66", note="北墙 6.6 米", by=by,
                              client_id=uuid.uuid4().hex, captured_at=datetime(2026, 5, 1, 1, 30, tzinfo=timezone.utc))
    token = users.open_session(session=db, user=by)
    db.commit()
    claim = users.Claim(by.id, token)
    return {"params": {**claim.params(timedelta(hours=12)), "inspection_id": ins.id, "item_id": item.id},
            "inspection": ins, "item": item, "by": by}


def test_the_save_read_gives_the_row_sqlalchemy_gives(db, saved):
    through_sqlalchemy = db.connection().execute(inspections._FOR_SAVE_BUILT, saved["params"]).first()
    row = inspections._FOR_SAVE.first(db, saved["params"])
    assert tuple(row) == tuple(through_sqlalchemy)
    got = dict(zip(through_sqlalchemy._fields, row))
    assert got["value"] == 66.0 and got["note"] == "北墙 6.6 米" and got["version"] == 1
    assert got["captured_at"] == datetime(2026, 5, 1, 1, 30, tzinfo=timezone.utc)  # aware, as the app stores it
    assert isinstance(got["tally"], dict) and got["tally"]["answered"] == 1  # JSON decoded
    assert got["in_scope"] is True


def test_the_save_read_of_a_wrong_token_finds_nobody(db, saved):
    assert inspections._FOR_SAVE.first(db, {**saved["params"], "token_hash": "0" * 64}) is None


def test_the_statements_reach_the_events_that_count_them(app, db, saved):
    seen = []
    engine = app.extensions["engine"]
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        inspections._FOR_SAVE.first(db, saved["params"])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(seen) == 1 and "authsession" in seen[0]


def test_a_loaded_row_is_a_persistent_object_with_the_rest_loading_on_use(db, saved):
    db.expunge_all()
    ins = saved["inspection"]
    obj = loaded(db, Inspection, ("id", "status"), (ins.id, "draft"))
    assert object_session(obj) is db and obj.status == "draft" and not db.dirty
    assert obj.site_id == ins.site_id  # an expired column: loaded on first use
    assert loaded(db, Inspection, ("id", "status"), (ins.id, "other")) is obj  # the session's own object


# The driver path exists on PostgreSQL only (SQLite runs these statements through SQLAlchemy itself),
# so the tests of its errors take the PostgreSQL database alone: nothing to skip on SQLite.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@ON_POSTGRESQL
def test_a_value_the_database_refuses_is_sqlalchemys_data_error(db):
    statement = select(cast(bindparam("n", type_=String), Integer))
    check = Prebuilt(statement)
    assert check.first(db, {"n": "12"}) == (12,)
    with pytest.raises(DataError):  # web/errors.py: 422, "输入的值超出数据库允许的范围"
        check.first(db, {"n": "十二"})
    db.rollback()


@ON_POSTGRESQL
def test_a_lost_connection_is_invalidated_and_answered_as_the_database_being_down(db_url, saved):
    from inspector import db as dbmod
    engine, killer = dbmod.make_engine(db_url), create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with Session(engine) as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(OperationalError) as caught:
                inspections._FOR_SAVE.first(session, saved["params"])
            assert caught.value.connection_invalidated and _database_down(caught.value)  # a Chinese 503
            session.rollback()
            again = inspections._FOR_SAVE.first(session, saved["params"])  # a new connection
            assert again is not None and session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()
        killer.dispose()


def test_a_first_answer_written_in_one_statement_is_loaded_as_written(client, db, login_as, saved):
    ins, item = saved["inspection"], saved["item"]
    other = next(i for i in inspections.spec_for(session=db, inspection=ins).items()
                 if i.kind == "check" and i.applies("standard", "village"))
    login_as(saved["by"])
    reply = client.post(f"/inspections/{ins.id}/items/{other.id}", headers={"HX-Request": "true"},
                        data={"value": "fail", "note": "门牌缺失", "client_id": uuid.uuid4().hex, "base_version": "0"})
    assert reply.status_code == 200 and "第 1 版" in reply.get_data(as_text=True)
    db.expire_all()
    stored = db.execute(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == other.id)).scalar_one()
    assert (stored.value, stored.result, stored.note, stored.version) == ("fail", "fail", "门牌缺失", 1)

