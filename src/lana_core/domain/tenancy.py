"""Tenants, their users and the actor every command runs as."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from attrs import evolve, field, frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.errors import StaleVersion, ValidationError

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class Role(Choice, field="role"):
    """What a user may do in its tenant; see ``lana_core.domain.policy``."""

    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    VIEWER = "viewer"


def parse_role(value: Role | str) -> Role:
    """The role named ``value`` in any case, around white space; raises InvalidChoice (a
    ValidationError) listing the roles."""
    return Role(value.strip() if isinstance(value, str) else value)


@frozen(kw_only=True)
class TenantSettings:
    """Per-tenant switches of behaviour."""

    agents_see_only_own_customers: bool = False
    insight_max_age_seconds: int = 24 * 3600
    daily_model_call_budget: int = 1_000


@frozen(kw_only=True)
class Tenant:
    """An organisation; every other record belongs to exactly one tenant.

    ``settings_version`` counts the changes of its settings (1 at creation), so a change
    made against settings read earlier can be told from one made against the latest.
    """

    id: UUID
    slug: str
    name: str
    settings: TenantSettings
    created_at: datetime
    settings_version: int = 1

    @classmethod
    def create(cls, *, id: UUID, slug: str, name: str, now: datetime) -> Tenant:
        errors = validation.Errors()
        clean_name = validation.text(errors, "name", name, max_length=200, required=True)
        clean_slug = (slug or "").strip().lower()
        if not _SLUG.match(clean_slug):
            errors.add("slug", "invalid_slug", "1 to 63 lower-case letters, digits or inner '-'")
        errors.raise_if_any()
        assert clean_name is not None
        return cls(id=id, slug=clean_slug, name=clean_name, settings=TenantSettings(), created_at=now)

    def with_settings(self, settings: TenantSettings) -> Tenant:
        if settings.insight_max_age_seconds < 0 or settings.daily_model_call_budget < 0:
            raise ValidationError.single("settings", "negative", "limits must not be negative")
        return evolve(self, settings=settings, settings_version=self.settings_version + 1)

    def check_settings_version(self, expected: int | None) -> None:
        """Refuse a settings change made against another version than the stored one."""
        if expected is not None and expected != self.settings_version:
            raise StaleVersion(
                f"the settings of tenant {self.id} are at version {self.settings_version}, "
                f"not {expected}; reload and retry"
            )


@frozen(kw_only=True)
class User:
    """A person who signs in to a tenant. ``password_hash`` never leaves the adapters that store it."""

    id: UUID
    tenant_id: UUID
    email: str
    name: str
    role: Role
    password_hash: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        email: str,
        name: str,
        role: Role,
        password_hash: str,
        now: datetime,
    ) -> User:
        errors = validation.Errors()
        clean_email = validation.email(errors, "email", email)
        if clean_email is None and not errors.has("email"):
            errors.add("email", "required", "must not be empty")
        clean_name = validation.text(errors, "name", name, max_length=200, required=True)
        errors.raise_if_any()
        assert clean_email is not None
        assert clean_name is not None
        return cls(
            id=id,
            tenant_id=tenant_id,
            email=clean_email,
            name=clean_name,
            role=Role(role),
            password_hash=password_hash,
            active=True,
            version=1,
            created_at=now,
            updated_at=now,
        )

    def deactivate(self, now: datetime) -> User:
        return evolve(self, active=False, version=self.version + 1, updated_at=now)

    def reactivate(self, now: datetime) -> User:
        return evolve(self, active=True, version=self.version + 1, updated_at=now)

    def with_role(self, role: Role, now: datetime) -> User:
        return evolve(self, role=role, version=self.version + 1, updated_at=now)

    def with_password_hash(self, password_hash: str, now: datetime) -> User:
        return evolve(self, password_hash=password_hash, version=self.version + 1, updated_at=now)


MIN_PASSWORD_LENGTH = 12


def check_password_strength(password: str, field: str = "password") -> None:
    """Reject passwords too short to resist guessing; length beats composition rules.
    ``field`` is the name the error gives the password."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError.single(field, "too_short", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationError.single(field, "too_long", "must be at most 1024 characters")


@frozen
class Actor:
    """Who runs a command: every use case is scoped to ``tenant_id`` and judged by ``role``.

    ``session_id`` names the sign-in session the command came through, if any; it plays
    no part in what the actor may do (nor in equality). ``api_key_id`` names the API key
    the command came with, if any: the key acts for ``user_id`` (its creator, who owns what
    it creates) in the key's ``role``, and is named as the author of what it changes."""

    tenant_id: UUID
    user_id: UUID
    role: Role
    session_id: UUID | None = field(default=None, eq=False, kw_only=True)
    api_key_id: UUID | None = field(default=None, eq=False, kw_only=True)

    @property
    def author_id(self) -> UUID:
        """Who audit entries and events name: the API key when one acts, else the user."""
        return self.user_id if self.api_key_id is None else self.api_key_id


@frozen
class Operator:
    """Whoever runs Lana's command line against the store, acting in ``tenant_id`` outside
    every user account: the way back in when no admin can sign in.

    An operator is no user of the tenant, so what it changes is audited and published with
    no actor (``user_id`` and ``actor_id`` None); its authority is its access to the store,
    not a role, so only use cases made for it accept it."""

    tenant_id: UUID

    @property
    def user_id(self) -> None:
        return None

    @property
    def author_id(self) -> None:
        return None
