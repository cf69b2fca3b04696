"""One transaction over a DB-API connection, with rows as dicts.

The service writes its SQL once with `?` placeholders; PostgreSQL's driver
wants `%s`, so the statement is translated once and cached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

Params = tuple[Any, ...] | list[Any]


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class SqlTx:
    def __init__(self, conn: Any, pyformat: bool) -> None:
        self._conn = conn
        self._pyformat = pyformat

    def execute(self, sql: str, params: Params = ()) -> Any:
        if self._pyformat:
            sql = to_pyformat(sql)
        return self._conn.execute(sql, params)

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else dict(row)

    def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.execute(sql, params).fetchall()]

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        if row is None:
            return None
        return next(iter(dict(row).values()))

    def now(self) -> datetime:
        """The store's clock, read now (inside this transaction, after any lock it took).

        PostgreSQL: the database server's `clock_timestamp()` (not `now()`, which is the
        transaction's start, before the lock), one clock for every replica. SQLite has
        no clock of its own to share: this process's clock.
        """
        if not self._pyformat:
            return datetime.now(UTC)
        return datetime.fromtimestamp(float(self.scalar("SELECT EXTRACT(EPOCH FROM clock_timestamp()) AS t")), UTC)
