"""Text fields refuse control characters (tab and line breaks too, unless the field is multi-line),
naming the field, and accept every other text within their own rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain import validation
from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.customers import ContactDetails
from lana_core.domain.insights import ChurnRisk, InsightDraft, Signal
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.projects import Priority, Project, Task
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Role, Tenant, User
from lana_core.errors import ValidationError
from tests.strategies import CONTROL_CHARACTERS, LINE_BREAKS, line_characters, lines_characters

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ID = uuid4()


def _refused(value: str, *, multiline: bool) -> bool:
    """The rule, stated independently of the regex that implements it."""
    return any(unicodedata.category(c) in ("Cc", "Cs") and not (multiline and c in "\t\n\r") for c in value)


def _text(value: str, *, multiline: bool) -> str | None:
    errors = validation.Errors()
    cleaned = validation.text(errors, "notes", value, max_length=10_000, multiline=multiline)
    errors.raise_if_any()
    return cleaned


any_text = st.text(line_characters | CONTROL_CHARACTERS | LINE_BREAKS, max_size=30)


@given(value=any_text, multiline=st.booleans())
def test_text_is_refused_exactly_when_it_holds_a_control_character(value: str, multiline: bool) -> None:
    # Surrounding whitespace is stripped before any rule, as before: it is never stored.
    if _refused(value.strip(), multiline=multiline):
        with pytest.raises(ValidationError) as raised:
            _text(value, multiline=multiline)
        assert [(e.field, e.code) for e in raised.value.errors] == [("notes", "invalid_character")]
    else:
        assert _text(value, multiline=multiline) == (value.strip() or None)


def _customer(**fields: Any) -> None:
    defaults: dict[str, Any] = {
        "name": "Grace",
        "email": None,
        "phone": None,
        "company": None,
        "notes": None,
        "tags": (),
        "attributes": {},
    }
    ContactDetails.parse(**{**defaults, **fields})


def _project(**fields: Any) -> None:
    made = Project.create(
        id=ID,
        tenant_id=ID,
        customer_id=ID,
        title=fields.get("title", "Plan"),
        description=fields.get("description"),
        priority=Priority.MEDIUM,
        due_date=None,
        assignee_id=None,
        created_by=ID,
        now=NOW,
    )
    if fields.get("edit"):
        made.edit(
            title=fields.get("edit_title", "Plan"),
            description=fields.get("edit_description"),
            priority=Priority.HIGH,
            due_date=None,
            assignee_id=None,
            now=NOW,
        )


def _task(**fields: Any) -> None:
    made = Task.create(
        id=ID,
        tenant_id=ID,
        project_id=ID,
        customer_id=ID,
        title=fields.get("title", "Call"),
        description=fields.get("description"),
        assignee_id=None,
        due_date=None,
        now=NOW,
    )
    if fields.get("edit"):
        made.edit(
            title=fields.get("edit_title", "Call"),
            description=fields.get("edit_description"),
            assignee_id=None,
            due_date=None,
            now=NOW,
        )


def _interaction(**fields: Any) -> None:
    Interaction.record(
        id=ID,
        tenant_id=ID,
        customer_id=ID,
        type=InteractionType.NOTE,
        subject=fields.get("subject", "Lunch"),
        content=fields.get("content"),
        occurred_at=None,
        author_id=ID,
        now=NOW,
    )


def _tenant(**fields: Any) -> None:
    Tenant.create(id=ID, slug=fields.get("slug", "acme"), name=fields.get("name", "Acme"), now=NOW)


def _user(**fields: Any) -> None:
    User.create(
        id=ID,
        tenant_id=ID,
        email=fields.get("email", "ada@acme.test"),
        name=fields.get("name", "Ada"),
        role=Role.AGENT,
        password_hash="x",
        now=NOW,
    )


def _event(**fields: Any) -> None:
    values: dict[str, Any] = {
        "name": "signup",
        "user_id": None,
        "session_id": None,
        "subject_type": None,
        "properties": {},
    }
    AnalyticsEvent.create(
        id=ID, tenant_id=ID, subject_id=None, occurred_at=None, now=NOW, **{**values, **fields}
    )


def _query(**fields: Any) -> None:
    CustomerQuery(**fields).checked()


@frozen
class Field:
    """One free-text field: how to build its aggregate with ``value`` in it, and the field an
    error names."""

    build: Callable[[str], None]
    name: str
    multiline: bool = False


# Every free-text field a caller can set: each aggregate's, an event's, and a list's filters.
FREE_TEXT = {
    "customer.name": Field(lambda v: _customer(name=v), "name"),
    "customer.company": Field(lambda v: _customer(company=v), "company"),
    "customer.notes": Field(lambda v: _customer(notes=v), "notes", multiline=True),
    "customer.attributes value": Field(
        lambda v: _customer(attributes={"region": v}), "attributes.region", True
    ),
    "project.title": Field(lambda v: _project(title=v), "title"),
    "project.description": Field(lambda v: _project(description=v), "description", multiline=True),
    "edited project.title": Field(lambda v: _project(edit=True, edit_title=v), "title"),
    "edited project.description": Field(
        lambda v: _project(edit=True, edit_description=v), "description", multiline=True
    ),
    "task.title": Field(lambda v: _task(title=v), "title"),
    "task.description": Field(lambda v: _task(description=v), "description", multiline=True),
    "edited task.title": Field(lambda v: _task(edit=True, edit_title=v), "title"),
    "edited task.description": Field(lambda v: _task(edit=True, edit_description=v), "description", True),
    "interaction.subject": Field(lambda v: _interaction(subject=v), "subject"),
    "interaction.content": Field(lambda v: _interaction(content=v), "content", multiline=True),
    "tenant.name": Field(lambda v: _tenant(name=v), "name"),
    "user.name": Field(lambda v: _user(name=v), "name"),
    "event.name": Field(lambda v: _event(name=v), "name"),
    "event.user_id": Field(lambda v: _event(user_id=v), "user_id"),
    "event.session_id": Field(lambda v: _event(session_id=v), "session_id"),
    "event.subject_type": Field(lambda v: _event(subject_type=v), "subject_type"),
    "event.properties value": Field(lambda v: _event(properties={"region": v}), "properties.region", True),
    "customer search text": Field(lambda v: _query(text=v), "text"),
    "customer tag filter": Field(lambda v: _query(tag=v), "tag"),
}

# Fields with a format of their own: a control character breaks the format, under the field's name.
FORMATTED = {
    "customer.email": Field(lambda c: _customer(email=f"gr{c}ace@navy.mil"), "email"),
    "customer.phone": Field(lambda c: _customer(phone=f"+1 555{c}010 2030"), "phone"),
    "customer.tags": Field(lambda c: _customer(tags=(f"v{c}ip",)), "tags"),
    "customer.attributes key": Field(
        lambda c: _customer(attributes={f"re{c}gion": 1}), "attributes.re{c}gion"
    ),
    "tenant.slug": Field(lambda c: _tenant(slug=f"ac{c}me"), "slug"),
    "user.email": Field(lambda c: _user(email=f"a{c}da@acme.test"), "email"),
}


def _fields_named(build: Callable[[str], None], value: str) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        build(value)
    return {error.field for error in raised.value.errors}


@pytest.mark.parametrize("field", FREE_TEXT.values(), ids=FREE_TEXT.keys())
@given(data=st.data())
def test_a_control_character_in_any_free_text_field_is_refused_by_name(
    field: Field, data: st.DataObject
) -> None:
    bad = data.draw(CONTROL_CHARACTERS if field.multiline else CONTROL_CHARACTERS | LINE_BREAKS)
    text = data.draw(st.text(line_characters, max_size=10))

    assert _fields_named(field.build, f"{text}a{bad}z") == {field.name}


@pytest.mark.parametrize("field", FREE_TEXT.values(), ids=FREE_TEXT.keys())
@given(data=st.data())
def test_any_free_text_without_a_control_character_is_accepted(field: Field, data: st.DataObject) -> None:
    alphabet = lines_characters if field.multiline else line_characters
    value = data.draw(st.text(alphabet, min_size=1, max_size=40).filter(lambda v: v.strip() != ""))

    field.build(value)


@pytest.mark.parametrize("field", FORMATTED.values(), ids=FORMATTED.keys())
@given(bad=CONTROL_CHARACTERS | LINE_BREAKS)
def test_a_control_character_in_a_formatted_field_is_refused_by_name(field: Field, bad: str) -> None:
    assert _fields_named(field.build, bad) == {field.name.replace("{c}", bad)}


def _draft(**text: Any) -> InsightDraft:
    values: dict[str, Any] = {
        "summary": "Healthy account.",
        "recommendations": ("Call them.",),
        "signals": (Signal("recent_contact", "Spoke last week.", 5),),
        "model": "gpt-4o-mini",
    }
    return InsightDraft(health_score=80, churn_risk=ChurnRisk.LOW, **{**values, **text})


@pytest.mark.parametrize(
    "text",
    [
        {"summary": "Healthy\x00 account."},
        {"recommendations": ("Call\x1b[31m them.",)},
        {"signals": (Signal("recent\ncontact", "Spoke last week.", 5),)},
        {"signals": (Signal("recent_contact", "Spoke\x7f last week.", 5),)},
        {"model": "gpt\x00"},
    ],
)
def test_a_model_answer_with_a_control_character_is_invalid_output(text: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        _draft(**text).validate()
    assert raised.value.errors[0].code == "invalid_model_output"


def test_a_model_answer_may_break_its_prose_into_lines() -> None:
    draft = _draft(summary="Healthy.\r\nGrowing.", recommendations=("Call\tthem.",))
    assert draft.validate() is draft
