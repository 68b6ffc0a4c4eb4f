"""A tenant's settings carry a version on every adapter: each change moves it on by one, and
a change made against an older version is refused, so two admins cannot overwrite each other."""

from __future__ import annotations

import attrs
import pytest

from lana_core.domain.tenancy import Actor, Tenant, TenantSettings
from lana_core.errors import StaleVersion
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.tenants import (
    ChangeTenantSettings,
    ChangeTenantSettingsHandler,
    GetTenantHandler,
)
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel

STRICT = TenantSettings(agents_see_only_own_customers=True)
FRUGAL = TenantSettings(daily_model_call_budget=3)


async def _stored(kernel: Kernel, clock: ManualClock) -> Tenant:
    tenant = builders.tenant(clock.now(), slug="globex")
    await builders.commit_new(kernel, tenant.id, lambda uow: uow.tenants.add(tenant))
    return tenant


async def test_a_new_tenant_is_at_settings_version_one_and_each_change_moves_it_on(
    kernel: Kernel, admin: Actor
) -> None:
    change = ChangeTenantSettingsHandler(kernel)
    assert (await GetTenantHandler(kernel)(admin)).settings_version == 1
    first = await change(admin, ChangeTenantSettings(settings=STRICT, expected_version=1))
    second = await change(admin, ChangeTenantSettings(settings=FRUGAL))
    assert (first.settings_version, second.settings_version) == (2, 3)
    assert await GetTenantHandler(kernel)(admin) == second


async def test_a_change_against_an_older_version_is_refused_and_changes_nothing(
    kernel: Kernel, admin: Actor
) -> None:
    change = ChangeTenantSettingsHandler(kernel)
    latest = await change(admin, ChangeTenantSettings(settings=STRICT, expected_version=1))
    with pytest.raises(StaleVersion):
        await change(admin, ChangeTenantSettings(settings=FRUGAL, expected_version=1))
    assert await GetTenantHandler(kernel)(admin) == latest


async def test_a_stored_update_must_move_the_settings_version_by_exactly_one(
    kernel: Kernel, clock: ManualClock
) -> None:
    original = await _stored(kernel, clock)
    for version in (1, 3):
        skipping = attrs.evolve(original, settings=STRICT, settings_version=version)
        with pytest.raises(StaleVersion):
            await builders.commit_new(kernel, original.id, _update(skipping))
    async with kernel.uow(original.id) as uow:
        assert await uow.tenants.get(original.id) == original


async def test_two_units_from_the_same_settings_exactly_one_commit_wins(
    kernel: Kernel, clock: ManualClock
) -> None:
    original = await _stored(kernel, clock)
    first, second = kernel.uow(original.id), kernel.uow(original.id)
    async with first, second:
        seen_first = await first.tenants.get(original.id)
        seen_second = await second.tenants.get(original.id)
        assert seen_first is not None
        assert seen_second is not None
        await builders.commit_in(first, lambda uow: uow.tenants.update(seen_first.with_settings(STRICT)))
        with pytest.raises(StaleVersion):
            await builders.commit_in(
                second, lambda uow: uow.tenants.update(seen_second.with_settings(FRUGAL))
            )

    async with kernel.uow(original.id) as uow:
        assert await uow.tenants.get(original.id) == original.with_settings(STRICT)


def _update(tenant: Tenant) -> builders.Write:
    return lambda uow: uow.tenants.update(tenant)


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_a_new_tenant_is_at_settings_version_one_and_each_change_moves_it_on",
    "test_a_change_against_an_older_version_is_refused_and_changes_nothing",
    "test_a_stored_update_must_move_the_settings_version_by_exactly_one",
    "test_two_units_from_the_same_settings_exactly_one_commit_wins",
]
