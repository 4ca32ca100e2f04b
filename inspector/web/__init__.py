"""Web layer: one blueprint per area; views parse, call a service, render."""
from __future__ import annotations

from flask import render_template, request


def render(template: str, partial: str | None = None, /, **context):
    """The full page, or only the partial when the request comes from htmx (one URL, two shapes)."""
    if partial and request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        return render_template(partial, **context)
    return render_template(template, **context)
