"""County dashboard: charts, map, sites needing action, Excel export and import."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix='/dashboard')
