"""When an answer was really made: the phone's clock at capture, sent with a queued save.

An answer typed offline waits in the phone's outbox and reaches the server hours later; the
server's own time (`Answer.at`) is then the upload time. The phone sends `captured_at` (ISO 8601
with its offset); it is kept on the answer and, when the save arrives late, the item says so
("离线采集，上传晚 3 小时"). The phone's clock is not trusted for anything else: a capture time
ahead of the server's clock is flagged too. The save writes it with the answer, in the same
compare-and-set (services/inspections.record_answer `captured_at`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..core.errors import DomainError
from ..models import Answer

LATE = timedelta(hours=1)  # later than this after capture: said on the item
AHEAD = timedelta(minutes=5)  # a phone clock this far ahead of the server's is said to be wrong
OLDEST = timedelta(days=60)  # a capture time older than this cannot belong to an open inspection


class CaptureError(DomainError):
    """A capture time that cannot be read: 400, the form field itself is malformed."""

    status = 400


@dataclass(frozen=True)
class CaptureFlag:
    label: str
    detail: str


def parse_captured_at(text: str | None) -> datetime | None:
    """The capture time sent by the phone (ISO 8601 with an offset), in UTC; None when absent."""
    if not text or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CaptureError("采集时间 captured_at 应为带时区的 ISO 时间，例如 2026-05-01T09:30:00+08:00") from None
    if when.tzinfo is None:
        raise CaptureError("采集时间 captured_at 缺少时区（例如 +08:00）")
    return when.astimezone(timezone.utc)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def capture_flag(answer: Answer | None) -> CaptureFlag | None:
    """What the item says about a late or odd capture time, or None."""
    if answer is None or answer.captured_at is None or answer.at is None:
        return None
    captured, saved = _aware(answer.captured_at), _aware(answer.at)
    delay = saved - captured
    if delay >= OLDEST:
        return CaptureFlag("采集时间可疑", f"手机时间比上传早 {delay.days} 天，请核对手机时钟")
    if delay >= LATE:
        hours = int(delay.total_seconds() // 3600)
        return CaptureFlag(f"离线采集，上传晚 {hours} 小时",
                           f"手机记录的采集时间 {captured.astimezone(_CHINA):%Y-%m-%d %H:%M}，上传时间"
                           f" {saved.astimezone(_CHINA):%Y-%m-%d %H:%M}")
    if -delay > AHEAD:
        minutes = int(-delay.total_seconds() // 60)
        return CaptureFlag("手机时间不准", f"手机时间比服务器快 {minutes} 分钟")
    return None


_CHINA = timezone(timedelta(hours=8))
