"""API keys on every adapter: a key acts for its creator in its own role (never above the
creator's), is refused once revoked or expired or once its creator may not act, and is
named as the author of what it changes and of the interactions it records."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from lana_core.app import Lana
from lana_core.domain.api_keys import PREFIX, ApiKeyRef
from lana_core.domain.interactions import InteractionType
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.api_keys import CreateApiKey, CreatedApiKey
from lana_core.usecases.customers import CreateCustomer
from lana_core.usecases.interactions import RecordInteraction
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import FAST_HASHER, make_tenant, make_user


@pytest.fixture
def lana(kernel: Kernel) -> Lana:
    return Lana(kernel, hasher=FAST_HASHER)


async def _key(
    lana: Lana, admin: Actor, role: Role = Role.AGENT, name: str = "n8n", **options: object
) -> CreatedApiKey:
    command = CreateApiKey(name=name, role=role, **options)  # type: ignore[arg-type]
    return await lana.create_api_key(admin, command)


async def test_a_key_acts_for_its_creator_in_its_own_role(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin, Role.AGENT)

    acting = await lana.resolve_api_key(created.token)

    assert created.token.startswith(PREFIX)
    assert (acting.tenant_id, acting.user_id, acting.role) == (admin.tenant_id, admin.user_id, Role.AGENT)
    assert acting.api_key_id == created.key.id


async def test_only_a_digest_of_the_secret_is_stored(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin)

    (listed,) = await lana.list_api_keys(admin)

    secret = created.token.rsplit("_", 1)[-1]
    assert listed.id == created.key.id
    assert secret not in listed.secret_hash


async def test_a_wrong_secret_or_an_unknown_key_is_refused(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin)
    forged = created.token[:-4] + ("AAAA" if not created.token.endswith("AAAA") else "BBBB")
    unknown = f"{PREFIX}{admin.tenant_id.hex}_{uuid4().hex}_secret"

    for token in (forged, unknown, "lana_sk_nonsense", f"{PREFIX}{uuid4().hex}_{created.key.id.hex}_x"):
        with pytest.raises(Unauthenticated):
            await lana.resolve_api_key(token)


async def test_a_revoked_key_is_refused_on_the_next_use(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin)
    await lana.resolve_api_key(created.token)

    revoked = await lana.revoke_api_key(admin, created.key.id)

    assert revoked.revoked_at is not None
    with pytest.raises(Unauthenticated):
        await lana.resolve_api_key(created.token)
    with pytest.raises(Conflict):
        await lana.revoke_api_key(admin, created.key.id)
    with pytest.raises(NotFound):
        await lana.revoke_api_key(admin, uuid4())


async def test_an_expired_key_is_refused(lana: Lana, admin: Actor, clock: ManualClock) -> None:
    created = await _key(lana, admin, expires_at=clock.now() + timedelta(hours=1))
    await lana.resolve_api_key(created.token)

    clock.advance(timedelta(hours=1))

    with pytest.raises(Unauthenticated):
        await lana.resolve_api_key(created.token)


async def test_an_expiry_in_the_past_or_without_a_time_zone_is_refused(
    lana: Lana, admin: Actor, clock: ManualClock
) -> None:
    with pytest.raises(ValidationError):
        await _key(lana, admin, expires_at=clock.now())
    with pytest.raises(ValidationError):
        await _key(lana, admin, expires_at=(clock.now() + timedelta(days=1)).replace(tzinfo=None))


async def test_a_key_never_acts_above_its_creator_of_the_moment(lana: Lana, admin: Actor) -> None:
    other_admin = await make_user(lana.kernel, admin, Role.ADMIN)
    created = await _key(lana, other_admin, Role.ADMIN)

    await lana.change_user_role(admin, other_admin.user_id, Role.VIEWER)
    assert (await lana.resolve_api_key(created.token)).role is Role.VIEWER

    await lana.deactivate_user(admin, other_admin.user_id)
    with pytest.raises(Unauthenticated):
        await lana.resolve_api_key(created.token)


async def test_only_admins_manage_keys(lana: Lana, admin: Actor) -> None:
    manager = await make_user(lana.kernel, admin, Role.MANAGER)
    created = await _key(lana, admin)

    with pytest.raises(PermissionDenied):
        await _key(lana, manager, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        await lana.list_api_keys(manager)
    with pytest.raises(PermissionDenied):
        await lana.revoke_api_key(manager, created.key.id)


async def test_keys_are_tenant_scoped(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin)
    other = await make_tenant(lana.kernel, "globex")

    assert await lana.list_api_keys(other) == []
    with pytest.raises(NotFound):
        await lana.revoke_api_key(other, created.key.id)


async def test_changes_made_with_a_key_name_the_key_as_their_author(lana: Lana, admin: Actor) -> None:
    created = await _key(lana, admin, Role.AGENT)
    acting = await lana.resolve_api_key(created.token)

    customer = await lana.create_customer(acting, CreateCustomer(name="Initech"))

    async with lana.kernel.uow(admin.tenant_id) as uow:
        (entry,) = await uow.audit.list_for_customer(customer.id, 10)
    assert entry.actor_id == created.key.id
    assert customer.owner_id == admin.user_id


async def test_an_interaction_recorded_with_a_key_names_the_key_wherever_it_is_read(
    lana: Lana, admin: Actor
) -> None:
    created = await _key(lana, admin, Role.AGENT)
    acting = await lana.resolve_api_key(created.token)
    customer = await lana.create_customer(acting, CreateCustomer(name="Initech"))
    note = RecordInteraction(customer_id=customer.id, type=InteractionType.NOTE, content="From n8n")

    recorded = await lana.record_interaction(acting, note)

    named = ApiKeyRef(created.key.id, "n8n")
    assert (recorded.author_id, recorded.recorded_by_api_key) == (admin.user_id, named)
    assert (await lana.get_interaction(admin, customer.id, recorded.id)).recorded_by_api_key == named
    (listed,) = (await lana.list_interactions(admin, customer.id)).items
    assert listed.recorded_by_api_key == named
    timeline = (await lana.get_timeline(admin, customer.id)).items
    assert [(entry.kind, entry.api_key) for entry in timeline] == [("interaction", named), ("audit", named)]


async def test_what_a_user_writes_names_no_key(lana: Lana, admin: Actor) -> None:
    await _key(lana, admin)
    customer = await lana.create_customer(admin, CreateCustomer(name="Initech"))
    note = RecordInteraction(customer_id=customer.id, type=InteractionType.NOTE, content="By hand")

    recorded = await lana.record_interaction(admin, note)

    assert recorded.recorded_by_api_key is None
    assert [entry.api_key for entry in (await lana.get_timeline(admin, customer.id)).items] == [None, None]


async def test_key_names_are_read_for_the_tenant_s_keys_alone(lana: Lana, admin: Actor) -> None:
    mine = await _key(lana, admin)
    revoked = await _key(lana, admin, name="old sync")
    await lana.revoke_api_key(admin, revoked.key.id)
    other = await make_tenant(lana.kernel, "globex")
    theirs = await _key(lana, other)

    async with lana.kernel.uow(admin.tenant_id) as uow:
        names = await uow.api_keys.names([mine.key.id, revoked.key.id, theirs.key.id, admin.user_id])
        nothing = await uow.api_keys.names([])

    assert dict(names) == {mine.key.id: "n8n", revoked.key.id: "old sync"}
    assert dict(nothing) == {}


async def test_use_is_recorded_at_most_once_a_minute(lana: Lana, admin: Actor, clock: ManualClock) -> None:
    created = await _key(lana, admin)
    first_use = clock.now()
    await lana.resolve_api_key(created.token)
    clock.advance(timedelta(seconds=30))
    await lana.resolve_api_key(created.token)

    (listed,) = await lana.list_api_keys(admin)

    assert listed.last_used_at == first_use


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "lana",
    "test_a_key_acts_for_its_creator_in_its_own_role",
    "test_only_a_digest_of_the_secret_is_stored",
    "test_a_wrong_secret_or_an_unknown_key_is_refused",
    "test_a_revoked_key_is_refused_on_the_next_use",
    "test_an_expired_key_is_refused",
    "test_an_expiry_in_the_past_or_without_a_time_zone_is_refused",
    "test_a_key_never_acts_above_its_creator_of_the_moment",
    "test_only_admins_manage_keys",
    "test_keys_are_tenant_scoped",
    "test_changes_made_with_a_key_name_the_key_as_their_author",
    "test_an_interaction_recorded_with_a_key_names_the_key_wherever_it_is_read",
    "test_what_a_user_writes_names_no_key",
    "test_key_names_are_read_for_the_tenant_s_keys_alone",
    "test_use_is_recorded_at_most_once_a_minute",
]
