"""Thin helpers around the `git` command line (no library dependency)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

ZERO_SHA = "0" * 40
_ZERO_RE = re.compile(r"^0+$")
GIT_TIMEOUT = 30


class GitError(RuntimeError):
    pass


def run(args: Sequence[str], cwd: Path | str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env=env,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.strip() or proc.stdout.strip()
        raise GitError(f"git {' '.join(args)} failed: {msg}")
    return proc


def out(args: Sequence[str], cwd: Path | str | None = None) -> str | None:
    """stdout of a git command, stripped; None when it fails."""
    try:
        proc = run(args, cwd=cwd, check=False)
    except GitError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def repo_root(cwd: Path | str | None = None) -> Path | None:
    top = out(["rev-parse", "--show-toplevel"], cwd=cwd)
    return Path(top).resolve() if top else None


def origin_url(root: Path) -> str | None:
    return out(["remote", "get-url", "origin"], cwd=root) or None


_SCP_RE = re.compile(r"^(?:[\w.+-]+@)?[\w.-]+:(?!//)(?P<path>.+)$")
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]+@)?[^/]+/(?P<path>.+)$", re.IGNORECASE)


def repo_id_from_url(url: str | None) -> str | None:
    """`git@github.com:org/app.git` and `https://github.com/org/app.git` -> `org/app`.

    Local paths and `file://` URLs are not repo ids: returns None for them.
    """
    if not url:
        return None
    url = url.strip()
    if url.startswith(("/", ".", "~")) or url.lower().startswith("file:"):
        return None
    match = _URL_RE.match(url) or _SCP_RE.match(url)
    if not match:
        return None
    path = match.group("path").strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    path = path.strip("/")
    if not path or "/" not in path:
        return path or None
    return path


def repo_id_for(root: Path) -> str:
    """Repo id from `git remote get-url origin`, else the directory name."""
    return repo_id_from_url(origin_url(root)) or root.name


def hooks_dir(root: Path) -> Path:
    """Where git runs hooks from: `core.hooksPath` (relative to the work tree) if set,
    else the repository's hooks directory (shared by linked worktrees)."""
    configured = out(["config", "--get", "core.hooksPath"], cwd=root)
    if configured:
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else (root / path)
    git_path = out(["rev-parse", "--git-path", "hooks"], cwd=root)
    if git_path:
        path = Path(git_path)
        return path if path.is_absolute() else (root / path)
    return root / ".git" / "hooks"


def is_tracked(root: Path, relpath: str) -> bool:
    proc = run(["ls-files", "--error-unmatch", "--", relpath], cwd=root, check=False)
    return proc.returncode == 0


def is_ignored(root: Path, relpath: str) -> bool:
    proc = run(["check-ignore", "-q", "--no-index", "--", relpath], cwd=root, check=False)
    return proc.returncode == 0


def is_zero(sha: str) -> bool:
    return bool(_ZERO_RE.match(sha))


def commit_exists(root: Path, sha: str) -> bool:
    return out(["cat-file", "-e", f"{sha}^{{commit}}"], cwd=root) is not None


def default_branch_ref(root: Path, remote: str) -> str | None:
    """`refs/remotes/<remote>/HEAD`'s target, else `<remote>/main` or `<remote>/master`."""
    target = out(["symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD"], cwd=root)
    if target:
        return target
    for name in ("main", "master", "trunk", "develop"):
        ref = f"refs/remotes/{remote}/{name}"
        if out(["rev-parse", "-q", "--verify", ref], cwd=root):
            return ref
    return None


def _names(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def diff_names(root: Path, base: str, head: str) -> list[str]:
    """Files changed between two commits (both sides of renames)."""
    text = out(["diff", "--name-only", "--no-renames", base, head, "--"], cwd=root)
    if text is None:
        raise GitError(f"cannot diff {base}..{head}")
    return _names(text)


def files_of_commits(root: Path, head: str, exclude: Iterable[str] = ()) -> list[str]:
    """Every file touched by the commits reachable from `head` but not from `exclude`."""
    args = ["log", "--format=", "--name-only", "--no-renames", head]
    excl = list(exclude)
    if excl:
        args += ["--not", *excl]
    return sorted(set(_names(out(args, cwd=root))))


def changed_files_for_push(root: Path, remote: str, local_sha: str, remote_sha: str) -> list[str]:
    """Files a push of `local_sha` over `remote_sha` changes on the remote.

    Existing branch: diff against the remote's version. New branch (or remote
    version not available locally): diff against the merge-base with the remote's
    default branch, else every file of the commits the remote does not have yet.
    """
    if not is_zero(remote_sha) and commit_exists(root, remote_sha):
        return diff_names(root, remote_sha, local_sha)
    default_ref = default_branch_ref(root, remote)
    if default_ref:
        base = out(["merge-base", default_ref, local_sha], cwd=root)
        if base:
            return diff_names(root, base, local_sha)
    return files_of_commits(root, local_sha, exclude=[f"--remotes={remote}"])


def changed_files_since(root: Path, base_ref: str, head: str = "HEAD") -> list[str]:
    """Files changed on `head` since it forked from `base_ref` (merge-base diff)."""
    base = out(["merge-base", base_ref, head], cwd=root)
    if not base:
        raise GitError(f"no merge base between {base_ref} and {head} (is {base_ref} fetched?)")
    return diff_names(root, base, head)


def current_branch(root: Path) -> str | None:
    name = out(["rev-parse", "--abbrev-ref", "HEAD"], cwd=root)
    return name if name and name != "HEAD" else None
