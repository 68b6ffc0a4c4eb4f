"""A tenant's users once they exist: read, reactivated, and given a password by an admin or
by the operator recovering an account."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from lana_core.app import Lana
from lana_core.domain.audit import AuditEntry
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.sessions import SignedIn, SignIn
from lana_core.usecases.tenants import Authenticate
from lana_core.usecases.users import RecoverAccount, ResetPassword
from tests.support import FAST_HASHER, PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"
LIN = "lin@example.com"
ADMIN = "admin@acme.example.com"


@pytest.fixture
def lana(kernel: Kernel) -> Lana:
    return Lana(kernel, hasher=FAST_HASHER)


async def _sign_in(lana: Lana, email: str, password: str = PASSWORD) -> SignedIn:
    command = SignIn(tenant_slug="acme", email=email, password=password, lifetime=timedelta(days=1))
    return await lana.sign_in(command)


async def _is_live(lana: Lana, signed_in: SignedIn) -> bool:
    actor = signed_in.actor
    try:
        await lana.resolve_session(actor.tenant_id, signed_in.session.id, actor.user_id)
    except Unauthenticated:
        return False
    return True


async def _events(store: InMemoryStore, kernel: Kernel) -> list[DomainEvent]:
    return [record.event for record in await InMemoryOutboxRelayStore(store, kernel.clock).claim(1000, 60)]


def _audit_of(store: InMemoryStore, actor: Actor, user_id: UUID) -> list[AuditEntry]:
    return [e for e in store.space(actor.tenant_id).audit.get(None, []) if e.aggregate_id == user_id]


async def test_managers_read_a_user_by_id_or_email_and_agents_may_not(
    lana: Lana, admin: Actor, kernel: Kernel
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email=LIN)
    manager = await make_user(kernel, admin, Role.MANAGER)

    assert (await lana.get_user(manager, agent.user_id)).email == LIN
    assert (await lana.find_user(manager, " LIN@Example.com ")).id == agent.user_id
    with pytest.raises(PermissionDenied):
        await lana.get_user(agent, manager.user_id)
    with pytest.raises(NotFound):
        await lana.find_user(admin, "nobody@example.com")
    with pytest.raises(NotFound):
        await lana.get_user(admin, uuid4())


async def test_a_reactivated_user_signs_in_again_and_the_change_is_audited(
    lana: Lana, admin: Actor, kernel: Kernel, store: InMemoryStore
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email=LIN)
    await lana.deactivate_user(admin, agent.user_id)

    reactivated = await lana.reactivate_user(admin, agent.user_id)

    assert (reactivated.active, reactivated.version) == (True, 3)
    assert (await _sign_in(lana, LIN)).actor == agent
    (event,) = [e for e in await _events(store, kernel) if e.aggregate_id == agent.user_id][-1:]
    assert (event.type, event.actor_id, event.payload["active"]) == ("user.updated", admin.user_id, True)
    last = _audit_of(store, admin, agent.user_id)[-1]
    assert (last.action, last.actor_id) == ("user.updated", admin.user_id)
    assert [(c.field, c.old, c.new) for c in last.changes] == [("active", False, True)]


async def test_reactivation_refuses_active_users_unknown_users_and_non_admins(
    lana: Lana, admin: Actor, kernel: Kernel
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    manager = await make_user(kernel, admin, Role.MANAGER)

    with pytest.raises(Conflict, match="already active"):
        await lana.reactivate_user(admin, agent.user_id)
    await lana.deactivate_user(admin, agent.user_id)
    with pytest.raises(PermissionDenied):
        await lana.reactivate_user(manager, agent.user_id)
    with pytest.raises(NotFound):
        await lana.reactivate_user(admin, uuid4())
    assert (await lana.get_user(admin, agent.user_id)).active is False


async def test_an_admin_resets_another_users_password_and_ends_all_its_sessions(
    lana: Lana, admin: Actor, kernel: Kernel, store: InMemoryStore
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email=LIN)
    sessions = [await _sign_in(lana, LIN), await _sign_in(lana, LIN)]

    command = ResetPassword(user_id=agent.user_id, new_password=NEW_PASSWORD)
    changed = await lana.reset_password(admin, command)

    assert changed.version == 2
    assert [await _is_live(lana, s) for s in sessions] == [False, False]
    with pytest.raises(Unauthenticated):
        await _sign_in(lana, LIN)
    assert (await _sign_in(lana, LIN, NEW_PASSWORD)).actor == agent
    event = [e for e in await _events(store, kernel) if e.aggregate_id == agent.user_id][-1]
    assert (event.type, event.actor_id) == ("user.password_changed", admin.user_id)
    assert "password_hash" not in event.payload
    assert _audit_of(store, admin, agent.user_id)[-1].actor_id == admin.user_id


async def test_a_password_reset_refuses_oneself_non_admins_and_weak_passwords_changing_nothing(
    lana: Lana, admin: Actor, kernel: Kernel
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT, email=LIN)
    manager = await make_user(kernel, admin, Role.MANAGER)

    with pytest.raises(Conflict, match="your own password"):
        await lana.reset_password(admin, ResetPassword(user_id=admin.user_id, new_password=NEW_PASSWORD))
    with pytest.raises(PermissionDenied):
        await lana.reset_password(manager, ResetPassword(user_id=agent.user_id, new_password=NEW_PASSWORD))
    with pytest.raises(ValidationError) as weak:
        await lana.reset_password(admin, ResetPassword(user_id=agent.user_id, new_password="short"))
    with pytest.raises(NotFound):
        await lana.reset_password(admin, ResetPassword(user_id=uuid4(), new_password=NEW_PASSWORD))

    assert weak.value.errors[0].field == "new_password"
    assert (await lana.get_user(admin, agent.user_id)).version == 1
    await _sign_in(lana, LIN)


async def test_the_operator_recovers_an_account_by_slug_and_email_audited_with_no_actor(
    lana: Lana, admin: Actor, kernel: Kernel, store: InMemoryStore
) -> None:
    session = await _sign_in(lana, ADMIN)

    changed = await lana.recover_account(
        RecoverAccount(tenant_slug=" ACME ", email="Admin@Acme.example.com", new_password=NEW_PASSWORD)
    )

    assert changed.id == admin.user_id
    assert await _is_live(lana, session) is False
    assert (await _sign_in(lana, ADMIN, NEW_PASSWORD)).actor == admin
    event = [e for e in await _events(store, kernel) if e.aggregate_id == admin.user_id][-1]
    assert (event.type, event.actor_id, event.tenant_id) == ("user.password_changed", None, admin.tenant_id)
    last = _audit_of(store, admin, admin.user_id)[-1]
    assert (last.action, last.actor_id) == ("user.password_changed", None)


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (RecoverAccount(tenant_slug="initech", email=ADMIN, new_password=NEW_PASSWORD), "tenant 'initech'"),
        (RecoverAccount(tenant_slug="acme", email="no@x.test", new_password=NEW_PASSWORD), "'no@x.test' was"),
        (RecoverAccount(tenant_slug="acme\x00", email=ADMIN, new_password=NEW_PASSWORD), "was not found"),
        (RecoverAccount(tenant_slug="acme", email=ADMIN, new_password="short"), "new_password"),
    ],
    ids=["unknown tenant", "unknown email", "control character", "weak password"],
)
async def test_a_recovery_of_no_account_or_with_a_weak_password_changes_nothing(
    lana: Lana, admin: Actor, command: RecoverAccount, error: str
) -> None:
    with pytest.raises((NotFound, ValidationError), match=error):
        await lana.recover_account(command)

    assert (await lana.get_user(admin, admin.user_id)).version == 1
    await lana.authenticate(Authenticate(tenant_slug="acme", email=ADMIN, password=PASSWORD))
