"""Self-assessment vs inspection: per site and county-wide."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("compare", __name__, url_prefix='/compare')
