"""Storage: SQLite or PostgreSQL behind one small interface."""

from __future__ import annotations

from coordination.config import Settings
from coordination.store.base import Store, Tx
from coordination.store.instance_lock import InstanceLock, InstanceLockFailed


def open_store(settings: Settings) -> Store:
    if settings.database_url:
        from coordination.store.postgres import PostgresStore

        return PostgresStore(
            settings.database_url,
            busy_timeout_sec=settings.db_busy_timeout_sec,
            connect_timeout_sec=settings.db_connect_timeout_sec,
        )
    from coordination.store.sqlite import SqliteStore

    return SqliteStore(settings.resolved_database_path(), busy_timeout_sec=settings.db_busy_timeout_sec)


def instance_lock(settings: Settings) -> InstanceLock | None:
    """The SQLite store's `<db>.lock` (one coord process per file), unlocked; None for PostgreSQL
    (replicas share it by design) or when COORD_DISABLE_INSTANCE_LOCK is set."""
    if settings.uses_postgres or settings.disable_instance_lock:
        return None
    return InstanceLock(settings.resolved_database_path())


__all__ = ["InstanceLock", "InstanceLockFailed", "Store", "Tx", "instance_lock", "open_store"]
