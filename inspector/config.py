"""The app's default settings, read from the environment where a deployment sets them."""
from __future__ import annotations

import os
from pathlib import Path


def _on(name: str) -> bool:
    """An environment switch: set to "1"."""
    return os.environ.get(name, "") == "1"


def defaults(root: Path, instance: Path) -> dict:
    """Every setting the app reads, with its default; create_app's `config` overrides them."""
    return {**_storage(root, instance), **_field(), **_security(), **_calendar()}


def _storage(root: Path, instance: Path) -> dict:
    """Where the data lives and which services the app talks to."""
    return dict(
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'inspector.db'}",
        CHECKLIST_DIR=str(root / "checklists"),
        MEDIA_DIR=os.environ.get("MEDIA_DIR") or str(root / "media"),  # shared by every node and the job worker
        REDIS_URL=os.environ.get("REDIS_URL") or None,  # jobs on RQ; unset: in a thread of the app (docs/jobs.md)
        JOBS_QUEUE=os.environ.get("JOBS_QUEUE") or "inspector",
        MEDIA_SWEEP_AT_START=True,  # remove temporary upload files older than an hour at start-up
    )


def _field() -> dict:
    """Pages, positions and photos in the field."""
    return dict(
        SITES_PER_PAGE=50,
        ACCURACY_LIMIT_M=100,  # a usable phone fix; see inspector/core/evidence.py for why
        PHOTO_MAX_BYTES=25 * 1024 * 1024,
        MAX_CONTENT_LENGTH=120 * 1024 * 1024,  # a few full-size photos in one upload
        # Counties (region codes, comma-separated; "*" for all) whose completion acceptances take photos
        # as original files, not resized on the phone (docs/photos.md).
        ORIGINAL_PHOTOS_COUNTIES=tuple(c.strip() for c in os.environ.get("ORIGINAL_PHOTOS_COUNTIES", "").split(",")
                                       if c.strip()),
    )


def _security() -> dict:
    """Cookies, sign-in limits, CSRF and the hosts answered."""
    return dict(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Served over HTTPS in production (INSPECTOR_HTTPS=1): cookies only travel encrypted.
        SESSION_COOKIE_SECURE=_on("INSPECTOR_HTTPS"),
        REMEMBER_COOKIE_SECURE=_on("INSPECTOR_HTTPS"),
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # a working day in the field
        LOGIN_MAX_FAILURES=5,  # per account within LOGIN_WINDOW_S; then refused until the window passes
        LOGIN_MAX_FAILURES_PER_IP=20,
        LOGIN_WINDOW_S=15 * 60,
        WTF_CSRF_TIME_LIMIT=None,  # an inspection page stays open for hours in the field
        # The canonical address printed in documents (QR codes, verify links); never the request's Host.
        PUBLIC_URL=os.environ.get("PUBLIC_URL", ""),
        # Hosts answered besides 127.0.0.1, localhost and PUBLIC_URL's (comma-separated); others get 400.
        EXTRA_TRUSTED_HOSTS=os.environ.get("TRUSTED_HOSTS", ""),
        INSPECTOR_HTTPS=_on("INSPECTOR_HTTPS"),
    )


def _calendar() -> dict:
    """Working days and today."""
    return dict(
        # A year without the State Council's schedule is counted provisionally (暂定) by its
        # statutory holidays; a county may be strict instead and refuse such dates.
        WORKDAYS_STRICT=_on("WORKDAYS_STRICT"),
        TODAY=None,  # tests and demos may fix "today" (a date); None = today in China
    )
