"""Names of the tenant's users, for the pages that show who owns or is assigned to what."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from attrs import frozen

from lana_core.app import Lana
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_http.web.context import Viewer


@frozen(kw_only=True)
class People:
    """The users a page may name: every active user for an admin (the only role that may
    list users), the viewer alone for anyone else."""

    names: Mapping[UUID, str]

    def name(self, user_id: UUID | None) -> str:
        if user_id is None:
            return "—"
        return self.names.get(user_id, "another user")

    def by(self, user_id: UUID | None, api_key: ApiKeyRef | None) -> str:
        """Who wrote a record: the API key it was written with, if any (what a reader needs
        to tell an integration's work from a person's), else the user."""
        if api_key is not None:
            return f"{api_key.name} (API key)"
        return self.name(user_id)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return sorted(((str(user_id), name) for user_id, name in self.names.items()), key=lambda c: c[1])


async def people(lana: Lana, viewer: Viewer) -> People:
    me = viewer.actor.user_id
    if not viewer.is_admin:
        return People(names={me: f"Me ({viewer.session.email})"})
    users = await lana.list_users(viewer.actor, PageRequest(limit=MAX_LIMIT))
    names = {
        user.id: ("Me" if user.id == me else user.name) + f" ({user.email})"
        for user in users.items
        if user.active
    }
    return People(names=names)
