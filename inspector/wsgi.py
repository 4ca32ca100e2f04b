"""Production entry point: `granian --interface wsgi inspector.wsgi:app` (the deployment's server,
README) or `gunicorn 'inspector.wsgi:app'`, configured from the environment: DATABASE_URL,
SECRET_KEY, INSPECTOR_HTTPS=1 behind HTTPS, REDIS_URL for the job queue, MEDIA_DIR shared by the
nodes, INSPECTOR_PROXIES=n behind n reverse proxies. Each worker settles its start-up objects out
of the collector's way; with gunicorn's `--preload` they are also shared copy-on-write."""
from __future__ import annotations

import os

from . import create_app, settle_after_start

app = create_app()
_proxies = int(os.environ.get("INSPECTOR_PROXIES") or 0)
if _proxies:
    # behind nginx: the client's address (login throttle, session protection) and scheme come from
    # the proxy's X-Forwarded-* headers, trusted for exactly that many hops
    from werkzeug.middleware.proxy_fix import ProxyFix
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies)
settle_after_start()
