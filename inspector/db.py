"""Engine and sessions: one engine per app, one session per request."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine, PING_IDLE_S)
    return engine


PING_IDLE_S = 10.0  # a pooled PostgreSQL connection idle longer than this is pinged before use


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """`pool_pre_ping`, but only for a connection that sat in the pool longer than `idle_s`: one used a
    moment ago (every save under load) is not pinged, which saved a round trip and ~2 % of a save's
    CPU (docs/saves.md). A dead connection (the server restarted, an idle timeout) is replaced before
    the request sees it, as with pre-ping; `idle_s=0` pings on every checkout."""
    import time

    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        since = record.info.pop("idle_since", None)
        if since is not None and time.monotonic() - since <= idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # any failure: this connection is gone
            raise exc.DisconnectionError() from error  # the pool drops it and connects anew
        if not alive:
            raise exc.DisconnectionError()


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and this database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest migration."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def session(engine: Engine) -> Session:
    """A new session that keeps objects usable after commit."""
    return Session(engine, expire_on_commit=False)


def insert_new(session: Session, model, values: dict, unique: list[str]) -> int | None:
    """INSERT a row unless one with the same unique columns exists; its id, or None if it existed.

    `INSERT … ON CONFLICT DO NOTHING RETURNING id` reads the same on SQLite and PostgreSQL and
    needs no SAVEPOINT (pysqlite's SAVEPOINT handling would commit the row on its own).
    """
    from sqlalchemy.dialects import postgresql, sqlite
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
                 .returning(model.id))
    return session.execute(statement).scalar()
