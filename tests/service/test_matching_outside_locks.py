"""Matching patterns against a checkout's file list (milliseconds to seconds for a fresh
glob over a large tree) happens before any repo lock is taken, so a heavy request on
one repo never stalls writers of the others (on SQLite: of every repo)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from coordination.core import files as files_module
from coordination.core.model import ClaimItem, ClaimType
from coordination.repo_files import RepoFiles
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
    assert answer.has_conflicts
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


def test_the_file_list_is_refreshed_outside_every_lock_while_claims_go_on(
    make_service: Any, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list past its TTL is listed again by a background thread: claims are answered from the
    list in hand meanwhile (none waits for git), and no repo lock is held while git runs."""
    service: ClaimService = make_service(repo_root=checkout, max_claim_ratio=1.0, ls_files_cache_ttl_sec=3600)
    service.create_claims(ClaimRequest("alex", [ClaimItem(ClaimType.FILE, "src/f1.ts")], repo_id=REPO))
    files = service.repo_files
    assert files is not None
    first = files.snapshot()
    (checkout / "src" / "new.ts").write_text("export const y = 2\n")
    subprocess.run(["git", "-C", str(checkout), "add", "src/new.ts"], check=True)
    listing, go = threading.Event(), threading.Event()
    seen: list[tuple[str, bool]] = []
    real = RepoFiles._ls_output

    def slow_git(self: RepoFiles) -> bytes:
        seen.append((threading.current_thread().name, service.books.cache(REPO).lock.locked()))
        listing.set()
        assert go.wait(30)
        return real(self)

    monkeypatch.setattr(RepoFiles, "_ls_output", slow_git)
    files._taken_at = float("-inf")  # the list is due for a refresh
    try:
        granted = service.create_claims(ClaimRequest("bob", [ClaimItem(ClaimType.FILE, "src/f2.ts")], repo_id=REPO))
        assert granted.claims
        assert listing.wait(10)  # git is listing now, and stays blocked...
        granted = service.create_claims(ClaimRequest("cy", [ClaimItem(ClaimType.FILE, "src/f3*.ts")], repo_id=REPO))
        assert granted.claims  # ...while claims are decided on the list in hand
        assert files.snapshot() is first
    finally:
        go.set()
    deadline = time.monotonic() + 30
    while "src/new.ts" not in files.snapshot() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "src/new.ts" in files.snapshot()
    assert seen == [("coord-ls-files", False)]
    # the refreshed list carried the held patterns' matches over
    assert files.snapshot().matching("src/f3*.ts") == first.matching("src/f3*.ts")
