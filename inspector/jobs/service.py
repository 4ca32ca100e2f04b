"""Jobs as rows: create (rights- and region-checked, a repeated request reuses the live job),
claim, report progress, heartbeat, finish, fail or retry, and recover jobs whose worker died."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import select as sa_select, update
from sqlmodel import Session, select

from ..models import Job, Region, User, utcnow
from ..services import rights, scope

log = logging.getLogger(__name__)

LIVE = ("queued", "running")
T = Job.__table__
STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


class JobFailed(Exception):
    """A failure that retrying cannot mend (bad input, refused rows): the job fails at once with this
    message (Chinese); `result` is kept on the job for its page (the rows refused, say)."""

    def __init__(self, message: str, result: Any = None):
        super().__init__(message)
        self.result = result


class Superseded(Exception):
    """This run no longer owns the job (it was recovered and handed to another run)."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its title, the right it needs, and the function that does the work."""

    id: str
    title: str
    action: str
    run: Callable[["Context"], None]


KINDS: dict[str, JobKind] = {}


def kind(id: str, title: str, action: str):
    """Register a job function under a kind id (decorator)."""
    def register(fn):
        KINDS[id] = JobKind(id, title, action, fn)
        return fn
    return register


def settings(app) -> tuple[float, float]:
    """Heartbeat interval and the silence after which a running job counts as abandoned (seconds)."""
    every = app.config.get("JOBS_HEARTBEAT_S") or os.environ.get("JOBS_HEARTBEAT_S") or 2.0
    stale = app.config.get("JOBS_STALE_S") or os.environ.get("JOBS_STALE_S") or 30.0
    return float(every), float(stale)


def _key(kind_id: str, user: User, region: Region, params: dict[str, Any]) -> str:
    """The idempotency key: the same person asking the same thing for the same region."""
    blob = json.dumps([kind_id, user.id, region.id, params], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def create(*, session: Session, kind_id: str, params: dict[str, Any], by: User, region: Region) -> tuple[Job, bool]:
    """A new queued job (after the rights check), or the live one already asked for; (job, created)."""
    job_kind = KINDS[kind_id]
    rights.require(by, job_kind.action)
    if not scope.covers(session=session, user=by, region_id=region.id):
        raise rights.Forbidden("不能为本辖区以外的地区发起任务")
    key = _key(kind_id, by, region, params)
    live = session.exec(select(Job).where(Job.key == key, Job.status.in_(LIVE))).first()
    if live is not None:
        return live, False
    job = Job(public_id=secrets.token_urlsafe(12), kind=kind_id, key=key, params=params, region_id=region.id,
              created_by_id=by.id, stage="排队等待处理", heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    return job, True


def visible(*, session: Session, user: User, public_id: str) -> Job | None:
    """A job the user may see and download: None outside their region (404); Forbidden (403) when
    their role may not start its kind (a job's result is as confidential as the records it holds)."""
    job = session.exec(select(Job).where(Job.public_id == public_id)).first()
    if job is None or job.kind not in KINDS or not scope.covers(session=session, user=user, region_id=job.region_id):
        return None
    rights.require(user, KINDS[job.kind].action)
    return job


def recent(*, session: Session, user: User, limit: int = 20) -> list[Job]:
    """The user's own latest jobs, newest first."""
    return list(session.exec(select(Job).where(Job.created_by_id == user.id)
                             .order_by(Job.id.desc()).limit(limit)))


def percent(job: Job) -> int:
    """How far the job is, 0–100."""
    if job.status == "done":
        return 100
    return min(99, int(100 * job.done / job.total)) if job.total else 0


# --- running -----------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(timezone.utc)


def claim(engine, job_id: int) -> int | None:
    """Mark a queued job running for this run; its attempt number, or None if another run has it."""
    with engine.begin() as conn:
        now = _now()
        moved = conn.execute(update(T).where(T.c.id == job_id, T.c.status == "queued").values(
            status="running", attempts=T.c.attempts + 1, started_at=now, heartbeat_at=now, stage="开始处理"))
        if moved.rowcount != 1:
            return None
        return conn.execute(sa_select(T.c.attempts).where(T.c.id == job_id)).scalar_one()


class Context:
    """What a job function gets: its job, parameters, progress reporting and the way to finish."""

    def __init__(self, app, job: Job, attempt: int):
        self.app, self.job, self.attempt = app, job, attempt
        self.params = job.params
        self.kind = KINDS[job.kind]
        self.engine = app.extensions["engine"]

    def _mine(self):
        """An UPDATE of this job that applies only while this run still owns it."""
        return update(T).where(T.c.id == self.job.id, T.c.status == "running", T.c.attempts == self.attempt)

    def progress(self, done: int, total: int, stage: str) -> None:
        """Record how far the job is (its own small transaction, seen by every node at once)."""
        with self.engine.begin() as conn:
            moved = conn.execute(self._mine().values(done=done, total=total, stage=stage[:200], heartbeat_at=_now()))
        if moved.rowcount != 1:
            raise Superseded()

    def finish(self, session: Session, *, result: Any = None, path: str | None = None, name: str | None = None,
               mime: str | None = None) -> None:
        """Mark the job done inside the caller's transaction (so its work and its status commit together)."""
        moved = session.execute(self._mine().values(
            status="done", done=T.c.total, stage="已完成", finished_at=_now(), result=result, result_path=path,
            result_name=name, result_mime=mime, error=""))
        if moved.rowcount != 1:
            raise Superseded()


def _heartbeat(engine, job_id: int, attempt: int, every: float, stop: threading.Event) -> None:
    """Touch the job's heartbeat until stopped: a silent job is one whose worker died."""
    while not stop.wait(every):
        try:
            with engine.begin() as conn:
                conn.execute(update(T).where(T.c.id == job_id, T.c.status == "running", T.c.attempts == attempt)
                             .values(heartbeat_at=_now()))
        except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
            log.exception("job %s heartbeat failed", job_id)


def _end(engine, job_id: int, attempt: int, *, status: str, error: str, result: Any = None) -> bool:
    """Move this run's job to queued (a retry) or failed, with the reason."""
    with engine.begin() as conn:
        moved = conn.execute(update(T).where(T.c.id == job_id, T.c.status == "running", T.c.attempts == attempt)
                             .values(status=status, error=error[:2000], heartbeat_at=_now(),
                                     stage="等待重试" if status == "queued" else "已停止",
                                     finished_at=_now() if status == "failed" else None, result=result))
        return moved.rowcount == 1


def perform(app, job_id: int, enqueue: Callable[[int], None]) -> str:
    """Run one queued job to its end: done, failed with a Chinese reason, or queued again to retry.
    A second delivery of the same job does nothing (the claim is a conditional UPDATE)."""
    engine = app.extensions["engine"]
    attempt = claim(engine, job_id)
    if attempt is None:
        return "skipped"
    every, _stale = settings(app)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(engine, job_id, attempt, every, stop), daemon=True)
    beat.start()
    try:
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(Job, job_id)
        job_kind = KINDS[job.kind]
        ctx = Context(app, job, attempt)
        base_url = (job.params or {}).get("base_url") or "http://localhost/"
        with app.app_context(), app.test_request_context("/", base_url=base_url):
            job_kind.run(ctx)
        return "done"
    except Superseded:
        return "superseded"
    except JobFailed as exc:
        _end(engine, job_id, attempt, status="failed", error=str(exc), result=exc.result)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - any other error is retried, then reported in Chinese
        log.exception("job %s attempt %s failed", job_id, attempt)
        return _retry_or_fail(engine, job_id, attempt, exc, enqueue)
    finally:
        stop.set()
        beat.join(every + 1)


def _retry_or_fail(engine, job_id: int, attempt: int, exc: Exception, enqueue: Callable[[int], None]) -> str:
    """After an unexpected error: queue the job again while attempts remain, else fail it, in Chinese."""
    with Session(engine) as session:
        limit = session.get(Job, job_id).max_attempts
    reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    if attempt < limit:
        if _end(engine, job_id, attempt, status="queued",
                error=f"第 {attempt} 次处理出错（{reason}），已自动重试"):
            enqueue(job_id)
        return "retry"
    _end(engine, job_id, attempt, status="failed",
         error=f"处理出错，已尝试 {attempt} 次仍未完成（{reason}）。请稍后重新发起，或联系管理员。")
    return "failed"


def recover(app, enqueue: Callable[[int], None], *, job_id: int | None = None) -> list[int]:
    """Jobs whose worker went silent: running jobs past the stale limit are queued again (or failed
    clearly after their last attempt); queued jobs nobody picked up are put on the queue again."""
    engine = app.extensions["engine"]
    _every, stale = settings(app)
    limit = _now() - timedelta(seconds=stale)
    query = sa_select(T.c.id, T.c.status, T.c.attempts, T.c.max_attempts).where(
        T.c.status.in_(LIVE), T.c.heartbeat_at < limit)
    if job_id is not None:
        query = query.where(T.c.id == job_id)
    again = []
    with engine.begin() as conn:
        for row in conn.execute(query).all():
            # still silent when written (a heartbeat that waited on a lock may have landed since the read)
            same = update(T).where(T.c.id == row.id, T.c.status == row.status, T.c.attempts == row.attempts,
                                   T.c.heartbeat_at < limit)
            if row.status == "running" and row.attempts >= row.max_attempts:
                conn.execute(same.values(
                    status="failed", stage="已停止", finished_at=_now(),
                    error=f"处理进程意外中断，已尝试 {row.attempts} 次仍未完成。请重新发起，或联系管理员。"))
                continue
            values = {"status": "queued", "heartbeat_at": _now(), "stage": "排队等待处理"}
            if row.status == "running":
                values.update(stage="等待重试", error=f"第 {row.attempts} 次处理时处理进程意外中断，已重新排队")
            if conn.execute(same.values(**values)).rowcount == 1:
                again.append(row.id)
    for found in again:
        enqueue(found)
    return again
