"""Helpers every test may use: a kernel on in-memory adapters, a tenant with its admin, more users."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from lana_core.domain.tenancy import Actor, Role
from lana_core.memory import (
    InMemoryCache,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    ManualClock,
    ScryptHasher,
)
from lana_core.ports import Clock
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.tenants import CreateTenant, CreateTenantHandler, CreateUser, CreateUserHandler

START = datetime(2026, 1, 1, tzinfo=UTC)
PASSWORD = "correct horse battery staple"

# scrypt at its smallest cost: hashing stays a real scrypt, but takes microseconds.
FAST_HASHER = ScryptHasher(n=2, r=1, p=1)


def make_kernel(*, store: InMemoryStore | None = None, clock: Clock | None = None) -> Kernel:
    """A kernel on in-memory adapters; the clock stands at 2026-01-01T00:00Z unless given."""
    return Kernel(
        uow=InMemoryUnitOfWorkFactory(store if store is not None else InMemoryStore()),
        clock=clock if clock is not None else ManualClock(START),
        ids=TimeOrderedIds(),
        cache=InMemoryCache(),
    )


async def make_tenant(kernel: Kernel, slug: str = "acme") -> Actor:
    """Create a tenant and its first admin; returns the admin's actor (password: ``PASSWORD``)."""
    _, admin = await CreateTenantHandler(kernel, FAST_HASHER)(
        CreateTenant(
            slug=slug,
            name=f"{slug.title()} Ltd",
            admin_email=f"admin@{slug}.example.com",
            admin_name="Ada Admin",
            admin_password=PASSWORD,
        )
    )
    return admin


async def make_user(kernel: Kernel, admin: Actor, role: Role, email: str | None = None) -> Actor:
    """Add a user with ``role`` to the admin's tenant (password: ``PASSWORD``); returns its actor."""
    user = await CreateUserHandler(kernel, FAST_HASHER)(
        admin,
        CreateUser(
            email=email or f"{role.value}-{uuid4().hex[:12]}@example.com",
            name=f"{role.value.title()} User",
            role=role,
            password=PASSWORD,
        ),
    )
    return Actor(admin.tenant_id, user.id, role)
