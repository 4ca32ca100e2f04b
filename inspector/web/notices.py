"""Public notices: read-only pages without login (reached by QR) and printable PDFs."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notices", __name__, url_prefix='/notice')
