"""Time as the app tells it: Beijing time (Asia/Shanghai, no daylight saving). Pure."""
from __future__ import annotations

from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
