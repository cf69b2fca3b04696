"""Each repo's stored owners.yaml."""

from __future__ import annotations

from coordination.store.base import Tx

__all__ = ["all_texts", "save", "text_of"]


def text_of(tx: Tx, repo_id: str) -> str:
    """The stored owners.yaml of the repo ("" when none was uploaded)."""
    text = tx.scalar("SELECT yaml FROM ownership WHERE repo_id = ?", (repo_id,))
    return str(text) if text else ""


def save(tx: Tx, repo_id: str, text: str, stamp: float) -> None:
    tx.execute(
        "INSERT INTO ownership (repo_id, yaml, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (repo_id) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at",
        (repo_id, text, stamp),
    )


def all_texts(tx: Tx) -> list[tuple[str, str]]:
    """(repo_id, yaml) of every repo with a stored file, by repo id."""
    return [
        (str(r["repo_id"]), str(r["yaml"] or ""))
        for r in tx.all("SELECT repo_id, yaml FROM ownership ORDER BY repo_id")
    ]
