"""Configuration of event delivery, read from ``LANA_BROKER_*``, ``LANA_WEBHOOK_*``,
``LANA_CONSUMER_*`` and ``LANA_RELAY_*`` variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attrs import Factory, field, frozen, validators

from lana_adapters.messaging.formats import FORMATS, SEED, default_format
from lana_core.domain.events import matches
from lana_core.domain.webhooks import SEED_EVENT_TYPES

DEFAULT_ROUTES = "customer.created.high_value=http://127.0.0.1:5678/webhook/high-value-customer format=seed"
_FORMAT_OPTION = "format="
# RabbitMQ's default delivery acknowledgement timeout (consumer_timeout): a message held
# unacknowledged longer is taken back and the channel closed.
ACK_TIMEOUT_SECONDS = 1_800


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
    format: str = field(
        default=Factory(lambda route: default_format(route.pattern), takes_self=True), validator=_valid_format
    )

    def render(self) -> str:
        return f"{self.pattern}={self.url} {_FORMAT_OPTION}{self.format}"


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

    The defaults are the embedded mode (``memory://`` broker, SQLite outbox). The consumer's
    queue ``queue`` has a dead-letter queue ``<queue>.dlq``. A failed delivery is retried
    by the consumer after the delays of ``retry_delays_ms``, holding the event (and its
    aggregate's later ones) unacknowledged, up to ``max_attempts`` deliveries; the waits
    of that budget must end within RabbitMQ's delivery acknowledgement timeout (30 minutes
    by default), after which the broker would take the messages back. Raises ValueError
    on an invalid value.
    """

    broker_url: str = "memory://"
    database_url: str = "sqlite+aiosqlite:///./lana.db"
    # PostgreSQL: the role the relay's transactions run as (None: the connect role).
    database_relay_role: str | None = "lana_relay"
    exchange: str = field(default="lana.events", validator=validators.min_len(1))
    queue: str = field(default="lana.n8n", validator=validators.min_len(1))
    webhook_routes: tuple[WebhookRoute, ...] = field(default=parse_routes(DEFAULT_ROUTES))
    # Kept out of repr so a logged settings object never shows the secret.
    signing_secret: str | None = field(default=None, repr=False)
    webhook_timeout_seconds: float = field(default=10.0, validator=[validators.gt(0), validators.le(300)])
    # Development only: tenant subscriptions may then call loopback and private addresses.
    webhook_allow_private: bool = False
    # The consumer also owes every event to tenants' subscriptions and sends their deliveries.
    webhook_subscriptions: bool = False
    heartbeat_seconds: float = field(default=30.0, validator=validators.ge(0))
    connect_timeout_seconds: float = field(default=5.0, validator=validators.gt(0))
    retry_delays_ms: tuple[int, ...] = field(
        default=(1_000, 10_000, 60_000, 300_000), validator=_positive_delays
    )
    max_attempts: int = field(default=8, validator=validators.ge(1))
    prefetch: int = field(default=64, validator=validators.ge(1))
    lanes: int = field(default=8, validator=validators.ge(1))
    relay_batch_size: int = field(default=200, validator=validators.ge(1))
    relay_poll_seconds: float = field(default=0.2, validator=validators.gt(0))
    relay_lease_seconds: float = field(default=2.0, validator=validators.gt(0))
    relay_retry_seconds: float = field(default=10.0, validator=validators.gt(0))
    relay_max_attempts: int = field(default=10, validator=validators.ge(1))
    publish_max_retries: int = field(default=3, validator=validators.ge(0))
    confirm_timeout_seconds: float = field(default=10.0, validator=validators.gt(0))
    backoff_max_seconds: float = field(default=2.0, validator=validators.gt(0))
    health_file: str | None = None

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
    def consumer_name(self) -> str:
        """The name the inbox records deliveries under: one per queue."""
        return self.queue

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MessagingSettings:
        """Settings from ``environ``; unset variables keep their defaults.

        Raises ValueError naming the variable whose value cannot be used.
        """
        values: dict[str, Any] = {}
        for name, (variable, parse) in _VARIABLES.items():
            raw = environ.get(variable)
            if raw is None or (raw.strip() == "" and name not in _MAY_BE_EMPTY):
                continue
            try:
                values[name] = parse(raw.strip())
            except ValueError as error:
                raise ValueError(f"invalid {variable}: {error}") from None
        try:
            return cls(**values)
        except ValueError as error:
            raise ValueError(f"invalid messaging setting: {error}") from None

    def as_env(self) -> dict[str, str]:
        """The ``LANA_*`` variables that :meth:`from_env` reads back into these settings."""
        return {variable: _render(getattr(self, name)) for name, (variable, _) in _VARIABLES.items()}


def _render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and all(isinstance(v, WebhookRoute) for v in value):
        return ",".join(route.render() for route in value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _optional(raw: str) -> str | None:
    return raw or None


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, not {raw!r}")


_VARIABLES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "broker_url": ("LANA_BROKER_URL", str),
    "database_url": ("LANA_DATABASE_URL", str),
    "database_relay_role": ("LANA_DATABASE_RELAY_ROLE", _optional),
    "exchange": ("LANA_EVENTS_EXCHANGE", str),
    "queue": ("LANA_CONSUMER_QUEUE", str),
    "webhook_routes": ("LANA_WEBHOOK_ROUTES", parse_routes),
    "signing_secret": ("LANA_WEBHOOK_SECRET", _optional),
    "webhook_timeout_seconds": ("LANA_WEBHOOK_TIMEOUT_SECONDS", float),
    "webhook_allow_private": ("LANA_WEBHOOK_ALLOW_PRIVATE", _flag),
    "webhook_subscriptions": ("LANA_WEBHOOK_SUBSCRIPTIONS", _flag),
    "heartbeat_seconds": ("LANA_BROKER_HEARTBEAT_SECONDS", float),
    "connect_timeout_seconds": ("LANA_BROKER_CONNECT_TIMEOUT_SECONDS", float),
    "retry_delays_ms": ("LANA_CONSUMER_RETRY_DELAYS_MS", parse_delays),
    "max_attempts": ("LANA_CONSUMER_MAX_ATTEMPTS", int),
    "prefetch": ("LANA_CONSUMER_PREFETCH", int),
    "lanes": ("LANA_CONSUMER_LANES", int),
    "relay_batch_size": ("LANA_RELAY_BATCH_SIZE", int),
    "relay_poll_seconds": ("LANA_RELAY_POLL_SECONDS", float),
    "relay_lease_seconds": ("LANA_RELAY_LEASE_SECONDS", float),
    "relay_retry_seconds": ("LANA_RELAY_RETRY_SECONDS", float),
    "relay_max_attempts": ("LANA_RELAY_MAX_ATTEMPTS", int),
    "publish_max_retries": ("LANA_BROKER_PUBLISH_RETRIES", int),
    "confirm_timeout_seconds": ("LANA_BROKER_CONFIRM_TIMEOUT_SECONDS", float),
    "backoff_max_seconds": ("LANA_RECONNECT_BACKOFF_MAX_SECONDS", float),
    "health_file": ("LANA_HEALTH_FILE", _optional),
}
_MAY_BE_EMPTY = frozenset({"signing_secret", "health_file", "webhook_routes", "database_relay_role"})

# (variable, meaning) for the documentation table.
DOCUMENTATION: tuple[tuple[str, str], ...] = (
    (
        "LANA_BROKER_URL",
        "`amqp://user:pass@host:5672//` (RabbitMQ) or `memory://` (inside one process;"
        " `lana relay` and `lana consume` refuse it).",
    ),
    ("LANA_DATABASE_URL", "The database whose outbox the relay reads and where the SQL inbox lives."),
    ("LANA_DATABASE_RELAY_ROLE", "PostgreSQL role the relay's transactions run as (empty: connect role)."),
    ("LANA_EVENTS_EXCHANGE", "Topic exchange events are published to."),
    ("LANA_CONSUMER_QUEUE", "The webhook consumer's durable queue; also names its DLQ (`<queue>.dlq`)."),
    (
        "LANA_WEBHOOK_ROUTES",
        "`pattern=url,...`, a URL optionally followed by a space and `format=seed` or `format=lana`: "
        "the first matching pattern's URL receives the event, in that body format (unless given: "
        "`seed` for `customer.created.high_value`, `lana` for any other pattern).",
    ),
    (
        "LANA_WEBHOOK_SECRET",
        "Key signing every request to the routes of `LANA_WEBHOOK_ROUTES` (Standard Webhooks, and"
        " the older `X-Lana-Signature`): `whsec_<base64>`, or any other string used as its bytes"
        " (unset: unsigned).",
    ),
    ("LANA_WEBHOOK_TIMEOUT_SECONDS", "Whole-request timeout of one webhook call."),
    (
        "LANA_WEBHOOK_ALLOW_PRIVATE",
        "`true` lets tenant subscriptions call loopback, private and link-local addresses"
        " (development against a local receiver); `false` refuses them.",
    ),
    (
        "LANA_WEBHOOK_SUBSCRIPTIONS",
        "`true`: `lana consume` also receives every event, owes it to the tenants' webhook"
        " subscriptions that want it and sends their deliveries (see docs/events.md).",
    ),
    ("LANA_BROKER_HEARTBEAT_SECONDS", "AMQP heartbeat (0 disables it)."),
    ("LANA_BROKER_CONNECT_TIMEOUT_SECONDS", "Timeout of one connection attempt to the broker."),
    (
        "LANA_CONSUMER_RETRY_DELAYS_MS",
        "Waits before the retries of a failed delivery; retry n waits the n-th (the last repeats).",
    ),
    (
        "LANA_CONSUMER_MAX_ATTEMPTS",
        "Deliveries of one event before it goes to the dead-letter queue (all waits under 30 min).",
    ),
    ("LANA_CONSUMER_PREFETCH", "Unacknowledged messages the consumer holds at once."),
    (
        "LANA_CONSUMER_LANES",
        "Webhook calls in flight at once (one aggregate's events one at a time, in order).",
    ),
    ("LANA_RELAY_BATCH_SIZE", "Outbox rows the relay claims at once."),
    ("LANA_RELAY_POLL_SECONDS", "Idle wait between outbox polls (PostgreSQL wakes the relay at once)."),
    (
        "LANA_RELAY_LEASE_SECONDS",
        "How long claimed rows stay hidden from other relays after their relay last renewed"
        " them (it does while it publishes them): a crashed relay's rows are free this long after.",
    ),
    ("LANA_RELAY_RETRY_SECONDS", "Wait before an event the broker refused (nacked) is published again."),
    ("LANA_RELAY_MAX_ATTEMPTS", "Failed publishes of one row before it is marked dead."),
    ("LANA_BROKER_PUBLISH_RETRIES", "Reconnect-and-retry attempts of one publish."),
    ("LANA_BROKER_CONFIRM_TIMEOUT_SECONDS", "Wait for the broker's publisher confirm."),
    (
        "LANA_RECONNECT_BACKOFF_MAX_SECONDS",
        "Ceiling of the relay's and the consumer's reconnect backoff (the longest pause after"
        " the broker is back).",
    ),
    ("LANA_HEALTH_FILE", "File the relay and consumer touch on every loop (a liveness probe reads it)."),
)
