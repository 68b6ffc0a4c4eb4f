"""Grouping timestamps by UTC day the same way on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, literal_column

from lana_adapters.sql.tx import Features


def utc_day(features: Features, column: ColumnElement[datetime]) -> ColumnElement[Any]:
    """The UTC calendar day of ``column``: PostgreSQL's timestamptz needs the zone named;
    SQLite stores UTC text already."""
    if features.postgres:
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)


def as_date(value: date | str) -> date:
    """A day read back from :func:`utc_day` (SQLite returns it as ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)
