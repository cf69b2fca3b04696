"""Matching patterns against a checkout's file list (milliseconds to seconds for a fresh
glob over a large tree) happens before any repo lock is taken, so a heavy request on
one repo never stalls writers of the others (on SQLite: of every repo)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from coordination.core import files as files_module
from coordination.core.model import ClaimItem, ClaimType
from coordination.service import ClaimRequest, ClaimService

REPO = "big/repo"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    for i in range(30):
        (root / "src" / f"f{i}.ts").write_text("export const x = 1\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def _record_lock_state(monkeypatch: pytest.MonkeyPatch, service: ClaimService) -> list[tuple[str, bool]]:
    seen: list[tuple[str, bool]] = []
    real = files_module.FileSet._match

    def recording(self: files_module.FileSet, pattern: str) -> Any:
        seen.append((pattern, service.books.cache(REPO).lock.locked()))
        return real(self, pattern)

    monkeypatch.setattr(files_module.FileSet, "_match", recording)
    return seen


def test_conflict_checks_match_the_file_list_outside_the_repo_lock(
    make_service: Any, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service: ClaimService = make_service(repo_root=checkout, max_claim_ratio=1.0)
    service.create_claims(ClaimRequest("alex", [ClaimItem(ClaimType.FILE, "src/f1*.ts")], repo_id=REPO))
    service.repo_files._snapshot = None  # type: ignore[union-attr]  # a refreshed list: nothing cached
    seen = _record_lock_state(monkeypatch, service)
    answer = service.check_conflicts(REPO, "bob", [f"src/f{i}?.ts" for i in range(3)])
    assert answer["has_conflicts"]
    assert {p for p, _ in seen} >= {"src/f1*.ts", "src/f0?.ts", "src/f1?.ts", "src/f2?.ts"}
    assert not [p for p, locked in seen if locked], seen


def test_claims_match_new_and_held_patterns_before_taking_the_write_lock(
    make_service: Any, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service: ClaimService = make_service(repo_root=checkout, max_claim_ratio=1.0)
    service.create_claims(ClaimRequest("alex", [ClaimItem(ClaimType.FILE, "src/f1*.ts")], repo_id=REPO))
    service.repo_files._snapshot = None  # type: ignore[union-attr]
    seen = _record_lock_state(monkeypatch, service)
    result = service.create_claims(ClaimRequest("bob", [ClaimItem(ClaimType.FILE, "src/f2*.ts")], repo_id=REPO))
    assert result.claims
    assert {p for p, _ in seen} >= {"src/f1*.ts", "src/f2*.ts"}
    assert not [p for p, locked in seen if locked], seen
