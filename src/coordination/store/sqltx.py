"""One transaction over a DB-API connection: rows as records (`rows`, `row`, `later_rows`),
or as dicts for the few statements read by column name (`one`, `all`; `scalar` for one value).

A record is built straight from the driver's row tuple, `make(*values)`, with the
SELECT's columns in the order of the record's fields (`coordination.store.rows`): no dict
is made on the way.

The service writes its SQL once with `?` placeholders; PostgreSQL's driver
wants `%s`, so the statement is translated once and cached.

On PostgreSQL the connection runs in pipeline mode: a statement is sent when it
is executed, and the client waits only when it reads a result. Statements whose
result nobody reads (an audit row, an UPDATE) travel with the next statement that
is read, and `later_rows()` sends several reads before waiting for the first, so a
group of independent statements costs one round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

Params = tuple[Any, ...] | list[Any]
T = TypeVar("T")


def _tuple_row(cursor: Any) -> type[tuple[Any, ...]]:
    """psycopg's row factory for plain tuples (its `tuple_row`), without importing psycopg here."""
    return tuple


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Sent(Generic[T]):
    """A statement already sent whose rows are read as records when asked for (`SqlTx.later_rows`).

    On SQLite the statement already ran and its rows were read at once, so `rows` is given:
    a cursor left open would keep its statement busy, and the next run of the same SQL
    would compile it again."""

    __slots__ = ("_cursor", "_make", "_rows")

    def __init__(self, make: Callable[..., T], cursor: Any = None, rows: list[T] | None = None) -> None:
        self._make = make
        self._cursor = cursor
        self._rows = rows

    def all(self) -> list[T]:
        if self._rows is None:
            make = self._make
            self._rows = [make(*r) for r in self._cursor.fetchall()]
        return self._rows

    def one(self) -> T | None:
        rows = self.all()
        return rows[0] if rows else None


class SqlTx:
    def __init__(self, conn: Any, pyformat: bool) -> None:
        self._conn = conn
        self._pyformat = pyformat
        self.dialect = "postgresql" if pyformat else "sqlite"

    def execute(self, sql: str, params: Params = ()) -> Any:
        if self._pyformat:
            sql = to_pyformat(sql)
        return self._conn.execute(sql, params)

    def _tuples(self, sql: str, params: Params) -> Any:
        """Run the statement on a cursor whose rows are plain tuples."""
        if self._pyformat:
            return self._conn.cursor(row_factory=_tuple_row).execute(to_pyformat(sql), params)
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    def rows(self, make: Callable[..., T], sql: str, params: Params = ()) -> list[T]:
        """Every row as `make(*values)` (a record whose fields are the SELECT's columns, in order)."""
        return [make(*r) for r in self._tuples(sql, params).fetchall()]

    def row(self, make: Callable[..., T], sql: str, params: Params = ()) -> T | None:
        """The first row as `make(*values)`, None when there is none."""
        found = self._tuples(sql, params).fetchone()
        return None if found is None else make(*found)

    def later_rows(self, make: Callable[..., T], sql: str, params: Params = ()) -> Sent[T]:
        """Send the statement now and read its rows, as `make(*values)`, later: statements sent
        one after the other and then read share one round trip on PostgreSQL (in order, each
        with its own snapshot). On SQLite it simply runs now."""
        cursor = self._tuples(sql, params)
        if self._pyformat:
            return Sent(make, cursor=cursor)
        return Sent(make, rows=[make(*r) for r in cursor.fetchall()])

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else dict(row)

    def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.execute(sql, params).fetchall()]

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self._tuples(sql, params).fetchone()
        return None if row is None else row[0]

    def now(self) -> datetime:
        """The store's clock, read now (inside this transaction, after any lock it took).

        PostgreSQL: the database server's `clock_timestamp()` (not `now()`, which is the
        transaction's start, before the lock), one clock for every replica. SQLite has
        no clock of its own to share: this process's clock.
        """
        if not self._pyformat:
            return datetime.now(UTC)
        return datetime.fromtimestamp(float(self.scalar(f"SELECT {CLOCK_SQL} AS t")), UTC)


# PostgreSQL's clock as epoch seconds, read when the statement runs (after any lock taken before it).
CLOCK_SQL = "EXTRACT(EPOCH FROM clock_timestamp())"
