"""Helpers for tests that need real git repositories with a local bare remote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alex Test",
    "GIT_AUTHOR_EMAIL": "alex@example.com",
    "GIT_COMMITTER_NAME": "Alex Test",
    "GIT_COMMITTER_EMAIL": "alex@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, **GIT_ENV, **(env or {})}
    proc = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}{proc.stdout}")
    return proc.stdout.strip()


def make_repo(base: Path, name: str = "app", origin: str | None = None) -> tuple[Path, Path]:
    """A work tree `base/name` with one commit on `main`, pushed to a bare remote.

    With `origin` (a URL such as `git@github.com:org/app.git`) that URL becomes
    `origin` instead and nothing is pushed.
    """
    remote = base / f"{name}-remote.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    root = base / name
    git(base, "init", "-q", "-b", "main", str(root))
    git(root, "config", "user.email", "alex@example.com")
    git(root, "config", "user.name", "Alex Test")
    git(root, "remote", "add", "origin", origin or str(remote))
    (root / "README.md").write_text("# app\n")
    (root / "src").mkdir()
    (root / "src" / "a.ts").write_text("export const a = 1;\n")
    (root / "src" / "b.ts").write_text("export const b = 1;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    if origin is None:
        git(root, "push", "-q", "-u", "origin", "main")
        git(root, "remote", "set-head", "origin", "main")
    return root, remote


def commit_change(root: Path, rel: str, text: str, message: str = "change") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(root, "add", rel)
    git(root, "commit", "-q", "-m", message)
