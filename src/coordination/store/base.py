"""The storage interface: a transaction that runs the same SQL on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Store(Protocol):
    """What the service needs from a database.

    `write(repo_id)` is the only way to change claims: it serialises every
    writer of that repo (all processes, all replicas) for the length of the
    transaction, so check-then-insert is atomic. `write(None)` is a plain
    write transaction for rows outside any repo (sessions).

    Faults (database locked, unreachable, full, read-only, corrupted, its file
    deleted or replaced) raise `Unavailable` with the reason, within the
    request's wait budget (`coordination.store.waits`), never a bare driver error.
    """

    dialect: str
    # True when every replica reads one clock through `Tx.now()` (PostgreSQL's);
    # False when each process reads its own (SQLite).
    shared_clock: bool

    def migrate(self) -> None: ...
    def schema_revision(self) -> str | None: ...
    def write(self, repo_id: str | None) -> AbstractContextManager[Tx]: ...
    def read(self) -> AbstractContextManager[Tx]: ...
    def close(self) -> None: ...

    def verify(self) -> None:
        """At start-up: raise `Unavailable` if the database is damaged (SQLite: a quick page check)."""
        ...

    def health(self) -> str | None:
        """None when writes can go through now, else the reason they cannot (for /readyz)."""
        ...

    def watch(self, check: Callable[[], str | None]) -> None:
        """Refuse transactions (503 with the reason) while `check()` names a problem."""
        ...

    def listen(self, channel: str, on_message: Callable[[str], None]) -> None:
        """Call `on_message(payload)`, in a background thread, for every announcement on the
        channel (`coordination.store.queue.announce`) by any process. Best effort: a message
        can be lost (the listening connection dropped), so callers keep a fallback. A store
        without announcements (SQLite) never calls it."""
        ...


class SentRows(Protocol[T]):
    """A statement already sent; its rows are read, as records, when asked for."""

    def all(self) -> list[T]: ...
    def one(self) -> T | None: ...


class Tx(Protocol):
    # "sqlite" or "postgresql": store modules pick a dialect's form of a statement by it.
    dialect: str

    # Rows as records: `make(*values)`, the SELECT's columns in the order of the record's fields.
    def rows(self, make: Callable[..., T], sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[T]: ...
    def row(self, make: Callable[..., T], sql: str, params: tuple[Any, ...] | list[Any] = ()) -> T | None: ...
    def later_rows(self, make: Callable[..., T], sql: str, params: tuple[Any, ...] | list[Any] = ()) -> SentRows[T]: ...
    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any: ...
    # Rows as dicts by column name (`scalar`: the first column of the first row).
    def one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None: ...
    def all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]: ...
    def scalar(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any: ...
    def now(self) -> datetime: ...
