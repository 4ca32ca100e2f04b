"""The one error contract: a refusal a person reads, in Chinese, with the HTTP status it answers.

Services raise a `DomainError` (or a subclass named for its area); the web layer maps every one in
one place (web/errors.py), after rolling the request's session back, so no view needs its own
try/except to turn a refusal into a page. Subclassing ValueError keeps `except ValueError` callers
(the CLI, imports) working.
"""
from __future__ import annotations


class DomainError(ValueError):
    """A refusal with its reason; `status` is the HTTP answer (422 unless the class or call says)."""

    status: int = 422

    def __init__(self, message: str = "", *args, status: int | None = None):
        super().__init__(message, *args)
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """The Chinese reason, as shown on the page."""
        return str(self.args[0]) if self.args else ""
