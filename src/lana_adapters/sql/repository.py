"""What every repository of a unit of work holds: the unit's :class:`~lana_adapters.sql.tx.Tx`."""

from __future__ import annotations

from lana_adapters.sql.tx import Tx


class TxRepository:
    """A repository whose statements run in one unit of work, on its Tx."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
