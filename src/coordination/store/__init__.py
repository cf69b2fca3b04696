"""Storage: SQLite or PostgreSQL behind one small interface."""

from __future__ import annotations

from coordination.config import Settings
from coordination.store.base import Store, Tx


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


__all__ = ["Store", "Tx", "open_store"]
