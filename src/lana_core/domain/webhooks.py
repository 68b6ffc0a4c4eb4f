"""Webhook subscriptions of a tenant, and the deliveries of events to them.

A :class:`Subscription` says where (``url``), what (event-type patterns as AMQP topics,
``customer.*``; conditions on the event's body, see :mod:`webhook_filters`) and how (the
body's ``format`` and the Standard Webhooks signing ``secret``). A :class:`Delivery` is one
event owed to one subscription, at most one per (subscription, event): its id is derived
from both, so enqueueing an event twice changes nothing. Each try is a
:class:`DeliveryAttempt`, kept for the subscription's delivery log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from attrs import evolve, field, frozen

from lana_core.domain import validation, webhook_filters
from lana_core.domain.choices import Choice
from lana_core.domain.events import (
    CUSTOMER_CREATED,
    CUSTOMER_CREATED_HIGH_VALUE,
    EVENT_TYPES,
    DomainEvent,
    matches,
)
from lana_core.domain.versions import next_version
from lana_core.domain.webhook_filters import Condition
from lana_core.domain.webhook_signing import new_secret
from lana_core.domain.webhook_urls import check_url
from lana_core.errors import ValidationError

MAX_PATTERNS: Final = 20
MAX_EXCERPT_BYTES: Final = 1024
MAX_ERROR_LENGTH: Final = 500
MAX_PAUSE_REASON_LENGTH: Final = 500
# The events the seed's body can carry: it describes a customer as it was created.
SEED_EVENT_TYPES: Final = (CUSTOMER_CREATED_HIGH_VALUE, CUSTOMER_CREATED)
_PATTERN_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class WebhookFormat(Choice, field="format"):
    """The body a delivery sends: Lana's event envelope, or the seed's customer body."""

    LANA = "lana"
    SEED = "seed"


class DeliveryStatus(Choice, field="status"):
    """``pending``: not tried yet; ``failed``: tried, a retry is due at ``next_attempt_at``;
    ``succeeded`` and ``dead`` (given up) are final until someone redelivers."""

    PENDING = "pending"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    DEAD = "dead"

    @property
    def is_open(self) -> bool:
        """Whether the delivery still waits to be sent (and holds back later ones of its aggregate)."""
        return self in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


OPEN_STATUSES: Final = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED})


@frozen(kw_only=True)
class SubscriptionSpec:
    """What a subscription's owner chooses, checked together: see :meth:`check`."""

    url: str
    event_types: tuple[str, ...]
    filters: tuple[Condition, ...]
    format: WebhookFormat

    @classmethod
    def check(
        cls,
        *,
        url: object,
        event_types: object,
        filters: object,
        format: object,
        allow_private: bool,
    ) -> SubscriptionSpec:
        """Raises ValidationError naming every bad field."""
        errors = validation.Errors()
        clean_url = check_url(errors, "url", url, allow_private=allow_private)
        patterns = _patterns(errors, event_types)
        conditions = _conditions(errors, filters)
        chosen = _format(errors, format)
        if chosen is WebhookFormat.SEED and patterns and not errors.has("event_types"):
            _check_seed_patterns(errors, patterns)
        errors.raise_if_any()
        assert clean_url is not None
        assert chosen is not None
        return cls(url=clean_url, event_types=patterns, filters=conditions, format=chosen)


@frozen(kw_only=True)
class Subscription:
    """One endpoint of a tenant and the events it wants. ``secret`` signs every request
    (shown once when made or rotated); a paused subscription (``active`` False, with
    ``paused_reason``) is sent nothing, and its deliveries wait for it to resume."""

    id: UUID
    tenant_id: UUID
    url: str
    event_types: tuple[str, ...]
    filters: tuple[Condition, ...]
    format: WebhookFormat
    secret: str = field(repr=False)
    active: bool
    paused_reason: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    version: int
    # The place of the operator's route (LANA_WEBHOOK_ROUTES) this subscription carries out
    # in the tenant; None for the tenant's own subscriptions.
    operator_rank: int | None = None
    # Event types known to match, worked out once: matching a type is then one set lookup.
    _matched_types: frozenset[str] = field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        known = frozenset(t for t in EVENT_TYPES if any(matches(p, t) for p in self.event_types))
        object.__setattr__(self, "_matched_types", known)

    @classmethod
    def create(
        cls, *, id: UUID, tenant_id: UUID, spec: SubscriptionSpec, created_by: UUID | None, now: datetime
    ) -> Subscription:
        """A new active subscription with a fresh secret (``subscription.secret``)."""
        return cls(
            id=id,
            tenant_id=tenant_id,
            url=spec.url,
            event_types=spec.event_types,
            filters=spec.filters,
            format=spec.format,
            secret=new_secret(),
            active=True,
            paused_reason=None,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            version=1,
        )

    @classmethod
    def for_operator(cls, route: OperatorRoute, *, rank: int, tenant_id: UUID, now: datetime) -> Subscription:
        """The tenant's copy of the operator's route at ``rank``: active, made by no user."""
        return cls(
            id=operator_subscription_id(tenant_id, route.pattern),
            tenant_id=tenant_id,
            url=route.url,
            event_types=(route.pattern,),
            filters=(),
            format=route.format,
            secret=route.secret,
            active=True,
            paused_reason=None,
            created_by=None,
            created_at=now,
            updated_at=now,
            version=1,
            operator_rank=rank,
        )

    @property
    def by_operator(self) -> bool:
        """Whether the operator owns it (read-only to the tenant's admins)."""
        return self.operator_rank is not None

    def following(self, route: OperatorRoute, rank: int, now: datetime) -> Subscription:
        """The operator's subscription as ``route`` now says, active again (a restart of the
        consumer resumes what it paused); itself when nothing changes."""
        wanted = Subscription.for_operator(route, rank=rank, tenant_id=self.tenant_id, now=now)
        fields = ("url", "event_types", "format", "secret", "operator_rank", "active", "paused_reason")
        if all(getattr(self, name) == getattr(wanted, name) for name in fields):
            return self
        return self._next(now, **{name: getattr(wanted, name) for name in fields})

    @property
    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec(
            url=self.url, event_types=self.event_types, filters=self.filters, format=self.format
        )

    @property
    def filter_texts(self) -> tuple[str, ...]:
        return webhook_filters.render_all(self.filters)

    def wants_type(self, event_type: str) -> bool:
        if event_type in self._matched_types:
            return True
        # A type this release does not know (a newer producer's): match the patterns themselves.
        return event_type not in EVENT_TYPES and any(matches(p, event_type) for p in self.event_types)

    def wants(self, event_type: str, payload: Mapping[str, Any]) -> bool:
        """Whether an event of ``event_type`` with ``payload`` is for this subscription
        (active or not: pausing holds deliveries back, it does not drop events)."""
        return self.wants_type(event_type) and webhook_filters.all_hold(self.filters, payload)

    def revised(
        self, spec: SubscriptionSpec, *, active: bool, pause_reason: str, now: datetime
    ) -> Subscription:
        """The subscription as ``spec`` says, active or paused (for ``pause_reason``), in one
        new version; itself when nothing changes."""
        if spec == self.spec and active == self.active:
            return self
        state = (
            {}
            if active == self.active
            else {"active": active, "paused_reason": None if active else pause_reason}
        )
        return self._next(
            now, url=spec.url, event_types=spec.event_types, filters=spec.filters, format=spec.format, **state
        )

    def rotated(self, now: datetime) -> Subscription:
        """The subscription with a new secret; the old one stops signing at once."""
        return self._next(now, secret=new_secret())

    def paused(self, reason: str, now: datetime) -> Subscription:
        """Raises ValidationError for a blank or long reason."""
        errors = validation.Errors()
        clean = validation.text(errors, "reason", reason, max_length=MAX_PAUSE_REASON_LENGTH, required=True)
        errors.raise_if_any()
        return self._next(now, active=False, paused_reason=clean)

    def resumed(self, now: datetime) -> Subscription:
        return self._next(now, active=True, paused_reason=None)

    def _next(self, now: datetime, **changes: Any) -> Subscription:
        return next_version(self, now, **changes)


@frozen(kw_only=True)
class OperatorRoute:
    """A webhook the operator configures for every tenant: events whose type matches
    ``pattern`` go to ``url`` in ``format``, signed with ``secret`` (empty: unsigned)."""

    pattern: str
    url: str
    format: WebhookFormat
    secret: str = field(repr=False)


def operator_subscription_id(tenant_id: UUID, pattern: str) -> UUID:
    """A tenant's copy of the operator's route for ``pattern``: the same id at every sync."""
    return uuid.uuid5(tenant_id, f"operator-route {pattern}")


def owed_to(
    subscriptions: Iterable[Subscription], event_type: str, payload: Mapping[str, Any]
) -> list[Subscription]:
    """The subscriptions an event is owed to: every tenant subscription that wants it, and
    the first operator route (by rank) that does, as the operator's routes always chose."""
    wanted = [s for s in subscriptions if s.wants(event_type, payload)]
    routed = [s for s in wanted if s.operator_rank is not None]
    first = min(routed, key=lambda s: s.operator_rank or 0, default=None)
    return [s for s in wanted if s.operator_rank is None or s is first]


@frozen(kw_only=True)
class WebhookEvent:
    """What a delivery sends of an event: its envelope as published (``body``), what
    ordering and the delivery log read of it, and the W3C ``traceparent`` of the change that
    made it, which the webhook call continues."""

    id: UUID
    tenant_id: UUID
    type: str
    aggregate_id: UUID
    occurred_at: datetime
    body: bytes = field(repr=False)
    traceparent: str | None = None

    @classmethod
    def of(cls, event: DomainEvent, body: bytes) -> WebhookEvent:
        return cls(
            id=event.id,
            tenant_id=event.tenant_id,
            type=event.type,
            aggregate_id=event.aggregate_id,
            occurred_at=event.occurred_at,
            body=body,
            traceparent=event.trace_context.get("traceparent"),
        )


def delivery_id(subscription_id: UUID, event_id: UUID) -> UUID:
    """The one delivery of an event to a subscription: the same id however often it is enqueued."""
    return uuid.uuid5(subscription_id, event_id.hex)


@frozen(kw_only=True)
class Delivery:
    """One event owed to one subscription.

    ``sequence`` numbers deliveries in the order they were enqueued, which is the order of
    their aggregate's events: a delivery is sent only once no earlier open delivery of the
    same subscription and aggregate remains. ``pending_since`` is when it last became
    pending (enqueued or redelivered): retries give up a fixed time after it.
    """

    id: UUID
    tenant_id: UUID
    subscription_id: UUID
    event: WebhookEvent
    sequence: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    pending_since: datetime
    last_attempt_at: datetime | None

    @property
    def event_id(self) -> UUID:
        return self.event.id

    @property
    def aggregate_id(self) -> UUID:
        return self.event.aggregate_id

    @classmethod
    def enqueued(
        cls, subscription: Subscription, event: WebhookEvent, sequence: int, now: datetime
    ) -> Delivery:
        return cls(
            id=delivery_id(subscription.id, event.id),
            tenant_id=subscription.tenant_id,
            subscription_id=subscription.id,
            event=event,
            sequence=sequence,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            pending_since=now,
            last_attempt_at=None,
        )

    def attempted(self, attempt: DeliveryAttempt, *, retry_at: datetime | None) -> Delivery:
        """The delivery after ``attempt``: succeeded, or failed with a retry at ``retry_at``,
        or dead when ``retry_at`` is None (the retries gave up)."""
        if attempt.succeeded:
            status, next_at = DeliveryStatus.SUCCEEDED, attempt.at
        elif retry_at is None:
            status, next_at = DeliveryStatus.DEAD, attempt.at
        else:
            status, next_at = DeliveryStatus.FAILED, retry_at
        return evolve(
            self, status=status, attempts=attempt.number, next_attempt_at=next_at, last_attempt_at=attempt.at
        )

    def redelivered(self, now: datetime) -> Delivery:
        """Pending again from ``now``: sent anew, with a fresh retry window."""
        return evolve(self, status=DeliveryStatus.PENDING, next_attempt_at=now, pending_since=now)


def attempt_id(delivery: UUID, number: int) -> UUID:
    return uuid.uuid5(delivery, str(number))


@frozen(kw_only=True)
class DeliveryAttempt:
    """One try of a delivery: when, the HTTP status (None when no response came: refused,
    timed out), how long it took, its number in the delivery's life (1, 2, …), up to 1 kB
    of the response and what went wrong."""

    id: UUID
    tenant_id: UUID
    subscription_id: UUID
    delivery_id: UUID
    event_id: UUID
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None

    @classmethod
    def record(
        cls,
        delivery: Delivery,
        *,
        at: datetime,
        status_code: int | None,
        latency_ms: float,
        response: bytes | str | None = None,
        error: str | None = None,
    ) -> DeliveryAttempt:
        """The next attempt of ``delivery``; the response is cut to 1 kB, the error to 500 characters."""
        number = delivery.attempts + 1
        return cls(
            id=attempt_id(delivery.id, number),
            tenant_id=delivery.tenant_id,
            subscription_id=delivery.subscription_id,
            delivery_id=delivery.id,
            event_id=delivery.event_id,
            number=number,
            at=at,
            status_code=status_code,
            latency_ms=max(0, round(latency_ms)),
            response_excerpt=excerpt(response),
            error=None if error is None else _printable(error)[:MAX_ERROR_LENGTH],
        )

    @property
    def succeeded(self) -> bool:
        """A 2xx answer and nothing else is a success (a redirect is not followed, so it fails)."""
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def excerpt(response: bytes | str | None) -> str | None:
    """At most 1 kB of a response, as text safe to store and show."""
    if response is None:
        return None
    raw = response.encode() if isinstance(response, str) else response
    text = raw[:MAX_EXCERPT_BYTES].decode("utf-8", errors="ignore")
    return _printable(text)


def _printable(text: str) -> str:
    # Stored text holds no control characters but tab and line breaks (see validation).
    return validation.replace_control_characters(text, multiline=True)


def _patterns(errors: validation.Errors, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        errors.add("event_types", "type", "must be a list of event-type patterns")
        return ()
    patterns = list(values)
    if not patterns:
        errors.add("event_types", "required", "must name at least one event type or pattern")
    elif len(patterns) > MAX_PATTERNS:
        errors.add("event_types", "too_many", f"at most {MAX_PATTERNS} patterns")
    for index, pattern in enumerate(patterns):
        if not is_pattern(pattern):
            errors.add(
                f"event_types[{index}]",
                "invalid_pattern",
                "must be dotted words of a-z, 0-9 and '_', where '*' stands for one word and '#' for any",
            )
    if errors.has("event_types") or any(errors.has(f"event_types[{i}]") for i in range(len(patterns))):
        return ()
    return tuple(dict.fromkeys(patterns))


def is_pattern(value: object) -> bool:
    """A dotted topic pattern: words of ``[a-z0-9_]``, ``*`` or ``#``."""
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        return False
    return all(word in ("*", "#") or (word and set(word) <= _PATTERN_WORD) for word in value.split("."))


def _conditions(errors: validation.Errors, values: object) -> tuple[Condition, ...]:
    if values is None:
        return ()
    try:
        return webhook_filters.parse_all(values)
    except ValidationError as error:
        for problem in error.errors:
            errors.add(problem.field, problem.code, problem.message)
        return ()


def _format(errors: validation.Errors, value: object) -> WebhookFormat | None:
    if value is None:
        return WebhookFormat.LANA
    if not isinstance(value, str):
        errors.add("format", "type", "must be a string")
        return None
    try:
        return WebhookFormat(value)
    except ValidationError as error:
        for problem in error.errors:
            errors.add(problem.field, problem.code, problem.message)
        return None


def _check_seed_patterns(errors: validation.Errors, patterns: Sequence[str]) -> None:
    """The seed's body describes a created customer: every pattern must match only such events."""
    for index, pattern in enumerate(patterns):
        matched = {t for t in EVENT_TYPES if matches(pattern, t)}
        if not matched or not matched <= set(SEED_EVENT_TYPES):
            errors.add(
                f"event_types[{index}]",
                "not_in_format",
                f"the seed format carries {' and '.join(SEED_EVENT_TYPES)} only",
            )
