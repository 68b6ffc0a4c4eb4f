"""Domain events: the facts every change publishes through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from attrs import field, frozen

# Event types, dotted so a topic exchange can route on them ("customer.*", "#.high_value").
CUSTOMER_CREATED: Final = "customer.created"
CUSTOMER_CREATED_HIGH_VALUE: Final = "customer.created.high_value"
CUSTOMER_UPDATED: Final = "customer.updated"
CUSTOMER_STATUS_CHANGED: Final = "customer.status_changed"
CUSTOMER_VALUE_CHANGED: Final = "customer.value_changed"
CUSTOMER_ARCHIVED: Final = "customer.archived"
CUSTOMER_RESTORED: Final = "customer.restored"
CUSTOMER_MERGED: Final = "customer.merged"
PROJECT_CREATED: Final = "project.created"
PROJECT_UPDATED: Final = "project.updated"
PROJECT_STATUS_CHANGED: Final = "project.status_changed"
PROJECT_ARCHIVED: Final = "project.archived"
TASK_CREATED: Final = "task.created"
TASK_UPDATED: Final = "task.updated"
TASK_COMPLETED: Final = "task.completed"
TASK_REOPENED: Final = "task.reopened"
TASK_DELETED: Final = "task.deleted"
INTERACTION_RECORDED: Final = "interaction.recorded"
INTERACTION_UPDATED: Final = "interaction.updated"
INTERACTION_DELETED: Final = "interaction.deleted"
INSIGHT_GENERATED: Final = "insight.generated"
TENANT_CREATED: Final = "tenant.created"
TENANT_SETTINGS_CHANGED: Final = "tenant.settings_changed"
USER_CREATED: Final = "user.created"
USER_UPDATED: Final = "user.updated"
USER_PASSWORD_CHANGED: Final = "user.password_changed"  # noqa: S105 - an event name
IMPORT_COMPLETED: Final = "import.completed"
API_KEY_CREATED: Final = "api_key.created"
API_KEY_REVOKED: Final = "api_key.revoked"
WEBHOOK_SUBSCRIPTION_CREATED: Final = "webhook.subscription.created"
WEBHOOK_SUBSCRIPTION_UPDATED: Final = "webhook.subscription.updated"
WEBHOOK_SUBSCRIPTION_DELETED: Final = "webhook.subscription.deleted"
WEBHOOK_SUBSCRIPTION_PAUSED: Final = "webhook.subscription.paused"

EVENT_TYPES: Final = frozenset(
    {
        CUSTOMER_CREATED,
        CUSTOMER_CREATED_HIGH_VALUE,
        CUSTOMER_UPDATED,
        CUSTOMER_STATUS_CHANGED,
        CUSTOMER_VALUE_CHANGED,
        CUSTOMER_ARCHIVED,
        CUSTOMER_RESTORED,
        CUSTOMER_MERGED,
        PROJECT_CREATED,
        PROJECT_UPDATED,
        PROJECT_STATUS_CHANGED,
        PROJECT_ARCHIVED,
        TASK_CREATED,
        TASK_UPDATED,
        TASK_COMPLETED,
        TASK_REOPENED,
        TASK_DELETED,
        INTERACTION_RECORDED,
        INTERACTION_UPDATED,
        INTERACTION_DELETED,
        INSIGHT_GENERATED,
        TENANT_CREATED,
        TENANT_SETTINGS_CHANGED,
        USER_CREATED,
        USER_UPDATED,
        USER_PASSWORD_CHANGED,
        IMPORT_COMPLETED,
        API_KEY_CREATED,
        API_KEY_REVOKED,
        WEBHOOK_SUBSCRIPTION_CREATED,
        WEBHOOK_SUBSCRIPTION_UPDATED,
        WEBHOOK_SUBSCRIPTION_DELETED,
        WEBHOOK_SUBSCRIPTION_PAUSED,
    }
)

ENVELOPE_VERSION: Final = 1


@frozen(kw_only=True)
class DomainEvent:
    """The envelope of one fact. ``id`` is the idempotency key downstream.

    ``aggregate_version`` lets a consumer refuse to apply an older change after a
    newer one; ``payload`` holds JSON-safe values only.
    """

    id: UUID
    type: str
    tenant_id: UUID
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: datetime
    actor_id: UUID | None
    payload: Mapping[str, Any]
    version: int = ENVELOPE_VERSION
    trace_context: Mapping[str, str] = field(factory=dict)


def matches(pattern: str, event_type: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` is zero or more words."""
    return _match(pattern.split("."), event_type.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])
