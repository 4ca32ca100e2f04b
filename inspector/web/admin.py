"""Administration: users (admin) and the audit log (county)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix='/admin')
