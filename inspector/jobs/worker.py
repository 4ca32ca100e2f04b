"""The job worker: `python -m inspector.jobs.worker` (configured like the app: DATABASE_URL,
REDIS_URL, JOBS_QUEUE, MEDIA_DIR, SECRET_KEY). An RQ worker that forks a work horse per job,
plus a thread that recovers jobs whose worker died (queued again, or failed after the last try)."""
from __future__ import annotations

import logging
import os
import threading

from . import queue as job_queue
from . import service

log = logging.getLogger(__name__)
APP = None


def _app():
    """The worker's app, made once (before RQ forks, so each work horse inherits it)."""
    global APP
    if APP is None:
        from .. import create_app
        APP = create_app()
    return APP


def run_job(job_id: int) -> str:
    """What RQ calls: run one job in this work horse (its inherited pool is not shared with the parent)."""
    app = _app()
    if os.getpid() != app.extensions.get("jobs_pid"):
        app.extensions["engine"].dispose(close=False)
        app.extensions["jobs_pid"] = os.getpid()
    return service.perform(app, job_id, lambda again: job_queue.enqueue(app, again))


def _recover_forever(app, stop: threading.Event) -> None:
    """Every half stale period, queue again the jobs whose worker went silent."""
    _every, stale = service.settings(app)
    while not stop.wait(max(0.5, stale / 2)):
        try:
            service.recover(app, lambda again: job_queue.enqueue(app, again))
        except Exception:  # noqa: BLE001 - tried again at the next tick
            log.exception("job recovery failed")


def main() -> None:
    """Start the worker on the app's queue until stopped (SIGTERM ends it after the current job)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    if not app.config.get("REDIS_URL"):
        raise SystemExit("REDIS_URL 未设置：未配置 Redis 时任务在应用内的线程中运行，不需要单独的处理进程")
    app.extensions["jobs_pid"] = os.getpid()
    from rq import Worker
    transport = job_queue.backend(app)
    service.recover(app, lambda again: job_queue.enqueue(app, again))
    stop = threading.Event()
    threading.Thread(target=_recover_forever, args=(app, stop), daemon=True).start()
    try:
        Worker([transport.queue], connection=transport.redis).work(with_scheduler=False)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
