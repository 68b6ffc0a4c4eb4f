"""Sign-in, tenant and user bodies. No response ever carries a password or its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta

from lana_core.domain.pagination import Page
from lana_core.domain.tenancy import Actor, Role, Tenant, TenantSettings, User
from lana_http.schemas.base import Body, Out
from lana_http.schemas.fields import Email, Name, NewPassword, NonNegative, Slug

Password = Annotated[str, Meta(max_length=1024)]
Token = Annotated[str, Meta(max_length=4096)]


class LoginIn(Body):
    """``tenant`` is the tenant's slug."""

    tenant: Annotated[str, Meta(max_length=100)]
    email: Annotated[str, Meta(max_length=320)]
    password: Password


class RefreshIn(Body):
    refresh_token: Token


class LogoutIn(Body):
    refresh_token: Token | None = None


class PasswordChange(Body):
    """The new password needs 12 characters or more."""

    current_password: Password
    new_password: NewPassword


class RoleChange(Body):
    role: Role


class PasswordReset(Body):
    """Another user's new password, 12 characters or more."""

    new_password: NewPassword


class TokenOut(Out):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int


class MeOut(Out):
    user_id: UUID
    tenant_id: UUID
    role: Role

    @classmethod
    def of(cls, actor: Actor) -> MeOut:
        return cls(user_id=actor.user_id, tenant_id=actor.tenant_id, role=actor.role)


class TenantSettingsBody(Body):
    agents_see_only_own_customers: bool
    insight_max_age_seconds: NonNegative
    daily_model_call_budget: NonNegative

    def settings(self) -> TenantSettings:
        return TenantSettings(
            agents_see_only_own_customers=self.agents_see_only_own_customers,
            insight_max_age_seconds=int(self.insight_max_age_seconds),
            daily_model_call_budget=int(self.daily_model_call_budget),
        )


class TenantSettingsOut(Out):
    agents_see_only_own_customers: bool
    insight_max_age_seconds: int
    daily_model_call_budget: int

    @classmethod
    def of(cls, settings: TenantSettings) -> TenantSettingsOut:
        return cls(
            agents_see_only_own_customers=settings.agents_see_only_own_customers,
            insight_max_age_seconds=settings.insight_max_age_seconds,
            daily_model_call_budget=settings.daily_model_call_budget,
        )


class TenantOut(Out):
    """``settings_version`` is the ETag that a change of the settings names in If-Match."""

    id: UUID
    slug: str
    name: str
    settings: TenantSettingsOut
    settings_version: int
    created_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            settings=TenantSettingsOut.of(tenant.settings),
            settings_version=tenant.settings_version,
            created_at=tenant.created_at,
        )


class TenantCreate(Body):
    slug: Slug
    name: Name
    admin_email: Email
    admin_name: Name
    admin_password: NewPassword


class TenantCreated(Out):
    tenant: TenantOut
    admin_id: UUID


class UserCreate(Body):
    email: Email
    name: Name
    role: Role
    password: NewPassword


class UserOut(Out):
    id: UUID
    email: str
    name: str
    role: Role
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            version=user.version,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserPage(Out):
    items: list[UserOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[User]) -> UserPage:
        return cls(items=[UserOut.of(u) for u in page.items], next_cursor=page.next_cursor)
