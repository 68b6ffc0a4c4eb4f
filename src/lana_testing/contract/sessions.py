"""Sign-in sessions on every adapter: what a session acts as follows the stored user and
session on the next call, renewals rotate the refresh id once, and a replayed one revokes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, Unauthenticated
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.sessions import RenewSession, SignedIn, SignIn
from lana_core.usecases.tenants import ChangePassword
from lana_core.usecases.users import RecoverAccount, ResetPassword
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import FAST_HASHER, PASSWORD, make_tenant, make_user

LIFETIME = timedelta(days=14)
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def lana(kernel: Kernel) -> Lana:
    return Lana(kernel, hasher=FAST_HASHER)


async def _sign_in(lana: Lana, slug: str, email: str, password: str = PASSWORD) -> SignedIn:
    return await lana.sign_in(SignIn(tenant_slug=slug, email=email, password=password, lifetime=LIFETIME))


async def _admin_session(lana: Lana, slug: str = "acme") -> SignedIn:
    return await _sign_in(lana, slug, f"admin@{slug}.example.com")


async def _user_session(
    lana: Lana, admin: Actor, role: Role, email: str | None = None
) -> tuple[Actor, SignedIn]:
    email = email or f"{role.value}-{uuid4().hex[:8]}@example.com"
    user = await make_user(lana.kernel, admin, role, email=email)
    return user, await _sign_in(lana, "acme", email)


def _renewal(signed: SignedIn) -> RenewSession:
    session = signed.session
    return RenewSession(
        tenant_id=session.tenant_id, session_id=session.id, refresh_id=session.refresh_id, lifetime=LIFETIME
    )


async def _acts_as(lana: Lana, signed: SignedIn) -> Actor:
    actor = signed.actor
    assert actor.session_id is not None
    return await lana.resolve_session(actor.tenant_id, actor.session_id, actor.user_id)


async def test_a_session_acts_as_its_user_with_the_stored_role(lana: Lana, admin: Actor) -> None:
    signed = await _admin_session(lana)

    acting = await _acts_as(lana, signed)

    assert acting == admin
    assert acting.session_id == signed.session.id


async def test_a_session_acts_only_for_its_own_user_and_tenant(lana: Lana, admin: Actor) -> None:
    signed = await _admin_session(lana)
    other = await make_tenant(lana.kernel, "globex")
    session_id = signed.session.id

    for tenant_id, user_id in [(other.tenant_id, admin.user_id), (admin.tenant_id, uuid4())]:
        with pytest.raises(Unauthenticated):
            await lana.resolve_session(tenant_id, session_id, user_id)
    with pytest.raises(Unauthenticated):
        await lana.resolve_session(admin.tenant_id, uuid4(), admin.user_id)


async def test_a_renewal_rotates_the_refresh_id_once(lana: Lana, admin: Actor) -> None:
    first = await _admin_session(lana)

    second = await lana.renew_session(_renewal(first))
    third = await lana.renew_session(_renewal(second))

    assert len({first.session.refresh_id, second.session.refresh_id, third.session.refresh_id}) == 3
    assert third.session.id == first.session.id
    assert (await _acts_as(lana, third)) == admin


async def test_a_replaced_refresh_id_presented_again_revokes_the_session(lana: Lana, admin: Actor) -> None:
    first = await _admin_session(lana)
    second = await lana.renew_session(_renewal(first))

    with pytest.raises(Unauthenticated, match="already used"):
        await lana.renew_session(_renewal(first))

    with pytest.raises(Unauthenticated):
        await _acts_as(lana, second)
    with pytest.raises(Unauthenticated):
        await lana.renew_session(_renewal(second))


async def test_of_concurrent_renewals_of_one_refresh_id_at_most_one_succeeds(
    lana: Lana, admin: Actor
) -> None:
    signed = await _admin_session(lana)

    outcomes = await asyncio.gather(
        *(lana.renew_session(_renewal(signed)) for _ in range(5)), return_exceptions=True
    )

    renewed = [o for o in outcomes if isinstance(o, SignedIn)]
    assert len(renewed) <= 1
    assert all(isinstance(o, (SignedIn, Unauthenticated, Conflict)) for o in outcomes), outcomes
    # Whoever lost revoked the session: a replay means a copy of the token is in other hands.
    with pytest.raises(Unauthenticated):
        await _acts_as(lana, signed)


async def test_an_expired_session_cannot_be_renewed(lana: Lana, admin: Actor, clock: ManualClock) -> None:
    signed = await _admin_session(lana)
    clock.advance(LIFETIME + timedelta(seconds=1))

    with pytest.raises(Unauthenticated, match="ended"):
        await lana.renew_session(_renewal(signed))


async def test_signing_out_ends_the_session_and_unknown_sessions_are_ignored(
    lana: Lana, admin: Actor
) -> None:
    signed = await _admin_session(lana)
    other = await _admin_session(lana)

    await lana.end_session(admin.tenant_id, uuid4())
    await lana.end_session(admin.tenant_id, signed.session.id)

    with pytest.raises(Unauthenticated):
        await _acts_as(lana, signed)
    with pytest.raises(Unauthenticated):
        await lana.renew_session(_renewal(signed))
    assert (await _acts_as(lana, other)) == admin


async def test_a_deactivated_users_sessions_end_on_the_next_call(lana: Lana, admin: Actor) -> None:
    user, signed = await _user_session(lana, admin, Role.AGENT)
    assert (await _acts_as(lana, signed)) == user

    await lana.deactivate_user(admin, user.user_id)

    with pytest.raises(Unauthenticated):
        await _acts_as(lana, signed)
    with pytest.raises(Unauthenticated):
        await lana.renew_session(_renewal(signed))


async def test_a_new_role_applies_on_the_next_call(lana: Lana, admin: Actor) -> None:
    user, signed = await _user_session(lana, admin, Role.AGENT)

    await lana.change_user_role(admin, user.user_id, "MANAGER")

    assert (await _acts_as(lana, signed)).role is Role.MANAGER
    assert (await lana.renew_session(_renewal(signed))).actor.role is Role.MANAGER


async def test_no_one_changes_their_own_role(lana: Lana, admin: Actor) -> None:
    with pytest.raises(Conflict):
        await lana.change_user_role(admin, admin.user_id, Role.VIEWER)


async def test_a_password_change_ends_every_other_session(lana: Lana, admin: Actor) -> None:
    email = "agent@example.com"
    user, current = await _user_session(lana, admin, Role.AGENT, email)
    elsewhere = await _sign_in(lana, "acme", email)

    await lana.change_password(
        await _acts_as(lana, current), ChangePassword(current_password=PASSWORD, new_password=NEW_PASSWORD)
    )

    assert (await _acts_as(lana, current)) == user
    with pytest.raises(Unauthenticated):
        await _acts_as(lana, elsewhere)
    with pytest.raises(Unauthenticated):
        await _sign_in(lana, "acme", email)
    await _sign_in(lana, "acme", email, NEW_PASSWORD)


async def test_a_password_change_needs_the_current_password(lana: Lana, admin: Actor) -> None:
    signed = await _admin_session(lana)

    with pytest.raises(Unauthenticated):
        await lana.change_password(
            await _acts_as(lana, signed), ChangePassword(current_password="wrong", new_password=NEW_PASSWORD)
        )

    await _admin_session(lana)  # the old password still works


async def test_a_password_reset_by_an_admin_or_the_operator_ends_every_session_of_the_user(
    lana: Lana, admin: Actor
) -> None:
    email = "agent@example.com"
    user, first = await _user_session(lana, admin, Role.AGENT, email)
    second = await _sign_in(lana, "acme", email)

    await lana.reset_password(admin, ResetPassword(user_id=user.user_id, new_password=NEW_PASSWORD))

    for ended in (first, second):
        with pytest.raises(Unauthenticated):
            await _acts_as(lana, ended)
    third = await _sign_in(lana, "acme", email, NEW_PASSWORD)
    recovery = RecoverAccount(tenant_slug="acme", email=email, new_password="a third long passphrase")
    await lana.recover_account(recovery)
    with pytest.raises(Unauthenticated):
        await _acts_as(lana, third)
    assert (await _sign_in(lana, "acme", email, recovery.new_password)).actor == user


async def test_a_reactivated_user_signs_in_anew_while_its_old_sessions_stay_ended(
    lana: Lana, admin: Actor
) -> None:
    email = "agent@example.com"
    user, signed = await _user_session(lana, admin, Role.AGENT, email)
    await lana.deactivate_user(admin, user.user_id)

    await lana.reactivate_user(admin, user.user_id)

    with pytest.raises(Unauthenticated):
        await _acts_as(lana, signed)
    assert (await _acts_as(lana, await _sign_in(lana, "acme", email))) == user


async def test_a_sign_in_forgets_the_users_ended_sessions(
    lana: Lana, admin: Actor, clock: ManualClock
) -> None:
    expired, revoked = await _admin_session(lana), await _admin_session(lana)
    await lana.end_session(admin.tenant_id, revoked.session.id)
    clock.advance(timedelta(days=10))
    live = await _admin_session(lana)
    clock.advance(timedelta(days=5))  # the first two have ended now, the third has not

    await _admin_session(lana)

    async with lana.kernel.uow(admin.tenant_id) as uow:
        assert await uow.sessions.get(expired.session.id) is None
        assert await uow.sessions.get(revoked.session.id) is None
        assert await uow.sessions.get(live.session.id) == live.session


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "lana",
    "test_a_session_acts_as_its_user_with_the_stored_role",
    "test_a_session_acts_only_for_its_own_user_and_tenant",
    "test_a_renewal_rotates_the_refresh_id_once",
    "test_a_replaced_refresh_id_presented_again_revokes_the_session",
    "test_of_concurrent_renewals_of_one_refresh_id_at_most_one_succeeds",
    "test_an_expired_session_cannot_be_renewed",
    "test_signing_out_ends_the_session_and_unknown_sessions_are_ignored",
    "test_a_deactivated_users_sessions_end_on_the_next_call",
    "test_a_new_role_applies_on_the_next_call",
    "test_no_one_changes_their_own_role",
    "test_a_password_change_ends_every_other_session",
    "test_a_password_change_needs_the_current_password",
    "test_a_password_reset_by_an_admin_or_the_operator_ends_every_session_of_the_user",
    "test_a_reactivated_user_signs_in_anew_while_its_old_sessions_stay_ended",
    "test_a_sign_in_forgets_the_users_ended_sessions",
]
