"""The ``inbox`` table: which events each consumer has applied, on the SQL adapter's metadata.

Importing this module adds the table to :data:`lana_adapters.sql.tables.metadata`; the
``0006_inbox`` migration creates it.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, Table, Text, Uuid

from lana_adapters.sql.coltypes import UtcDateTime
from lana_adapters.sql.tables import metadata

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("processed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("consumer", "event_id"),
    Index("ix_inbox_aggregate", "consumer", "aggregate_id", "aggregate_version"),
)
