"""Alembic owns the schema: the migrations build exactly the tables module, and undo cleanly."""

from __future__ import annotations

import asyncio
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateIndex

from lana_adapters.sql import alembic_config, create_engine_from, ensure_schema, migrate
from lana_adapters.sql.engine import create_sync_engine
from lana_adapters.sql.migrate import PACKAGED_HEAD
from lana_adapters.sql.schema import include_object, schema_metadata
from lana_adapters.sql.settings import SqlSettings
from tests.integration.sql.databases import fresh_postgres_database, postgres_unavailable


def _drift(url: str) -> list[Any]:
    """What autogenerate would change to make the database match ``tables.metadata``."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("error")  # a computed-column mismatch is only a warning
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object(conn.dialect.name), "compare_type": True}
            )
            return list(compare_metadata(context, schema_metadata()))
    finally:
        engine.dispose()


def _predicate(where: object) -> str:
    """A partial index's condition in one spelling: PostgreSQL reflects it in parentheses,
    with the types of its literals spelt out."""
    unwrapped = str(where).strip().removeprefix("(").removesuffix(")")
    return " ".join(re.sub(r"::\w+", "", unwrapped).split()).lower()


def _partial_indexes(url: str) -> dict[str, str]:
    """Each partial index of the database, by name, with its condition; autogenerate
    compares neither the conditions nor whether an index has one."""
    engine = create_sync_engine(url)
    where = f"{engine.dialect.name}_where"
    try:
        inspector = inspect(engine)
        return {
            index["name"]: _predicate(index["dialect_options"][where])
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
            if index["name"] and where in index.get("dialect_options", {})
        }
    finally:
        engine.dispose()


def _declared_partial_indexes(url: str) -> dict[str, str]:
    """Each partial index of the tables module, with its condition as its DDL spells it."""
    dialect = create_sync_engine(url).dialect
    return {
        index.name: _predicate(str(CreateIndex(index).compile(dialect=dialect)).partition(" WHERE ")[2])
        for table in schema_metadata().sorted_tables
        for index in table.indexes
        if index.name and index.dialect_options[dialect.name]["where"] is not None
    }


def _tables(url: str) -> set[str]:
    engine = create_sync_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return fresh_postgres_database()


def test_the_migrations_build_exactly_the_tables_module(empty_database: str) -> None:
    migrate(empty_database)

    assert _drift(empty_database) == []
    assert {t.name for t in schema_metadata().sorted_tables} <= _tables(empty_database)
    assert _partial_indexes(empty_database) == _declared_partial_indexes(empty_database)


def test_interactions_are_indexed_by_tenant_and_time_for_counts_per_day(empty_database: str) -> None:
    migrate(empty_database)

    engine = create_sync_engine(empty_database)
    try:
        indexed = [index["column_names"] for index in inspect(engine).get_indexes("interactions")]
    finally:
        engine.dispose()
    assert ["tenant_id", "occurred_at"] in indexed


def test_downgrading_to_base_removes_everything_and_upgrading_again_has_no_drift(empty_database: str) -> None:
    migrate(empty_database)

    command.downgrade(alembic_config(empty_database), "base")
    assert _tables(empty_database) <= {"alembic_version"}

    migrate(empty_database)
    assert _drift(empty_database) == []


async def test_ensure_schema_migrates_an_empty_sqlite_file_once(tmp_path: Path) -> None:
    engine = create_engine_from(SqlSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"))
    try:
        await ensure_schema(engine)
        await ensure_schema(engine)  # already at head: nothing to do, nothing breaks
    finally:
        await engine.dispose()

    assert _drift(f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}") == []


async def test_concurrent_starts_migrate_one_sqlite_file_without_clashing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"
    engines = [create_engine_from(SqlSettings(url=url)) for _ in range(3)]
    try:
        await asyncio.gather(*(ensure_schema(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()

    assert _drift(url) == []


async def test_a_plain_async_engine_is_migrated_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"
    engine = create_async_engine(url)
    try:
        await ensure_schema(engine)
    finally:
        await engine.dispose()

    assert _drift(url) == []


def test_the_packaged_head_is_alembics_head() -> None:
    # ensure_schema compares a database's stamp with PACKAGED_HEAD, read off the file names.
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == PACKAGED_HEAD
