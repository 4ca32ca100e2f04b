"""Party–Mass service center inspection app."""
from __future__ import annotations

import os
import secrets
from datetime import date, datetime
from pathlib import Path

from flask import Flask, g
from htmx_flask import Htmx

ROOT = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "inspector_session"  # the session cookie's name (bench/save_latency.py checks it by this)


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, or one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, database, checklists (a bad checklist stops the start), blueprints."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'inspector.db'}",
        CHECKLIST_DIR=str(ROOT / "checklists"),
        MEDIA_DIR=os.environ.get("MEDIA_DIR") or str(ROOT / "media"),  # shared by every node and the job worker
        REDIS_URL=os.environ.get("REDIS_URL") or None,  # jobs on RQ; unset: in a thread of the app (docs/jobs.md)
        JOBS_QUEUE=os.environ.get("JOBS_QUEUE") or "inspector",
        SITES_PER_PAGE=50,
        ACCURACY_LIMIT_M=100,  # a usable phone fix; see inspector/core/evidence.py for why
        PHOTO_MAX_BYTES=25 * 1024 * 1024,
        MAX_CONTENT_LENGTH=120 * 1024 * 1024,  # a few full-size photos in one upload
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Served over HTTPS in production (INSPECTOR_HTTPS=1): cookies only travel encrypted.
        SESSION_COOKIE_SECURE=os.environ.get("INSPECTOR_HTTPS", "") == "1",
        REMEMBER_COOKIE_SECURE=os.environ.get("INSPECTOR_HTTPS", "") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # a working day in the field
        # A year without the State Council's schedule is counted provisionally (暂定) by its
        # statutory holidays; a county may be strict instead and refuse such dates.
        WORKDAYS_STRICT=os.environ.get("WORKDAYS_STRICT", "") == "1",
        TODAY=None,  # tests and demos may fix "today" (a date); None = today in China
        LOGIN_MAX_FAILURES=5,  # per account within LOGIN_WINDOW_S; then refused until the window passes
        LOGIN_MAX_FAILURES_PER_IP=20,
        LOGIN_WINDOW_S=15 * 60,
        WTF_CSRF_TIME_LIMIT=None,  # an inspection page stays open for hours in the field
        # The canonical address printed in documents (QR codes, verify links); never the request's Host.
        PUBLIC_URL=os.environ.get("PUBLIC_URL", ""),
        # Hosts answered besides 127.0.0.1, localhost and PUBLIC_URL's (comma-separated); others get 400.
        EXTRA_TRUSTED_HOSTS=os.environ.get("TRUSTED_HOSTS", ""),
        INSPECTOR_HTTPS=os.environ.get("INSPECTOR_HTTPS", "") == "1",
        # Counties (region codes, comma-separated; "*" for all) whose completion acceptances take photos
        # as original files, not resized on the phone (docs/photos.md).
        ORIGINAL_PHOTOS_COUNTIES=tuple(c.strip() for c in os.environ.get("ORIGINAL_PHOTOS_COUNTIES", "").split(",")
                                       if c.strip()),
        MEDIA_SWEEP_AT_START=True,  # remove temporary upload files older than an hour at start-up
    )
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from . import db
    from .core.checklist import load_dir

    app.extensions["engine"] = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["checklists"] = load_dir(app.config["CHECKLIST_DIR"])
    from .web import security
    security.register(app)  # before the blueprints: their <int:…> routes use its bounded id converter
    from .core import programs as program_defs
    from .services import programs as program_service
    program_dir = Path(app.config["CHECKLIST_DIR"]) / "programs"
    app.extensions["programs"] = program_defs.load_dir(program_dir)
    mismatched = program_defs.checklist_problems(
        program_dir, {c.id: tuple(c.purposes) for c in app.extensions["checklists"].values()})
    if mismatched:
        raise program_defs.ChecklistError(mismatched)
    program_service.install(app.extensions["programs"])
    Htmx(app)
    from .web.compress import register as register_compress
    register_compress(app)
    from flask_wtf.csrf import CSRFProtect
    CSRFProtect(app)
    from .web.auth import login_manager
    login_manager.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()

    from .web import (admin, auth, calendar, checklists, compare, dashboard, errors, inspections, landmark, main,
                      media, micro, notices, reports, review, sites)
    for bp in (main.bp, auth.bp, sites.bp, inspections.bp, review.bp, reports.bp, media.bp, checklists.bp,
               dashboard.bp, compare.bp, landmark.bp, micro.bp, notices.bp, admin.bp, calendar.bp, errors.bp):
        app.register_blueprint(bp)
    from .web.photos import bp as photos_bp  # a photo's page: delete, replace, mark up (issue 15)
    app.register_blueprint(photos_bp)
    from .web.ledger import register as register_ledger  # in-service members' ledger and service projects
    register_ledger(app)
    from .jobs.web import bp as jobs_bp
    app.register_blueprint(jobs_bp)
    from .web.filters import register as register_filters
    register_filters(app)
    from .web.assets import register as register_assets  # hashed static URLs, /sw.js (docs/offline.md)
    register_assets(app)
    from .cli import register as register_cli
    register_cli(app)
    if app.config["MEDIA_SWEEP_AT_START"]:
        _sweep_at_start(app)
    return app


def _sweep_at_start(app: Flask) -> None:
    """Remove temporary upload files an earlier crash left (older than an hour); never fails the start."""
    from .services import media_sweep
    try:
        removed = media_sweep.sweep_temporary(Path(app.config["MEDIA_DIR"]))
    except OSError as exc:
        app.logger.warning("media sweep at start failed: %s", exc)
        return
    if removed:
        app.logger.warning("media sweep at start: removed %d temporary files", len(removed))


def get_db():
    """The request's database session (one per request, closed at teardown)."""
    from flask import current_app

    from .db import session
    if "db" not in g:
        g.db = session(current_app.extensions["engine"])
    return g.db


from .core.clock import CHINA  # noqa: E402  (one Beijing-time zone for the app)


def settle_after_start() -> None:
    """Move everything alive after start-up (checklists, templates, SQLAlchemy's tables) out of
    the garbage collector's sight: a request that reads 20,000 rows otherwise triggers full
    collections that walk all of it again (dashboard at 20,000 sites: ~15 % of its time). Call
    once per server process after create_app; `inspector/wsgi.py` does."""
    import gc
    gc.collect()
    gc.freeze()


def today() -> date:
    """Today's date in China (or the TODAY the app was configured with, for tests and demos)."""
    from flask import current_app

    fixed = current_app.config.get("TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(CHINA).date()


def get_calendar():
    """The working-day calendar of this request: chinese_calendar, the seed file and the years
    entered in the app (read once per request, so a schedule entered on one node is used by all)."""
    from flask import current_app

    from .services import workcalendar
    cal = g.get("calendar")
    if cal is None:
        cal = workcalendar.calendar(session=get_db(), strict=current_app.config["WORKDAYS_STRICT"])
        g.calendar = cal
    return cal
