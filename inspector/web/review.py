"""Review workflow: return with reasons, approve, accept, sign-off, rectification follow-up."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)
