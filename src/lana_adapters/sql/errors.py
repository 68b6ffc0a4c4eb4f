"""Driver errors translated to the core's errors, so no raw driver exception leaves the adapter."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc

from lana_core.errors import Conflict, FieldError, LanaError, Unavailable, ValidationError

# PostgreSQL SQLSTATE classes and codes that mean something to a caller.
_UNIQUE = "23505"
_FOREIGN_KEY = "23503"
_RETRYABLE = frozenset({"40001", "40P01"})  # serialization failure, deadlock
_LOCK_TIMEOUT = "55P03"
_BAD_INPUT_CLASSES = ("22", "23")  # data exception, integrity constraint
_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")  # connection, resources, operator, system
_CONNECTION_CLASS = "08"
_SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})  # admin or crash shutdown, starting up
_SCHEMA_BEHIND = frozenset({"42P01", "42703", "42883"})  # undefined table, column, function

_SQLITE_SCHEMA_BEHIND = ("no such table", "no such column", "no such function")
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
_SQLITE_BAD_INPUT = frozenset(
    {"SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT_NOTNULL", "SQLITE_CONSTRAINT_FOREIGNKEY", "SQLITE_TOOBIG"}
)


def is_retryable(error: BaseException) -> bool:
    """Whether running the whole transaction again may succeed (serialization failure, deadlock)."""
    return isinstance(error, exc.DBAPIError) and _sqlstate(error) in _RETRYABLE


def is_connection_lost(error: BaseException) -> bool:
    """Whether ``error`` means the connection could not be made or was lost (server restart,
    network blip), not that the database refused the work: before anything ran on the
    connection, trying again on a fresh one is safe."""
    if isinstance(error, OSError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False  # a pool timeout included: it has already waited
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state is None:
        # psycopg reports a refused or reset connection without a SQLSTATE.
        return isinstance(error, exc.OperationalError) and _sqlite_name(error.orig) is None
    return state.startswith(_CONNECTION_CLASS) or state in _SERVER_GOING_AWAY


# What the adapter catches around every database call.
def is_psycopg_connection_lost(error: BaseException) -> bool:
    """:func:`is_connection_lost` for a psycopg error raised outside SQLAlchemy."""
    if isinstance(error, OSError):
        return True
    state = getattr(error, "sqlstate", None)
    if state is None:
        return type(error).__name__ in {"OperationalError", "InterfaceError"}
    return isinstance(state, str) and (state.startswith(_CONNECTION_CLASS) or state in _SERVER_GOING_AWAY)


class ConnectionLost(Unavailable):
    """The connection was lost before the transaction's first statement ran: trying the
    whole transaction again on a fresh connection repeats no work."""


DRIVER_ERRORS = (exc.SQLAlchemyError, OSError)


def translate(error: exc.SQLAlchemyError | OSError) -> LanaError:
    """The core error a driver error stands for; unknown failures read as Unavailable."""
    if isinstance(error, exc.TimeoutError):
        return Unavailable("no database connection became free in time")
    if isinstance(error, exc.DBAPIError):
        return _from_dbapi(error)
    return Unavailable(f"the database failed: {type(error).__name__}")


def _from_dbapi(error: exc.DBAPIError) -> LanaError:
    if error.connection_invalidated:
        return Unavailable("the database connection was lost")
    state = _sqlstate(error)
    if state is not None:
        return _from_sqlstate(state, error.orig)
    if isinstance(error, exc.DataError):  # refused by the driver before it reached the server
        return _invalid(str(error.orig))
    name = _sqlite_name(error.orig)
    if name in _SQLITE_UNIQUE:
        return Conflict("a record with this key already exists")
    if name in _SQLITE_BAD_INPUT:
        return _invalid(str(error.orig))
    if name is not None and name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Unavailable("the database is busy; retry shortly")
    if name == "SQLITE_ERROR" and str(error.orig).startswith(_SQLITE_SCHEMA_BEHIND):
        return _schema_behind(str(error.orig).split(":", 1)[0])  # the kind, not the name
    return Unavailable(f"the database failed: {type(error.orig).__name__}")


def translate_psycopg(error: Exception) -> LanaError:
    """The core error a psycopg error raised outside SQLAlchemy stands for."""
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        return _from_sqlstate(state, error)
    if type(error).__name__ == "DataError":  # refused by the driver before it reached the server
        return _invalid(str(error))
    return Unavailable(f"the database failed: {type(error).__name__}")


def _from_sqlstate(state: str, orig: Any) -> LanaError:
    if state == _UNIQUE:
        return Conflict("a record with this key already exists")
    if state in _RETRYABLE:
        return Conflict(
            "the change clashed with a concurrent one (serialization failure or deadlock) and was"
            " rolled back; nothing was saved, retry it"
        )
    if state == _LOCK_TIMEOUT:
        return Conflict("a record stayed locked by a concurrent change too long; nothing was saved, retry")
    if state == _FOREIGN_KEY:
        return _invalid(_detail(orig), field=_constraint_field(orig))
    if state.startswith(_BAD_INPUT_CLASSES):
        return _invalid(_detail(orig))
    if state.startswith(_UNAVAILABLE_CLASSES):
        return Unavailable(f"the database cannot serve the request ({state})")
    if state in _SCHEMA_BEHIND:
        return _schema_behind(state)
    return Unavailable(f"the database failed ({state})")


def _schema_behind(reason: str) -> Unavailable:
    return Unavailable(f"the database schema lacks what this version uses ({reason}); run `lana migrate`")


def _invalid(message: str, field: str = "record") -> ValidationError:
    return ValidationError([FieldError(field, "rejected_by_database", message)])


def _sqlstate(error: exc.DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _sqlite_name(orig: Any) -> str | None:
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        return name
    # aiosqlite re-raises sqlite3 errors; older ones carry only the message.
    if isinstance(orig, sqlite3.IntegrityError) and "UNIQUE" in str(orig):
        return "SQLITE_CONSTRAINT_UNIQUE"
    return None


def _detail(orig: Any) -> str:
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary if isinstance(primary, str) else "the database rejected the value"


def _constraint_field(orig: Any) -> str:
    """``fk_projects_customers`` names the ``customer_id`` reference."""
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if isinstance(name, str) and name.startswith("fk_"):
        return name.rsplit("_", 1)[-1].removesuffix("s") + "_id"
    return "record"
