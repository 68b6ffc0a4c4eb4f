"""One unit of work's connection: runs statements in the tenant's transaction, translating errors.

Both databases give each statement the newest committed data, as PostgreSQL's READ
COMMITTED does: version checks and unique keys are decided by the write statements
themselves. SQLite reads in a deferred transaction; the first write ends it (nothing is
written yet) and begins again holding the write lock, so a writer that committed
meanwhile is seen instead of failing the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias
from uuid import UUID

from attrs import frozen
from sqlalchemy import Executable, Row, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.engine import BEGIN_IMMEDIATE
from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_core.errors import Unavailable

# One round trip scopes a PostgreSQL transaction: the tenant row-level security checks and
# the role it runs as. Both are local to the transaction, so a pooled connection keeps neither.
_SCOPE = text("SELECT set_config('app.tenant_id', :tenant, true), set_config('role', :role, true)")
_SCOPE_TENANT_ONLY = text("SELECT set_config('app.tenant_id', :tenant, true)")

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


@frozen
class Features:
    """What the connected database offers, learnt once per engine."""

    postgres: bool
    fts: bool


class Tx:
    """Statements of one tenant's unit of work; a transaction begins (and is scoped) lazily."""

    __slots__ = ("_conn", "_role", "_writing", "features", "tenant_id")

    def __init__(self, conn: AsyncConnection, tenant_id: UUID, features: Features, role: str | None) -> None:
        self._conn = conn
        self._role = role
        self._writing = False
        self.features = features
        self.tenant_id = tenant_id

    @property
    def postgres(self) -> bool:
        return self.features.postgres

    async def execute(self, statement: Executable, params: Params = None) -> CursorResult[Any]:
        """Run ``statement``; raises the core error matching any driver failure."""
        try:
            if not self._writing and not self.features.postgres and getattr(statement, "is_dml", False):
                await self._take_write_lock()
            if not self._conn.in_transaction():
                await self._begin()
            return await self._conn.execute(statement, params)
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[AnyRow]:
        return (await self.execute(statement, params)).all()

    async def first(self, statement: Executable, params: Mapping[str, Any] | None = None) -> AnyRow | None:
        return (await self.execute(statement, params)).first()

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    async def commit(self) -> None:
        """Make the transaction durable; raises Conflict or Unavailable as the driver reports."""
        self._writing = False
        try:
            await self._conn.commit()
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def rollback(self) -> None:
        self._writing = False
        try:
            await self._conn.rollback()
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def _take_write_lock(self) -> None:
        if self._conn.in_transaction():
            await self._conn.rollback()  # only reads so far: nothing is lost
        self._conn.info[BEGIN_IMMEDIATE] = True
        self._writing = True

    async def _begin(self) -> None:
        await self._conn.begin()
        if self.features.postgres:
            await self._scope()

    async def _scope(self) -> None:
        tenant = str(self.tenant_id)
        try:
            if self._role is None:
                await self._conn.execute(_SCOPE_TENANT_ONLY, {"tenant": tenant})
            else:
                await self._conn.execute(_SCOPE, {"tenant": tenant, "role": self._role})
        except DRIVER_ERRORS as error:
            if translate(error).code == Unavailable.code:
                raise
            raise Unavailable(f"cannot run as role {self._role!r}; has the schema been migrated?") from error
