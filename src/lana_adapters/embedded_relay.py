"""The API process's own outbox relay, run only where it is the one relay the outbox can have.

On an embedded database (a SQLite file, or memory) with the in-process ``memory://``
broker, the API relays committed events to its live event stream itself, so the embedded
server shows its events without a broker or a `lana relay`. Anywhere else `lana relay`
delivers the outbox (and, with Redis, feeds the live stream): a row the API marked
published would never reach it, so the API never claims one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lana_adapters.settings import Settings

if TYPE_CHECKING:
    from lana_adapters.container import Database
    from lana_adapters.events_stream import EventStream

log = logging.getLogger(__name__)


async def open_embedded_relay(
    settings: Settings, database: Database, stream: EventStream
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Relay committed events to the live stream in this process where that is the only relay
    there can be (see :func:`relays_in_process`), so the embedded server shows its events
    without a broker or a `lana relay`. Anywhere else it relays nothing and says so once."""
    from lana_adapters.events_stream import StreamPublisher
    from lana_adapters.messaging.relay import OutboxRelay, RelayOptions

    database_url, broker_url = settings.database.url, settings.messaging.broker_url
    if not relays_in_process(database_url, broker_url):
        log.info(
            "events wait in the outbox for `lana relay`: this process relays only an embedded"
            " database (SQLite) with LANA_BROKER_URL=memory:// (here %s with %s)",
            _scheme(database_url),
            _scheme(broker_url),
        )
        yield None
        return
    stop = asyncio.Event()
    relay = OutboxRelay(database.relay_store, StreamPublisher(stream), RelayOptions(poll_seconds=0.1))
    task = asyncio.create_task(relay.run(stop), name="lana-embedded-relay")
    try:
        yield task
    finally:
        stop.set()
        await task


def relays_in_process(database_url: str, broker_url: str) -> bool:
    """Whether an API process relays its outbox itself: only on an embedded database (a SQLite
    file, or memory) with the in-process ``memory://`` broker.

    There the live stream of this process is the only place an event can go (`lana relay`
    refuses ``memory://``). On PostgreSQL, or with a real broker, `lana relay` delivers the
    outbox; a row this process marked published would never reach it.
    """
    if urlsplit(broker_url).scheme != "memory":
        return False
    if urlsplit(database_url).scheme == "memory":
        return True
    from sqlalchemy.engine import make_url

    return make_url(database_url).get_backend_name() == "sqlite"


def _scheme(url: str) -> str:
    """The kind of a URL (``postgresql+psycopg://``), never its credentials."""
    return urlsplit(url).scheme + "://"
