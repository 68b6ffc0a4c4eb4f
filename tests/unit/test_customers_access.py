"""Who owns and sees customers, archiving and restoring, and the status lifecycle."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.customers import STATUS_TRANSITIONS, CustomerStatus
from lana_core.domain.queries import Archived, CustomerQuery
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    ListCustomersHandler,
    RestoreCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from tests import strategies
from tests.support import make_kernel, make_tenant, make_user


async def _names(kernel: Kernel, actor: Actor, query: CustomerQuery | None = None) -> list[str]:
    page = await ListCustomersHandler(kernel)(actor, query or CustomerQuery())
    return sorted(c.name for c in page.items)


async def test_an_agent_owns_the_customers_it_creates(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)

    made = await CreateCustomerHandler(kernel)(agent, CreateCustomer(name="Mine"))

    assert made.owner_id == agent.user_id


async def test_an_agent_cannot_give_a_customer_to_someone_else(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    create = CreateCustomerHandler(kernel)

    with pytest.raises(ValidationError) as raised:
        await create(agent, CreateCustomer(name="Theirs", owner_id=admin.user_id))
    mine = await create(agent, CreateCustomer(name="Mine"))
    with pytest.raises(ValidationError):
        await UpdateCustomerHandler(kernel)(
            agent, UpdateCustomer(customer_id=mine.id, owner_id=admin.user_id)
        )

    assert raised.value.errors[0].field == "owner_id"


async def test_a_manager_assigns_owners_among_active_users_only(kernel: Kernel, admin: Actor) -> None:
    manager, agent = await make_user(kernel, admin, Role.MANAGER), await make_user(kernel, admin, Role.AGENT)
    create = CreateCustomerHandler(kernel)

    assigned = await create(manager, CreateCustomer(name="Assigned", owner_id=agent.user_id))
    with pytest.raises(ValidationError):
        await create(manager, CreateCustomer(name="Ghost", owner_id=admin.tenant_id))

    assert assigned.owner_id == agent.user_id


async def test_an_agent_edits_its_own_customers_only(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    mine = await create(agent, CreateCustomer(name="Mine"))
    theirs = await create(admin, CreateCustomer(name="Theirs"))

    renamed = await update(agent, UpdateCustomer(customer_id=mine.id, name="Still mine"))
    with pytest.raises(PermissionDenied):
        await update(agent, UpdateCustomer(customer_id=theirs.id, name="Taken"))

    assert renamed.name == "Still mine"


async def test_a_restricted_agent_sees_only_its_own_customers(kernel: Kernel, admin: Actor) -> None:
    agent, other = await make_user(kernel, admin, Role.AGENT), await make_user(kernel, admin, Role.AGENT)
    create = CreateCustomerHandler(kernel)
    await create(agent, CreateCustomer(name="Mine"))
    theirs = await create(other, CreateCustomer(name="Theirs"))
    assert await _names(kernel, agent) == ["Mine", "Theirs"]

    await ChangeTenantSettingsHandler(kernel)(
        admin, ChangeTenantSettings(settings=TenantSettings(agents_see_only_own_customers=True))
    )

    assert await _names(kernel, agent) == ["Mine"]
    assert await _names(kernel, agent, CustomerQuery(owner_id=other.user_id)) == []
    with pytest.raises(NotFound):
        await GetCustomerHandler(kernel)(agent, theirs.id)
    assert await _names(kernel, admin) == ["Mine", "Theirs"]
    totals = [
        (await ListCustomersHandler(kernel)(actor, query, with_total=True)).total
        for actor, query in (
            (agent, CustomerQuery()),
            (agent, CustomerQuery(owner_id=other.user_id)),
            (admin, CustomerQuery()),
        )
    ]
    assert totals == [1, 0, 2]


async def test_an_archived_customer_is_hidden_from_lists_but_still_readable(
    kernel: Kernel, admin: Actor
) -> None:
    create = CreateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Kept"))
    gone = await create(admin, CreateCustomer(name="Gone"))

    archived = await ArchiveCustomerHandler(kernel)(admin, gone.id)

    assert await _names(kernel, admin) == ["Kept"]
    assert await _names(kernel, admin, CustomerQuery(archived=Archived.ONLY)) == ["Gone"]
    assert await _names(kernel, admin, CustomerQuery(archived=Archived.INCLUDE)) == ["Gone", "Kept"]
    assert (await GetCustomerHandler(kernel)(admin, gone.id)).customer == archived


async def test_an_archived_customer_is_read_only_until_restored(kernel: Kernel, admin: Actor) -> None:
    made = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Paused"))
    archive, restore = ArchiveCustomerHandler(kernel), RestoreCustomerHandler(kernel)
    await archive(admin, made.id)

    with pytest.raises(Conflict):
        await UpdateCustomerHandler(kernel)(admin, UpdateCustomer(customer_id=made.id, name="Edited"))
    with pytest.raises(Conflict):
        await archive(admin, made.id)
    restored = await restore(admin, made.id)
    with pytest.raises(Conflict):
        await restore(admin, made.id)

    assert (restored.is_archived, restored.version) == (False, 3)
    assert await _names(kernel, admin) == ["Paused"]


async def test_an_agent_cannot_archive_a_customer_it_does_not_own(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    theirs = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Theirs"))

    with pytest.raises(PermissionDenied):
        await ArchiveCustomerHandler(kernel)(agent, theirs.id)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=strategies.statuses, moves=st.lists(strategies.statuses, max_size=8))
async def test_no_sequence_of_status_changes_leaves_the_transition_table(
    start: CustomerStatus, moves: list[CustomerStatus]
) -> None:
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    change = ChangeCustomerStatusHandler(kernel)
    current = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Moving", status=start))
    reached_active = start == CustomerStatus.ACTIVE

    for target in moves:
        command = ChangeCustomerStatus(customer_id=current.id, status=target)
        if target in STATUS_TRANSITIONS[current.status]:
            moved = await change(admin, command)
            assert (moved.status, moved.version) == (target, current.version + 1)
            current = moved
            reached_active = reached_active or target == CustomerStatus.ACTIVE
        else:
            with pytest.raises(ValidationError) as raised:
                await change(admin, command)
            assert raised.value.errors[0].field == "status"

    stored = (await GetCustomerHandler(kernel)(admin, current.id)).customer
    assert stored == current
    assert (stored.activated_at is not None) is reached_active
