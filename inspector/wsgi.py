"""Production entry point: `gunicorn 'inspector.wsgi:app'` (configured from the environment:
DATABASE_URL, SECRET_KEY, INSPECTOR_HTTPS=1 behind HTTPS). With gunicorn's `--preload` the
settled start-up objects are also shared copy-on-write between its workers."""
from __future__ import annotations

from . import create_app, settle_after_start

app = create_app()
settle_after_start()
