"""The SQL adapter's converter: every record written as column values and read back from
the row a driver returns for them is the same record; times read back in UTC; stored
documents missing a newer key read as its default; enums are written as their values."""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin
from uuid import UUID, uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.sql import records, rows, webhooks
from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.api_keys import ApiKey
from lana_core.domain.audit import AuditEntry
from lana_core.domain.choices import Choice
from lana_core.domain.customers import Customer
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import Interaction
from lana_core.domain.projects import Project, Task
from lana_core.domain.sessions import Session
from lana_core.domain.tenancy import Tenant, TenantSettings, User
from lana_core.domain.webhooks import DeliveryAttempt
from tests.contract import builders
from tests.strategies import attribute_maps, lines_characters

_NOW = datetime(2026, 1, 1, tzinfo=UTC)
Read = Callable[[Any], Any]
Write = Callable[[Any], dict[str, Any]]


def interaction_as_read(interaction: Interaction) -> dict[str, Any]:
    """An interaction's columns as it is read: with its key's name, joined from api_keys."""
    values = records.interaction_values(interaction)
    key = interaction.recorded_by_api_key
    values["api_key_name"] = None if key is None else key.name
    return values


MAPPINGS: list[tuple[type[Any], Read, Write]] = [
    (Tenant, rows.tenant_of, rows.tenant_values),
    (User, rows.user_of, rows.user_values),
    (Session, rows.session_of, rows.session_values),
    (ApiKey, rows.api_key_of, rows.api_key_values),
    (Customer, rows.customer_of, rows.customer_values),
    (Project, rows.project_of, rows.project_values),
    (Task, rows.task_of, rows.task_values),
    (Interaction, records.interaction_of, interaction_as_read),
    (Insight, records.insight_of, records.insight_values),
    (AuditEntry, records.audit_of, records.audit_values),
    (DomainEvent, records.event_of, records.event_values),
    (AnalyticsEvent, records.analytics_of, records.analytics_values),
    (DeliveryAttempt, webhooks.attempt_of, webhooks.attempt_values),
]

_zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
_times = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=_zones)
_text = st.text(lines_characters, max_size=12)
_json_values = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text


def _stored_as_json(value: Any) -> bool:
    return isinstance(value, list | tuple | dict)


def driver_row(values: Mapping[str, Any]) -> Any:
    """The row a driver returns for these column values: a named tuple, JSON documents
    decoded from their text, and a column no record field names."""
    stored = {key: json.loads(json.dumps(v)) if _stored_as_json(v) else v for key, v in values.items()}
    stored["unrelated_column"] = "ignored"
    return namedtuple("Row", list(stored))(**stored)  # type: ignore[misc]


def _strategy(kind: Any) -> st.SearchStrategy[Any]:
    """Values of a record field's type, as the domain holds them."""
    args = get_args(kind)
    if get_origin(kind) in (Union, UnionType) and NoneType in args:
        return st.none() | _strategy(next(arg for arg in args if arg is not NoneType))
    if get_origin(kind) is tuple:
        return st.lists(_strategy(args[0]), max_size=3).map(tuple)
    if get_origin(kind) is Mapping:
        return st.dictionaries(_text, _text) if args[1] is str else attribute_maps
    if kind is Any:
        return _json_values
    if attrs.has(kind):
        return record_of(kind)
    if isinstance(kind, type) and issubclass(kind, Choice):
        return st.sampled_from(kind)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        UUID: st.uuids(),
        datetime: _times,
        str: _text,
        bool: st.booleans(),
        int: st.integers(-(2**31), 2**31),
        float: st.floats(allow_nan=False, allow_infinity=False),
        date: st.dates(),
    }
    return simple[kind]


def record_of(kind: type[Any]) -> st.SearchStrategy[Any]:
    """Any record of ``kind``: each field drawn from its type."""
    fields = attrs.fields_dict(attrs.resolve_types(kind))
    return st.builds(kind, **{name: _strategy(field.type) for name, field in fields.items()})


@pytest.mark.parametrize(("kind", "read", "write"), MAPPINGS, ids=lambda v: getattr(v, "__name__", ""))
@given(data=st.data())
def test_a_record_reads_back_from_its_own_row(
    kind: type[Any], read: Read, write: Write, data: st.DataObject
) -> None:
    record = data.draw(record_of(kind))
    assert read(driver_row(write(record))) == record


@given(record=record_of(Customer))
def test_times_read_back_in_utc(record: Customer) -> None:
    read = rows.customer_of(driver_row(rows.customer_values(record)))
    assert read.created_at.tzinfo is UTC
    assert read.created_at == record.created_at


def test_a_time_without_a_zone_is_refused() -> None:
    record = builders.customer(uuid4(), _NOW)
    naive = {**rows.customer_values(record), "created_at": datetime(2026, 1, 1)}
    with pytest.raises(ValueError, match="no time zone"):
        rows.customer_of(driver_row(naive))


def test_a_settings_document_missing_a_setting_reads_as_its_default() -> None:
    tenant = Tenant(id=uuid4(), slug="acme", name="Acme", settings=TenantSettings(), created_at=_NOW)
    values = rows.tenant_values(tenant)
    values["settings"] = {"agents_see_only_own_customers": True}
    read = rows.tenant_of(driver_row(values))
    assert read.settings == TenantSettings(agents_see_only_own_customers=True)


def test_choices_are_written_as_their_values() -> None:
    # psycopg would send a member's name (ACTIVE), which the column's check refuses.
    values = rows.customer_values(builders.customer(uuid4(), _NOW))
    assert (type(values["status"]), type(values["value"])) == (str, str)
    assert (values["status"], values["value"]) == ("prospect", "high")


def test_an_outbox_row_names_the_envelope_version_apart() -> None:
    event = DomainEvent(
        id=uuid4(),
        type="customer.created",
        tenant_id=uuid4(),
        aggregate_type="customer",
        aggregate_id=uuid4(),
        aggregate_version=7,
        occurred_at=_NOW,
        actor_id=None,
        payload={},
        version=2,
    )
    values = records.event_values(event)
    assert (values["envelope_version"], values["aggregate_version"], values["state"]) == (2, 7, "pending")
    assert "version" not in values


@given(interaction=record_of(Interaction))
def test_an_interaction_row_keeps_its_key_by_id_only(interaction: Interaction) -> None:
    # The key's name lives in api_keys; the interaction's row names the key by its id.
    values = records.interaction_values(interaction)
    key = interaction.recorded_by_api_key
    assert values["api_key_id"] == (None if key is None else key.id)
    assert "recorded_by_api_key" not in values
    assert "api_key_name" not in values
