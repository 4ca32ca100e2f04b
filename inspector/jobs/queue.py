"""The two transports of a job id: RQ over Redis when REDIS_URL is set, else a worker thread in
the app (the embedded default, so `./dev.sh run` needs no other service)."""
from __future__ import annotations

import logging
import queue as stdlib_queue
import threading

from . import service

log = logging.getLogger(__name__)

JOB_TIMEOUT_S = 3600  # an export of a province is long; a hung job is ended by RQ after this


class ThreadQueue:
    """Jobs run one at a time in a thread of this app process; the thread ends when idle."""

    def __init__(self, app):
        self.app = app
        self.items: stdlib_queue.Queue[int] = stdlib_queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def put(self, job_id: int) -> None:
        """Queue a job id and make sure the thread is there to run it."""
        with self.lock:
            self.items.put(job_id)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="inspector-jobs", daemon=True)
                self.thread.start()

    def _loop(self) -> None:
        """Run queued jobs until none is left for a moment; recovers abandoned jobs first."""
        try:
            service.recover(self.app, self.put_later)
        except Exception:  # noqa: BLE001 - recovery is retried at the next start
            log.exception("job recovery failed")
        while True:
            try:
                job_id = self.items.get(timeout=1.0)
            except stdlib_queue.Empty:
                with self.lock:
                    if self.items.empty():
                        self.thread = None
                        return
                continue
            try:
                service.perform(self.app, job_id, self.put_later)
            except Exception:  # noqa: BLE001 - perform records failures itself; this is the last guard
                log.exception("job %s crashed the runner", job_id)

    def put_later(self, job_id: int) -> None:
        """Queue again from inside the thread (no new thread needed)."""
        self.items.put(job_id)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until the queue is empty and the thread has ended (for tests and shutdown)."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)
        return self.thread is None


class RedisQueue:
    """Job ids on an RQ queue, run by `python -m inspector.jobs.worker` (any number of them)."""

    def __init__(self, url: str, name: str):
        from redis import Redis
        from rq import Queue
        self.redis = Redis.from_url(url)
        self.queue = Queue(name, connection=self.redis)

    def put(self, job_id: int) -> None:
        """Put the job id on the RQ queue (RQ's own result is not kept: the job row has it)."""
        self.queue.enqueue("inspector.jobs.worker.run_job", job_id, job_timeout=JOB_TIMEOUT_S, result_ttl=0,
                           failure_ttl=7 * 24 * 3600, description=f"inspector job {job_id}")


def backend(app):
    """The app's job transport (made once per app)."""
    app = getattr(app, "_get_current_object", lambda: app)()  # current_app is a proxy; the thread needs the app
    found = app.extensions.get("jobs_queue")
    if found is None:
        url = app.config.get("REDIS_URL")
        found = RedisQueue(url, app.config.get("JOBS_QUEUE") or "inspector") if url else ThreadQueue(app)
        app.extensions["jobs_queue"] = found
    return found


def enqueue(app, job_id: int) -> None:
    """Hand a committed job to its transport."""
    backend(app).put(job_id)
