"""Databases at an old revision, for the tests that migrate existing rows (on SQLite and PostgreSQL)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from alembic import command
from sqlalchemy import text

from inspector import db as dbmod

from .conftest import _postgres_database


def migrate(engine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the database to `revision`."""
    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


@contextmanager
def database_at(backend: str, tmp_path, revision: str, rows: Iterable[str] = (),
                fill: Callable | None = None) -> Iterator:
    """A fresh database of `backend` migrated to `revision`, with `rows` (SQL) and `fill(conn)` in it;
    dropped afterwards."""
    if backend == "sqlite":
        engine = dbmod.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        admin = name = None
    else:
        admin, name, url = _postgres_database()
        engine = dbmod.make_engine(url)
    migrate(engine, revision)
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(row))
        if fill is not None:
            fill(conn)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
