"""The project's own pre-push hook, installed with the README's `ln -sf` line, runs `make check`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "scripts" / "git-hooks" / "pre-push"


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@example.com"), ("config", "user.name", "t")):
        git(repo, *args)
    (repo / "scripts" / "git-hooks").mkdir(parents=True)
    shutil.copy(HOOK, repo / "scripts" / "git-hooks" / "pre-push")
    git(repo, "remote", "add", "origin", str(remote))
    # The README's two lines, exactly.
    subprocess.run("ln -sf ../../scripts/git-hooks/pre-push .git/hooks/pre-push", shell=True, cwd=repo, check=True)
    subprocess.run("chmod +x .git/hooks/pre-push", shell=True, cwd=repo, check=True)
    return repo


def commit_makefile(repo: Path, recipe: str) -> None:
    (repo / "Makefile").write_text(f"check:\n\t{recipe}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "x")


def test_a_failing_make_check_blocks_the_push(checkout: Path) -> None:
    commit_makefile(checkout, "@echo checking && exit 1")
    pushed = git(checkout, "push", "-q", "origin", "main")
    assert pushed.returncode != 0
    assert "make check failed" in pushed.stderr


def test_a_passing_make_check_lets_the_push_through(checkout: Path) -> None:
    commit_makefile(checkout, "@echo checking")
    pushed = git(checkout, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr


def test_no_verify_bypasses_it(checkout: Path) -> None:
    commit_makefile(checkout, "@exit 1")
    assert git(checkout, "push", "-q", "--no-verify", "origin", "main").returncode == 0
