"""Party–Mass service center inspection app."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, g
from htmx_flask import Htmx

from .runtime import ROOT

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
    _configure(app, config)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    _load_standards(app)
    _extensions(app)
    _blueprints(app)
    from .web.filters import register as register_filters
    register_filters(app)
    from .web.assets import register as register_assets  # hashed static URLs, /sw.js (docs/offline.md)
    register_assets(app)
    from .cli import register as register_cli
    register_cli(app)
    if app.config["MEDIA_SWEEP_AT_START"]:
        _sweep_at_start(app)
    return app


def _configure(app: Flask, config: dict | None) -> None:
    """The defaults (inspector/config.py), then the given config, then a secret key if none is set."""
    from .config import defaults
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(defaults(ROOT, Path(app.instance_path)), SESSION_COOKIE_NAME=SESSION_COOKIE)
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))


def _load_standards(app: Flask) -> None:
    """The engine, the checklists and the program definitions; a bad file stops the start."""
    from . import db
    from .core import programs as program_defs
    from .core.checklist import load_dir
    from .services import programs as program_service
    app.extensions["engine"] = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["checklists"] = load_dir(app.config["CHECKLIST_DIR"])
    program_dir = Path(app.config["CHECKLIST_DIR"]) / "programs"
    app.extensions["programs"] = program_defs.load_dir(program_dir)
    mismatched = program_defs.checklist_problems(
        program_dir, {c.id: tuple(c.purposes) for c in app.extensions["checklists"].values()})
    if mismatched:
        raise program_defs.ChecklistError(mismatched)
    program_service.install(app.extensions["programs"])


def _extensions(app: Flask) -> None:
    """Security (before the blueprints: their <int:…> routes use its bounded id converter), htmx,
    compression, CSRF, sign-in, and closing the request's session."""
    from flask_wtf.csrf import CSRFProtect

    from .web import security
    from .web.auth import login_manager
    from .web.compress import register as register_compress
    security.register(app)
    Htmx(app)
    register_compress(app)
    CSRFProtect(app)
    login_manager.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()


def _blueprints(app: Flask) -> None:
    """Every area's pages."""
    from .jobs.web import bp as jobs_bp
    from .web import (admin, auth, calendar, checklists, compare, dashboard, errors, inspections, landmark, main,
                      media, micro, notices, reports, review, sites)
    from .web.ledger import register as register_ledger  # in-service members' ledger and service projects
    from .web.photos import bp as photos_bp  # a photo's page: delete, replace, mark up (issue 15)
    for bp in (main.bp, auth.bp, sites.bp, inspections.bp, review.bp, reports.bp, media.bp, checklists.bp,
               dashboard.bp, compare.bp, landmark.bp, micro.bp, notices.bp, admin.bp, calendar.bp, errors.bp):
        app.register_blueprint(bp)
    app.register_blueprint(photos_bp)
    register_ledger(app)
    app.register_blueprint(jobs_bp)


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


def settle_after_start() -> None:
    """Move everything alive after start-up (checklists, templates, SQLAlchemy's tables) out of
    the garbage collector's sight: a request that reads 20,000 rows otherwise triggers full
    collections that walk all of it again (dashboard at 20,000 sites: ~15 % of its time). Call
    once per server process after create_app; `inspector/wsgi.py` does."""
    import gc
    gc.collect()
    gc.freeze()


