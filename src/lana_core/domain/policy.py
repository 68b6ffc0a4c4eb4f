"""The permission policy: one function decides every action of every role.

| role    | read                         | create                      | update / delete             |
|---------|------------------------------|-----------------------------|-----------------------------|
| viewer  | everything*                  | nothing                     | nothing                     |
| agent   | everything* (own customers   | customers; projects, tasks  | customers, projects, tasks  |
|         | only when the tenant says so)| and interactions on records | and interactions it owns or |
|         |                              | it owns; analytics events;  | is assigned to              |
|         |                              | insights                    |                             |
| manager | everything*                  | everything but users and    | everything but users and    |
|         |                              | settings                    | settings                    |
| admin   | everything                   | everything                  | everything                  |

(*) settings, API keys and webhook subscriptions are read by admins only, users by admins
and managers (who assign work, so they look up who to assign it to); agents and viewers
read neither. Insights are generated
(CREATE) by agents and up.
"""

from __future__ import annotations

from lana_core.domain.choices import Choice
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import PermissionDenied


class Action(Choice, field="action"):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Resource(Choice, field="resource"):
    CUSTOMER = "customer"
    PROJECT = "project"
    TASK = "task"
    INTERACTION = "interaction"
    INSIGHT = "insight"
    ANALYTICS = "analytics"
    USER = "user"
    SETTINGS = "settings"
    API_KEY = "api_key"
    WEBHOOK = "webhook"


_ADMIN_ONLY = frozenset({Resource.USER, Resource.SETTINGS, Resource.API_KEY, Resource.WEBHOOK})
# Of those, what managers may read all the same.
_MANAGERS_READ = frozenset({Resource.USER})


def is_allowed(
    actor: Actor,
    action: Action,
    resource: Resource,
    *,
    owned: bool,
    settings: TenantSettings,
) -> bool:
    """Whether ``actor`` may do ``action`` on ``resource``.

    ``owned`` says whether the actor owns or is assigned to the record (for a create,
    the record it hangs under: the customer of a new project).
    """
    if actor.role is Role.ADMIN:
        return True
    if resource in _ADMIN_ONLY:
        return action is Action.READ and resource in _MANAGERS_READ and actor.role is Role.MANAGER
    if action is Action.READ:
        return _may_read(actor.role, resource, owned=owned, settings=settings)
    if actor.role is Role.MANAGER:
        return True
    if actor.role is Role.AGENT:
        return _agent_may_write(action, resource, owned=owned)
    return False


def settings_matter_for(actor: Actor) -> bool:
    """Whether any of :func:`is_allowed`'s answers for ``actor`` can depend on the tenant's
    settings: only an agent's reads can be restricted by them."""
    return actor.role is Role.AGENT


def depends_on_settings(actor: Actor, action: Action, resource: Resource) -> bool:
    """Whether the tenant's settings can change :func:`is_allowed`'s answer for ``actor``
    doing ``action`` on ``resource``; when they cannot, any settings give the same answer
    and a caller may decide without loading them."""
    return (
        settings_matter_for(actor)
        and action is Action.READ
        and resource not in _ADMIN_ONLY
        and resource is not Resource.ANALYTICS
    )


def authorize(
    actor: Actor,
    action: Action,
    resource: Resource,
    *,
    owned: bool = False,
    settings: TenantSettings,
) -> None:
    """Raise :class:`PermissionDenied` unless :func:`is_allowed`."""
    if not is_allowed(actor, action, resource, owned=owned, settings=settings):
        raise PermissionDenied(f"role {actor.role} may not {action} this {resource}")


def _may_read(role: Role, resource: Resource, *, owned: bool, settings: TenantSettings) -> bool:
    restricted = role is Role.AGENT and settings.agents_see_only_own_customers
    if restricted and resource is not Resource.ANALYTICS:
        return owned
    return True


def _agent_may_write(action: Action, resource: Resource, *, owned: bool) -> bool:
    if action is Action.CREATE and resource in (Resource.CUSTOMER, Resource.ANALYTICS):
        return True
    if action is Action.CREATE and resource is Resource.INSIGHT:
        return True
    if resource is Resource.ANALYTICS or resource is Resource.INSIGHT:
        return False
    return owned
