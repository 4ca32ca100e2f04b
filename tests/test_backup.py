"""Issue 14 point 11: `flask backup create` / `flask backup restore` on SQLite and PostgreSQL."""
import hashlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from inspector import create_app
from inspector.core.geo import Position
from inspector.models import Inspection
from inspector.services import backup, evidence
from inspector import demo
from sqlmodel import select

from . import samples
from .conftest import PG_URL


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def empty_url(db_url, tmp_path):
    """A new, empty database of the same kind as the test's."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"inspector_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_then_restore_into_a_fresh_database_gives_the_same_rows_and_files(app, db, specs, runner, tmp_path,
                                                                                  empty_url):
    demo.load(session=db, specs=specs)
    db.commit()
    media = Path(app.config["MEDIA_DIR"])
    ins = db.exec(select(Inspection).where(Inspection.status == "draft")).first()
    from inspector.models import User
    who = db.get(User, ins.created_by_id)
    evidence.attach_photo(session=db, inspection=ins, item_id="premises-exists", data=samples.jpeg(),
                          device=Position(34.87, 116.86, 8.0), by=who, media_root=media, accuracy_limit_m=100)
    db.commit()
    (media / "reports" / "ab" / "cd").mkdir(parents=True)
    (media / "reports" / "ab" / "cd" / "x.pdf").write_bytes(b"%PDF-1.7 an issued report")
    (media / "originals" / ".half.jpg.x1.tmp").write_bytes(b"partial")  # never backed up
    target = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", "create", str(target)])
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output
    before_counts = backup.row_counts(app.extensions["engine"])
    assert before_counts["site"] == 20 and before_counts["photo"] == 1
    before_files = {k: v for k, v in _hashes(media).items() if not k.endswith(".tmp")}
    assert len(before_files) == 4  # original, display, thumb, report

    fresh_media = tmp_path / "fresh-media"
    fresh = create_app({"TESTING": True, "DATABASE_URL": empty_url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                        "MEDIA_DIR": str(fresh_media)})
    result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert result.exit_code == 0, result.output
    assert backup.row_counts(fresh.extensions["engine"]) == before_counts
    assert _hashes(fresh_media) == before_files
    with fresh.test_client() as client:  # the restored app works: the demo county signs in
        r = client.post("/login", data={"username": "county", "password": demo.DEMO_PASSWORD})
        assert r.status_code == 303
    again = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert again.exit_code != 0 and "不是空的" in again.output  # never over existing data
    fresh.extensions["engine"].dispose()


def test_a_tampered_backup_is_refused_before_anything_is_restored(app, db, runner, tmp_path, empty_url):
    media = Path(app.config["MEDIA_DIR"])
    (media / "reports").mkdir(parents=True)
    (media / "reports" / "r.pdf").write_bytes(b"%PDF original")
    target = tmp_path / "b"
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0
    (target / "media" / "reports" / "r.pdf").write_bytes(b"%PDF changed")
    fresh = create_app({"TESTING": True, "DATABASE_URL": empty_url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                        "MEDIA_DIR": str(tmp_path / "m2")})
    result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert result.exit_code != 0 and "SHA-256 不符" in result.output and "media/reports/r.pdf" in result.output
    from sqlalchemy import inspect
    assert inspect(fresh.extensions["engine"]).get_table_names() == []
    fresh.extensions["engine"].dispose()


def test_backup_refuses_a_directory_that_is_not_empty(runner, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x").write_text("x")
    result = runner.invoke(args=["backup", "create", str(tmp_path / "old")])
    assert result.exit_code != 0 and "不是空的" in result.output
