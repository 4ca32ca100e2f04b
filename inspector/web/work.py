"""The unit of work of a view: the request's session for one change, committed when the change
is done and rolled back when anything raises. A refusal (core.errors.DomainError) then reaches
the one handler in web/errors.py, which answers its status and Chinese reason; views never
commit or roll back by hand.

    with unit_of_work() as session:
        landmark.apply(session=session, ...)
    return redirect(...)

or, for a view whose whole body is the change, the `@commits` decorator.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from typing import Callable, Iterator

from sqlmodel import Session

from ..runtime import get_db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The request's session: committed after the block, rolled back (and re-raised) on an error,
    the commit's own included."""
    session = get_db()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()  # a refusal, or a commit the database refused: the session answers again
        raise


def commits(view: Callable) -> Callable:
    """A view run as one unit of work (its response is built before the commit)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return view(*args, **kwargs)
    return wrapper
