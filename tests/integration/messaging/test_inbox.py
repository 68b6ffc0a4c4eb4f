"""The SQL inbox answers concurrent calls together (one query or one INSERT for many) and each
call still gets its own answer: duplicate or new; recorded now or already. An event older
than one recorded for its aggregate is new: order is the consumer's to keep, not the inbox's
to enforce by refusing events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import text

from lana_adapters.messaging.inbox import SqlInbox, Verdict
from lana_core.domain.events import CUSTOMER_UPDATED
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.events import event

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_concurrent_verdicts_and_records_each_get_their_own_answer(backend: Backend) -> None:
    assert backend.engine is not None
    aggregate = uuid4()
    first, third = (event(type=CUSTOMER_UPDATED, aggregate_id=aggregate, version=v) for v in (1, 3))
    second, fourth = (event(type=CUSTOMER_UPDATED, aggregate_id=aggregate, version=v) for v in (2, 4))
    other = event()

    async with SqlInbox(backend.engine) as inbox:
        recorded = await asyncio.gather(
            inbox.record("n8n", first, AT), inbox.record("n8n", third, AT), inbox.record("n8n", third, AT)
        )
        verdicts = await asyncio.gather(
            inbox.verdict("n8n", first),
            inbox.verdict("n8n", second),
            inbox.verdict("n8n", fourth),
            inbox.verdict("n8n", other),
            inbox.verdict("crm", first),
        )
        again = await inbox.record("n8n", first, AT)

    assert recorded == [True, True, False]  # the same event twice in one batch is new once
    assert verdicts == [Verdict.DUPLICATE, Verdict.NEW, Verdict.NEW, Verdict.NEW, Verdict.NEW]
    assert again is False


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_inbox_whose_kept_connections_were_cut_answers_on_fresh_ones(backend: Backend) -> None:
    assert backend.engine is not None
    first, second = event(), event()
    async with SqlInbox(backend.engine) as inbox:
        assert await inbox.record("n8n", first, AT) is True
        assert await inbox.verdict("n8n", first) is Verdict.DUPLICATE
        assert await _cut_inbox_connections(backend) == 2  # one kept per kind of statement

        assert await inbox.verdict("n8n", first) is Verdict.DUPLICATE
        assert await inbox.record("n8n", second, AT) is True
        assert await inbox.verdict("n8n", second) is Verdict.DUPLICATE


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_closing_an_inbox_gives_its_connections_back_to_the_pool(backend: Backend) -> None:
    assert backend.engine is not None
    pool = backend.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    inbox = SqlInbox(backend.engine)
    await inbox.record("n8n", event(), AT)
    await inbox.verdict("n8n", event())
    assert pool.checkedout() == before + 2  # type: ignore[attr-defined]

    await inbox.aclose()

    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def _cut_inbox_connections(backend: Backend) -> int:
    """Terminate the server sessions whose last statement was one of the inbox's."""
    assert backend.engine is not None
    cut = text(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE '%inbox%'"
    )
    async with backend.engine.connect() as conn:
        count: int = (await conn.execute(cut)).scalar_one()
    await asyncio.sleep(0.1)  # the server ends them asynchronously
    return count
