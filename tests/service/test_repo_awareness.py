"""COORD_REPO_ROOT, COORD_REPO_SCOPE and the git ls-files cache, through the service."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Invalid
from coordination.repo_files import RepoFiles
from coordination.service import ClaimRequest, ClaimService


def git_repo(root: Path, files: list[str]) -> Path:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"// {rel}\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    return root


def claim(service: ClaimService, engineer: str, *patterns: str) -> list[dict]:
    items = [ClaimItem(ClaimType.FILE, p) for p in patterns]
    return service.create_claims(ClaimRequest(engineer=engineer, items=items, repo_id="org/mono")).claims


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    web = [f"apps/web/src/c{i}.tsx" for i in range(10)] + ["apps/web/src/app.ts"]
    api = [f"apps/api/h{i}.go" for i in range(30)]
    return git_repo(tmp_path / "mono", web + api)


def test_tracked_files_decide_and_untracked_fall_back_to_globs(make_service, mono: Path) -> None:
    service = make_service(repo_root=mono, max_claim_ratio=1.0)
    claim(service, "alex/claude/1", "apps/web/src/*.tsx")
    # The globs overlap in theory (apps/web/src/app.tsx would match both) but share no tracked file.
    claim(service, "bob/codex/1", "apps/web/src/app.*")
    # A file that does not exist yet is judged by the patterns alone.
    with pytest.raises(Conflict):
        claim(service, "bob/codex/1", "apps/web/src/new.tsx")


def test_size_limits_count_tracked_files(make_service, mono: Path) -> None:
    service = make_service(repo_root=mono, max_claim_files=20)
    with pytest.raises(Invalid, match="30 tracked files"):
        claim(service, "alex/claude/1", "apps/api/**")
    with pytest.raises(Invalid, match="of the repo"):
        claim(service, "alex/claude/1", "apps/web/**")  # 11 of 41 files, over 20%


def test_scope_mode_restricts_files_and_skips_the_ratio(make_service, mono: Path) -> None:
    service = make_service(repo_root=mono, repo_scope="apps/web", max_claim_files=20)
    assert len(service.repo_files.snapshot()) == 11  # only apps/web is listed
    claim(service, "alex/claude/1", "apps/web/**")  # 100% of the scope: the ratio is not applied
    claim(service, "bob/codex/1", "apps/api/**")  # outside the scope: no tracked files, no count


def test_ls_files_snapshot_is_cached_for_its_ttl(mono: Path) -> None:
    cached = RepoFiles(mono, None, ttl_sec=3600)
    fresh = RepoFiles(mono, None, ttl_sec=0)
    before = len(cached.snapshot())
    assert len(fresh.snapshot()) == before
    git_repo(mono, ["apps/web/src/added.ts"])
    assert len(cached.snapshot()) == before
    assert len(fresh.snapshot()) == before + 1


def test_reading_sources_stays_inside_the_checkout(mono: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.ts").write_text("export const key = 1;\n")
    files = RepoFiles(mono, None, ttl_sec=0)
    assert files.read("apps/web/src/app.ts") is not None
    assert files.read("../secret.ts") is None
    (mono / "link.ts").symlink_to(tmp_path / "secret.ts")
    assert files.read("link.ts") is None
