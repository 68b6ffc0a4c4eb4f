"""The SQL inbox answers concurrent calls together (one query or one INSERT for many) and each
call still gets its own answer: duplicate, stale or new; recorded now or already."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from lana_adapters.messaging.inbox import SqlInbox, Verdict
from lana_core.domain.events import CUSTOMER_UPDATED
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.events import event

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_concurrent_verdicts_and_records_each_get_their_own_answer(backend: Backend) -> None:
    assert backend.engine is not None
    inbox = SqlInbox(backend.engine)
    aggregate = uuid4()
    first, third = (event(type=CUSTOMER_UPDATED, aggregate_id=aggregate, version=v) for v in (1, 3))
    second, fourth = (event(type=CUSTOMER_UPDATED, aggregate_id=aggregate, version=v) for v in (2, 4))
    other = event()

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

    assert recorded == [True, True, False]  # the same event twice in one batch is new once
    assert verdicts == [Verdict.DUPLICATE, Verdict.STALE, Verdict.NEW, Verdict.NEW, Verdict.NEW]
    assert await inbox.record("n8n", first, AT) is False
