"""Template filters and globals: labels in Chinese."""
from __future__ import annotations

from flask import Flask

from ..core import scoring, units
from ..models import LABELS, ROLE_LABELS, SITE_TYPE_LABELS


def register(app: Flask) -> None:
    """Make the label helpers available in every template."""
    app.jinja_env.globals.update(
        LABELS=LABELS, SITE_TYPE_LABELS=SITE_TYPE_LABELS, ROLE_LABELS=ROLE_LABELS,
        RESULT_LABELS=scoring.RESULT_LABELS, VERDICT_LABELS=scoring.VERDICT_LABELS,
        KIND_LABELS={"check": "检查", "measure": "测量", "dimensions": "尺寸", "count": "计数", "rate": "比例调查",
                     "choice": "选择", "text": "记录", "document": "资料"},
    )
    app.jinja_env.filters["label"] = lambda key: LABELS.get(key, key or "—")
    app.jinja_env.filters["unit"] = units.label
    app.jinja_env.filters["yuan"] = lambda n: f"{int(n):,} 元" if n is not None else "—"
