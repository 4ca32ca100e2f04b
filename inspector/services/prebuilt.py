"""The save's two statements on the driver's own cursor, and its rows as loaded objects, without
SQLAlchemy's per-execution machinery (docs/saves.md §10).

A save runs two statements that never change: its single read (services/inspections.for_save)
and its single write (services/answer_rows.write_counted). Through SQLAlchemy each execution pays
for a compiled-cache lookup, an execution context, parameter processing in general form, a result
object built from the cursor's description (a psycopg Column object per column, 38 a save) and
row objects; building the ORM objects from the read's columns one attribute at a time
(set_committed_value, 47 a save) came on top. Together about a fifth of a save's server CPU.

`Prebuilt` compiles such a statement once per dialect: its SQL string, the literal parameters'
values and the type processors of the parameters and columns that have one (JSON and the app's
UTC datetimes). Under PostgreSQL it runs on the psycopg cursor of the session's own connection,
inside the session's transaction, with SQLAlchemy's `before/after_cursor_execute` events fired
as SQLAlchemy fires them (so the statement counts of tests and benchmarks stay true) and driver
errors raised as SQLAlchemy's own (`DBAPIError.instance`: web/errors.py tells a database that is
down from a bug by those), a lost connection invalidated as SQLAlchemy invalidates it. Any other
dialect (SQLite) runs the statement through SQLAlchemy as before.

`loaded` makes an ORM object from a row's columns as a query would load it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session


class _Compiled:
    """A statement compiled for one dialect: SQL, default parameters, processors by name and column."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.defaults = compiled.construct_params(_check=False)
        required = {name: None for name, value in self.defaults.items() if value is None}
        self.sql = compiled.construct_expanded_state(required).statement  # literal_execute parts rendered
        if "POSTCOMPILE" in self.sql:  # an expanding IN list: its SQL changes with its values
            raise ValueError("a prebuilt statement cannot hold an expanding parameter")
        processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)  # a name bound twice: once
                      for bind, name in compiled.bind_names.items()}
        self.binders = tuple((name, process) for name, process in processors.items() if process is not None)
        readers = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                   for column in statement.selected_columns]
        self.readers = tuple((at, process) for at, process in enumerate(readers) if process is not None)


class Prebuilt:
    """A statement built once, run for its first row (a tuple, None when there is none).

    `fallback` is what the dialects run through SQLAlchemy execute instead (the statement itself
    unless given), e.g. the same statement as a lambda statement with its own SQL cache key (one
    source line per statement, services/inspections.py)."""

    def __init__(self, statement, fallback=None):
        self.statement, self.fallback = statement, statement if fallback is None else fallback
        self._compiled: dict[Any, _Compiled] = {}

    def _for(self, dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            if len(self._compiled) > 16:  # engines made and dropped (tests): start again
                self._compiled.clear()
            found = self._compiled[dialect] = _Compiled(self.statement, dialect)
        return found

    def first(self, session: Session, params: dict) -> tuple | None:
        connection = session.connection()
        dialect = connection.dialect
        if dialect.name != "postgresql":
            return connection.execute(self.fallback, params).first()
        ready = self._for(dialect)
        values = {**ready.defaults, **params}
        for name, process in ready.binders:
            values[name] = process(values[name])
        raw = connection.connection.driver_connection
        dispatch = connection.dispatch
        cursor = raw.cursor()
        try:
            if dispatch.before_cursor_execute:
                dispatch.before_cursor_execute(connection, cursor, ready.sql, values, None, False)
            cursor.execute(ready.sql, values)
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(connection, cursor, ready.sql, values, None, False)
            row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            _raise(connection, dialect, raw, cursor, ready.sql, values, error)
        finally:
            cursor.close()
        if row is None or not ready.readers:
            return row
        row = list(row)
        for at, process in ready.readers:
            row[at] = process(row[at])
        return tuple(row)


def _raise(connection, dialect, raw, cursor, sql: str, values: dict, error: Exception):
    """A driver error as SQLAlchemy raises it, the connection invalidated when it is lost."""
    lost = dialect.is_disconnect(error, raw, cursor)
    if lost and not connection.invalidated:
        connection.invalidate(error)
    raise DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                              dialect=dialect) from error


def loaded(session: Session, model, names: tuple[str, ...], values) -> Any:
    """The object of `model` whose columns `names` hold `values` (its id first), as a query would
    load it into the session: persistent, those attributes loaded and unchanged, the others expired
    (they load together on first use). The session's own object when it has one already.

    The values go into the instance's dict at once; make_transient_to_detached then commits them
    all and expires the rest in one call each (set_committed_value per attribute costs about 16 µs
    a column, docs/saves.md §10)."""
    found = session.identity_map.get(identity_key(model, values[0]))
    if found is not None:
        return found
    obj = sa_inspect(model).class_manager.new_instance()
    obj.__dict__.update(zip(names, values))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
