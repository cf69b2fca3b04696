"""Each repo's stored owners.yaml."""

from __future__ import annotations

from collections.abc import Callable

from coordination.store.base import Tx

__all__ = ["all_texts", "save", "text_of", "text_of_sent"]


def text_of(tx: Tx, repo_id: str) -> str:
    """The stored owners.yaml of the repo ("" when none was uploaded)."""
    return text_of_sent(tx, repo_id)()


def text_of_sent(tx: Tx, repo_id: str) -> Callable[[], str]:
    """`text_of`, sent now and read when called (it can share a round trip with others)."""
    pending = tx.later_rows(_text, "SELECT yaml FROM ownership WHERE repo_id = ?", (repo_id,))

    def read() -> str:
        return pending.one() or ""

    return read


def save(tx: Tx, repo_id: str, text: str, stamp: float) -> None:
    tx.execute(
        "INSERT INTO ownership (repo_id, yaml, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (repo_id) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at",
        (repo_id, text, stamp),
    )


def all_texts(tx: Tx) -> list[tuple[str, str]]:
    """(repo_id, yaml) of every repo with a stored file, by repo id."""
    return tx.rows(_repo_and_text, "SELECT repo_id, yaml FROM ownership ORDER BY repo_id")


def _text(text: str | None) -> str:
    return str(text) if text else ""


def _repo_and_text(repo_id: str, text: str | None) -> tuple[str, str]:
    return str(repo_id), _text(text)
