"""Micro projects (微实事): fund, application, routing, notice, acceptance, evaluation."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("micro", __name__, url_prefix='/micro')
