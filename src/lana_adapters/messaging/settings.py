"""Configuration of event delivery, read from ``LANA_BROKER_*``, ``LANA_WEBHOOK_*``,
``LANA_CONSUMER_*`` and ``LANA_RELAY_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import Converter, field, frozen, validators

from lana_adapters.messaging.formats import FORMATS, SEED, default_format
from lana_adapters.variables import as_env, read_group, variable
from lana_core.domain.events import matches
from lana_core.domain.webhooks import SEED_EVENT_TYPES, OperatorRoute, WebhookFormat

DEFAULT_ROUTES = "customer.created.high_value=http://127.0.0.1:5678/webhook/high-value-customer format=seed"
_FORMAT_OPTION = "format="
# RabbitMQ's default delivery acknowledgement timeout (consumer_timeout): a message held
# unacknowledged longer is taken back and the channel closed.
ACK_TIMEOUT_SECONDS = 1_800


def _format_or_default(name: str | None, route: WebhookRoute) -> str:
    return default_format(route.pattern) if name is None else name


def _valid_format(route: WebhookRoute, _attribute: object, name: str) -> None:
    if name not in FORMATS:
        raise ValueError(f"webhook route {route.pattern}: format {name!r} is not one of {', '.join(FORMATS)}")
    if name == SEED and not any(matches(route.pattern, kind) for kind in SEED_EVENT_TYPES):
        raise ValueError(
            f"webhook route {route.pattern}: the seed format carries {' and '.join(SEED_EVENT_TYPES)}, "
            "which the pattern never matches"
        )


@frozen
class WebhookRoute:
    """Events whose type matches ``pattern`` (AMQP topic syntax) are POSTed to ``url``, their
    body in ``format`` (see :mod:`~lana_adapters.messaging.formats`; ``seed`` for the seed's
    ``customer.created.high_value`` route unless given, ``lana`` for any other)."""

    pattern: str = field(validator=validators.min_len(1))
    url: str = field(validator=validators.matches_re(r"https?://\S+"))
    # None: the pattern's default format. A converter, not a default factory taking self:
    # these settings sit inside the services the HTTP driver injects, and its validator
    # (msgspec) refuses factories that take self.
    format: str = field(
        default=None,
        # mypy's attrs plugin does not know Converter objects yet.
        converter=Converter(_format_or_default, takes_self=True),  # type: ignore[misc,call-overload]
        validator=_valid_format,
    )

    def render(self) -> str:
        return f"{self.pattern}={self.url} {_FORMAT_OPTION}{self.format}"

    def __str__(self) -> str:  # as LANA_WEBHOOK_ROUTES writes it
        return self.render()


def parse_routes(raw: str) -> tuple[WebhookRoute, ...]:
    """``pattern=url`` entries separated by commas, each optionally followed by a space and
    ``format=<name>``; raises ValueError on a malformed entry."""
    return tuple(_route(entry) for entry in filter(None, (part.strip() for part in raw.split(","))))


def _route(entry: str) -> WebhookRoute:
    pattern, sep, rest = entry.partition("=")
    words = rest.split()  # a URL holds no whitespace
    if not sep or not words:
        raise ValueError(f"webhook route {entry!r} is not pattern=url")
    url, options = words[0], words[1:]
    if not options:
        return WebhookRoute(pattern.strip(), url)
    if len(options) > 1 or not options[0].startswith(_FORMAT_OPTION):
        raise ValueError(f"webhook route {entry!r}: after the URL only format=<name> may follow")
    return WebhookRoute(pattern.strip(), url, options[0].removeprefix(_FORMAT_OPTION))


def parse_delays(raw: str) -> tuple[int, ...]:
    """Retry delays in milliseconds separated by commas; raises ValueError if any is not positive."""
    delays = tuple(int(part) for part in raw.split(",") if part.strip())
    if not delays or any(delay <= 0 for delay in delays):
        raise ValueError(f"retry delays must be positive milliseconds, got {raw!r}")
    return delays


def _positive_delays(_instance: object, _attribute: object, value: tuple[int, ...]) -> None:
    if not value or any(delay <= 0 for delay in value):
        raise ValueError("retry_delays_ms needs at least one positive delay")


@frozen(kw_only=True)
class MessagingSettings:
    """How events travel: broker, exchange, the consumer's queue and webhooks, and the relay.

    The defaults are the embedded mode (``memory://`` broker). The database the relay reads
    and the consumer's inbox and the webhook subscriptions live in is the database group's
    (``LANA_DATABASE_*``). The consumer's queue ``queue`` has a dead-letter queue
    ``<queue>.dlq``. An event the consumer could not owe to the subscriptions (their store
    is down) is retried after the delays of ``retry_delays_ms``, holding the event
    (and its aggregate's later ones) unacknowledged, up to ``max_attempts`` deliveries; the
    waits of that budget must end within RabbitMQ's delivery acknowledgement timeout (30
    minutes by default), after which the broker would take the messages back. Raises
    ValueError on an invalid value.
    """

    broker_url: str = variable(
        "LANA_BROKER_URL",
        "memory://",
        "`amqp://user:pass@host:5672//` (RabbitMQ) or `memory://` (inside one process;"
        " `lana relay` and `lana consume` refuse it).",
    )
    exchange: str = variable(
        "LANA_EVENTS_EXCHANGE",
        "lana.events",
        "Topic exchange events are published to.",
        validator=validators.min_len(1),
    )
    queue: str = variable(
        "LANA_CONSUMER_QUEUE",
        "lana.n8n",
        "The webhook consumer's durable queue; also names its DLQ (`<queue>.dlq`).",
        validator=validators.min_len(1),
    )
    webhook_routes: tuple[WebhookRoute, ...] = variable(
        "LANA_WEBHOOK_ROUTES",
        parse_routes(DEFAULT_ROUTES),
        "`pattern=url,...`, a URL optionally followed by a space and `format=seed` or `format=lana`:"
        " the operator's webhooks, each a read-only subscription of every tenant; the first matching"
        " pattern's URL receives the event, in that body format (unless given: `seed` for"
        " `customer.created.high_value`, `lana` for any other pattern).",
        parse=parse_routes,
        when_empty=(),
    )
    signing_secret: str | None = variable(
        "LANA_WEBHOOK_SECRET",
        None,
        "Key signing every request to the routes of `LANA_WEBHOOK_ROUTES` (Standard Webhooks, and"
        " the older `X-Lana-Signature`): `whsec_<base64>`, or any other string used as its bytes"
        " (unset: unsigned). Kept in the routes' subscriptions, changed there at `lana consume`'s start.",
        secret=True,
    )
    webhook_timeout_seconds: float = variable(
        "LANA_WEBHOOK_TIMEOUT_SECONDS",
        10.0,
        "Whole-request timeout of one webhook call.",
        validator=[validators.gt(0), validators.le(300)],
    )
    webhook_allow_private: bool = variable(
        "LANA_WEBHOOK_ALLOW_PRIVATE",
        False,
        "`true` lets tenant subscriptions call loopback, private and link-local addresses"
        " (development against a local receiver); `false` refuses them. The routes of"
        " `LANA_WEBHOOK_ROUTES` may always call them.",
    )
    heartbeat_seconds: float = variable(
        "LANA_BROKER_HEARTBEAT_SECONDS", 30.0, "AMQP heartbeat (0 disables it).", validator=validators.ge(0)
    )
    connect_timeout_seconds: float = variable(
        "LANA_BROKER_CONNECT_TIMEOUT_SECONDS",
        5.0,
        "Timeout of one connection attempt to the broker.",
        validator=validators.gt(0),
    )
    retry_delays_ms: tuple[int, ...] = variable(
        "LANA_CONSUMER_RETRY_DELAYS_MS",
        (1_000, 10_000, 60_000, 300_000),
        "Waits before the consumer retries an event it could not owe to the webhook subscriptions"
        " (their database down); retry n waits the n-th (the last repeats). Calls to webhooks"
        " are retried on the subscriptions' own schedule (docs/events.md).",
        parse=parse_delays,
        validator=_positive_delays,
    )
    max_attempts: int = variable(
        "LANA_CONSUMER_MAX_ATTEMPTS",
        8,
        "Tries to owe one event before it goes to the dead-letter queue (all waits under 30 min).",
        validator=validators.ge(1),
    )
    prefetch: int = variable(
        "LANA_CONSUMER_PREFETCH",
        64,
        "Unacknowledged messages the consumer holds at once.",
        validator=validators.ge(1),
    )
    lanes: int = variable(
        "LANA_CONSUMER_LANES",
        8,
        "Events owed and webhook calls in flight at once (one aggregate's events one at a time,"
        " in order, per subscription).",
        validator=validators.ge(1),
    )
    relay_batch_size: int = variable(
        "LANA_RELAY_BATCH_SIZE", 200, "Outbox rows the relay claims at once.", validator=validators.ge(1)
    )
    relay_poll_seconds: float = variable(
        "LANA_RELAY_POLL_SECONDS",
        0.2,
        "Idle wait between outbox polls (PostgreSQL wakes the relay at once).",
        validator=validators.gt(0),
    )
    relay_lease_seconds: float = variable(
        "LANA_RELAY_LEASE_SECONDS",
        2.0,
        "How long claimed rows stay hidden from other relays after their relay last renewed"
        " them (it does while it publishes them): a crashed relay's rows are free this long after.",
        validator=validators.gt(0),
    )
    relay_retry_seconds: float = variable(
        "LANA_RELAY_RETRY_SECONDS",
        10.0,
        "Wait before an event the broker refused (nacked) is published again.",
        validator=validators.gt(0),
    )
    relay_max_attempts: int = variable(
        "LANA_RELAY_MAX_ATTEMPTS",
        10,
        "Failed publishes of one row before it is marked dead.",
        validator=validators.ge(1),
    )
    publish_max_retries: int = variable(
        "LANA_BROKER_PUBLISH_RETRIES",
        3,
        "Reconnect-and-retry attempts of one publish.",
        validator=validators.ge(0),
    )
    confirm_timeout_seconds: float = variable(
        "LANA_BROKER_CONFIRM_TIMEOUT_SECONDS",
        10.0,
        "Wait for the broker's publisher confirm.",
        validator=validators.gt(0),
    )
    backoff_max_seconds: float = variable(
        "LANA_RECONNECT_BACKOFF_MAX_SECONDS",
        2.0,
        "Ceiling of the relay's and the consumer's reconnect backoff (the longest pause after"
        " the broker is back).",
        validator=validators.gt(0),
    )
    health_file: str | None = variable(
        "LANA_HEALTH_FILE",
        None,
        "File the relay and consumer touch on every loop (a liveness probe reads it).",
    )

    def __attrs_post_init__(self) -> None:
        if self.retry_budget_seconds >= ACK_TIMEOUT_SECONDS:
            raise ValueError(
                f"retries would hold an event {self.retry_budget_seconds:.0f} s, past the broker's"
                f" {ACK_TIMEOUT_SECONDS} s acknowledgement timeout: lower LANA_CONSUMER_RETRY_DELAYS_MS"
                " or LANA_CONSUMER_MAX_ATTEMPTS"
            )

    @property
    def retry_budget_seconds(self) -> float:
        """How long an event is retried, at most, before it goes to the dead-letter queue."""
        delays = self.retry_delays_ms
        waits = (delays[min(attempt, len(delays)) - 1] for attempt in range(1, self.max_attempts))
        return sum(waits) / 1000

    @property
    def operator_routes(self) -> tuple[OperatorRoute, ...]:
        """The routes as the subscriptions each tenant gets, signed with ``signing_secret``."""
        secret = self.signing_secret or ""
        return tuple(
            OperatorRoute(pattern=r.pattern, url=r.url, format=WebhookFormat(r.format), secret=secret)
            for r in self.webhook_routes
        )

    @property
    def consumer_name(self) -> str:
        """The name the inbox records deliveries under: one per queue."""
        return self.queue

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MessagingSettings:
        """Settings from ``environ``; unset variables keep their defaults.

        Raises ValueError naming the variable whose value cannot be used.
        """
        return read_group(cls, environ)

    def as_env(self) -> dict[str, str]:
        """The ``LANA_*`` variables that :meth:`from_env` reads back into these settings."""
        return as_env(self)
