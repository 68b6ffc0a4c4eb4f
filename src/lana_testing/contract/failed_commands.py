"""A command that fails, on a rule or at commit, leaves records, outbox, audit and analytics as they were."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any
from uuid import UUID

import attrs
import pytest

from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, LanaError, PermissionDenied, Unavailable, ValidationError
from lana_core.ports import OutboxRelayStore, UnitOfWork
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay
from lana_testing.contract.observe import everything
from lana_testing.support import make_user

Command = Callable[[Kernel, Actor, Customer], Awaitable[Any]]


async def _duplicate_email(kernel: Kernel, actor: Actor, existing: Customer) -> Any:
    return await CreateCustomerHandler(kernel)(actor, CreateCustomer(name="Twin", email=existing.email))


async def _invalid_fields(kernel: Kernel, actor: Actor, existing: Customer) -> Any:
    return await CreateCustomerHandler(kernel)(actor, CreateCustomer(name=" ", email="not-an-address"))


async def _stale_update(kernel: Kernel, actor: Actor, existing: Customer) -> Any:
    command = UpdateCustomer(customer_id=existing.id, expected_version=existing.version - 1, name="Stale")
    return await UpdateCustomerHandler(kernel)(actor, command)


async def _illegal_status(kernel: Kernel, actor: Actor, existing: Customer) -> Any:
    command = ChangeCustomerStatus(customer_id=existing.id, status=CustomerStatus.PROSPECT)
    return await ChangeCustomerStatusHandler(kernel)(actor, command)


async def _viewer_archives(kernel: Kernel, actor: Actor, existing: Customer) -> Any:
    viewer = Actor(actor.tenant_id, existing.owner_id or actor.user_id, Role.VIEWER)
    return await ArchiveCustomerHandler(kernel)(viewer, existing.id)


FAILURES: dict[str, tuple[Command, type[LanaError]]] = {
    "duplicate email": (_duplicate_email, Conflict),
    "invalid fields": (_invalid_fields, ValidationError),
    "stale version": (_stale_update, Conflict),
    "illegal status move": (_illegal_status, ValidationError),
    "viewer archives": (_viewer_archives, PermissionDenied),
}


async def _existing(kernel: Kernel, admin: Actor) -> Customer:
    """An active customer owned by a viewer (so a viewer's refusal is about its role, not ownership)."""
    viewer = await make_user(kernel, admin, Role.VIEWER)
    created = await CreateCustomerHandler(kernel)(
        admin,
        CreateCustomer(
            name="Grace", email="grace@navy.mil", value=CustomerValue.HIGH, owner_id=viewer.user_id
        ),
    )
    return await ChangeCustomerStatusHandler(kernel)(
        admin, ChangeCustomerStatus(customer_id=created.id, status=CustomerStatus.ACTIVE)
    )


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_a_command_refused_by_a_rule_changes_nothing(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, failure: tuple[Command, type[LanaError]]
) -> None:
    command, error = failure
    existing = await _existing(kernel, admin)
    before = await everything(kernel, relay, admin.tenant_id)

    with pytest.raises(error):
        await command(kernel, admin, existing)

    assert await everything(kernel, relay, admin.tenant_id) == before


class _CommitFails:
    """The adapter's own unit of work, except that the commit fails as if the database went away."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> _CommitFails:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        raise Unavailable("the database went away")


SUCCESSES: dict[str, Command] = {
    "create": lambda k, a, c: CreateCustomerHandler(k)(
        a, CreateCustomer(name="New", value=CustomerValue.HIGH)
    ),
    "update": lambda k, a, c: UpdateCustomerHandler(k)(a, UpdateCustomer(customer_id=c.id, name="Renamed")),
    "status": lambda k, a, c: ChangeCustomerStatusHandler(k)(
        a, ChangeCustomerStatus(customer_id=c.id, status=CustomerStatus.INACTIVE)
    ),
    "archive": lambda k, a, c: ArchiveCustomerHandler(k)(a, c.id),
}


@pytest.mark.parametrize("command", SUCCESSES.values(), ids=SUCCESSES.keys())
async def test_a_command_whose_commit_fails_changes_nothing(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, command: Command
) -> None:
    existing = await _existing(kernel, admin)
    before = await everything(kernel, relay, admin.tenant_id)

    def failing_uow(tenant_id: UUID) -> Any:
        return _CommitFails(kernel.uow(tenant_id))

    with pytest.raises(Unavailable):
        await command(attrs.evolve(kernel, uow=failing_uow), admin, existing)

    assert await everything(kernel, relay, admin.tenant_id) == before


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "relay",
    "test_a_command_refused_by_a_rule_changes_nothing",
    "test_a_command_whose_commit_fails_changes_nothing",
]
