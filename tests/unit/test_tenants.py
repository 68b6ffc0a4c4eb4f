"""Tenants and users: creation, unique slugs, signing in, deactivation, settings."""

from __future__ import annotations

import pytest

from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.tenants import (
    Authenticate,
    AuthenticateHandler,
    ChangeTenantSettings,
    ChangeTenantSettingsHandler,
    CreateTenant,
    CreateTenantHandler,
    DeactivateUserHandler,
    GetTenantHandler,
    ListUsersHandler,
)
from tests.support import FAST_HASHER, PASSWORD, make_tenant, make_user


def _tenant(slug: str = "globex", password: str = PASSWORD) -> CreateTenant:
    return CreateTenant(
        slug=slug, name="Globex", admin_email="Hank@Globex.com", admin_name="Hank", admin_password=password
    )


async def _sign_in(kernel: Kernel, slug: str, email: str, password: str = PASSWORD) -> Actor:
    return await AuthenticateHandler(kernel, FAST_HASHER)(
        Authenticate(tenant_slug=slug, email=email, password=password)
    )


async def test_creating_a_tenant_makes_its_first_admin_who_can_sign_in(kernel: Kernel) -> None:
    tenant, admin = await CreateTenantHandler(kernel, FAST_HASHER)(_tenant(slug=" Globex "))

    signed_in = await _sign_in(kernel, "globex", " HANK@globex.com ")

    assert tenant.slug == "globex"
    assert signed_in == admin == Actor(tenant.id, admin.user_id, Role.ADMIN)
    assert await GetTenantHandler(kernel)(admin) == tenant


async def test_a_taken_slug_is_a_conflict(kernel: Kernel) -> None:
    create = CreateTenantHandler(kernel, FAST_HASHER)
    await create(_tenant())

    with pytest.raises(Conflict):
        await create(_tenant(slug="GLOBEX"))


@pytest.mark.parametrize(
    ("command", "field"),
    [(_tenant(slug="-bad-"), "slug"), (_tenant(password="short"), "password")],
    ids=["slug", "password"],
)
async def test_a_bad_slug_or_weak_password_is_refused(
    kernel: Kernel, command: CreateTenant, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await CreateTenantHandler(kernel, FAST_HASHER)(command)

    assert raised.value.errors[0].field == field


@pytest.mark.parametrize(
    ("slug", "email", "password"),
    [
        ("acme", "admin@acme.example.com", "wrong password, long enough"),
        ("acme", "nobody@acme.example.com", PASSWORD),
        ("initech", "admin@acme.example.com", PASSWORD),
        ("acme", "", ""),
    ],
    ids=["wrong password", "unknown user", "unknown tenant", "empty"],
)
async def test_a_failed_sign_in_is_unauthenticated_whatever_the_reason(
    kernel: Kernel, admin: Actor, slug: str, email: str, password: str
) -> None:
    with pytest.raises(Unauthenticated):
        await _sign_in(kernel, slug, email, password)


async def test_a_deactivated_user_can_no_longer_sign_in(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email="lin@example.com")
    assert await _sign_in(kernel, "acme", "lin@example.com") == agent

    deactivated = await DeactivateUserHandler(kernel)(admin, agent.user_id)

    assert (deactivated.active, deactivated.version) == (False, 2)
    with pytest.raises(Unauthenticated):
        await _sign_in(kernel, "acme", "lin@example.com")


async def test_deactivation_refuses_oneself_twice_unknown_users_and_non_admins(
    kernel: Kernel, admin: Actor
) -> None:
    deactivate = DeactivateUserHandler(kernel)
    agent = await make_user(kernel, admin, Role.AGENT)
    manager = await make_user(kernel, admin, Role.MANAGER)

    with pytest.raises(Conflict):
        await deactivate(admin, admin.user_id)
    with pytest.raises(PermissionDenied):
        await deactivate(manager, agent.user_id)
    with pytest.raises(NotFound):
        await deactivate(admin, admin.tenant_id)
    await deactivate(admin, agent.user_id)
    with pytest.raises(Conflict):
        await deactivate(admin, agent.user_id)


async def test_admins_and_managers_list_users_by_email_and_others_may_not(
    kernel: Kernel, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email="zed@example.com")
    manager = await make_user(kernel, admin, Role.MANAGER, email="bea@example.com")
    viewer = await make_user(kernel, admin, Role.VIEWER, email="vic@example.com")
    everyone = ["admin@acme.example.com", "bea@example.com", "vic@example.com", "zed@example.com"]

    for reader in (admin, manager):
        page = await ListUsersHandler(kernel)(reader, PageRequest(limit=10))
        assert [u.email for u in page.items] == everyone
    for refused in (agent, viewer):
        with pytest.raises(PermissionDenied):
            await ListUsersHandler(kernel)(refused, PageRequest(limit=10))


async def test_only_admins_change_tenant_settings(kernel: Kernel, admin: Actor) -> None:
    change = ChangeTenantSettingsHandler(kernel)
    manager = await make_user(kernel, admin, Role.MANAGER)
    wanted = TenantSettings(agents_see_only_own_customers=True, daily_model_call_budget=10)

    with pytest.raises(PermissionDenied):
        await change(manager, ChangeTenantSettings(settings=wanted))
    changed = await change(admin, ChangeTenantSettings(settings=wanted))

    assert changed.settings == wanted
    assert (await GetTenantHandler(kernel)(admin)).settings == wanted


async def test_tenants_are_separate_sign_in_spaces(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, "globex")

    assert (await _sign_in(kernel, "globex", "admin@globex.example.com")).tenant_id == other.tenant_id
    with pytest.raises(Unauthenticated):
        await _sign_in(kernel, "globex", "admin@acme.example.com")


async def test_a_settings_change_is_audited_and_published(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    relay = InMemoryOutboxRelayStore(store, kernel.clock)
    before = {record.event.type for record in await relay.claim(100, 60)}
    await ChangeTenantSettingsHandler(kernel)(
        admin, ChangeTenantSettings(settings=TenantSettings(agents_see_only_own_customers=True))
    )
    published = [record.event for record in await relay.claim(100, 60)]
    assert "tenant.settings_changed" not in before
    (event,) = [e for e in published if e.type == "tenant.settings_changed"]
    assert event.payload["settings"]["agents_see_only_own_customers"] is True
    assert event.actor_id == admin.user_id
