"""Red-landmark applications: village → township → county → city, with due dates."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("landmark", __name__, url_prefix='/landmark')
