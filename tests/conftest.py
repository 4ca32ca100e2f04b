"""Fixtures: an app per test on SQLite and on PostgreSQL, a client, a CLI runner, a session."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from inspector import create_app
from inspector import db as dbmod
from inspector.core.checklist import load_dir

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2id with 1 MiB and one pass instead of 64 MiB and three: the suite creates and signs in
    thousands of users, and the production cost (about 0.1 s a hash) would be most of its time.
    Hashes are still real argon2id, verified by the same code; test_auth checks the production
    parameters."""
    from argon2 import PasswordHasher
    from inspector.services import users
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        mp.setattr(users, "_dummy_hash", None)
        yield


@pytest.fixture(scope="session")
def specs():
    """The real checklists, loaded once."""
    return load_dir(ROOT / "checklists")


def _postgres_database():
    """A fresh, empty PostgreSQL database for this test session; dropped afterwards."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"inspector_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
        admin.dispose()
        message = f"PostgreSQL unreachable at {PG_URL}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the PostgreSQL half of the suite must run)")
        pytest.skip(message + " (outside CI only; CI=true turns this into a failure)")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    """A migrated database URL, once per backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = dbmod.make_engine(url)
        dbmod.upgrade(engine)
        engine.dispose()
        yield url
        return
    admin, name, url = _postgres_database()
    engine = dbmod.make_engine(url)
    dbmod.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app(db_url, tmp_path, request):
    """The app on a migrated database; every table is emptied after the test.

    CSRF protection is on for browser tests and tests marked `csrf`; plain client tests post
    without tokens.
    """
    csrf = bool(request.node.get_closest_marker("browser") or request.node.get_closest_marker("csrf"))
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test",
                      "MEDIA_DIR": str(tmp_path / "media"), "WTF_CSRF_ENABLED": csrf})
    yield app
    engine = app.extensions["engine"]
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session on the app's database."""
    with dbmod.session(app.extensions["engine"]) as session:
        yield session


@pytest.fixture
def login_as(client):
    """Sign the test client in as a user (factories give every user the same password)."""
    def _login(user, password: str = "correct-horse-1"):
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]*)"', page)
        response = client.post("/login", data={"username": user.username, "password": password,
                                               "csrf_token": token.group(1) if token else ""})
        assert response.status_code == 303, response.get_data(as_text=True)
        return user
    return _login
