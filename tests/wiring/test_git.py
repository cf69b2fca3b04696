from __future__ import annotations

from pathlib import Path

import pytest

from coordination.wiring import git as g
from tests.wiring.repos import commit_change, git, make_repo


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:org/app.git", "org/app"),
        ("https://github.com/org/app.git", "org/app"),
        ("https://github.com/org/app", "org/app"),
        ("ssh://git@gitlab.example.com:2222/group/sub/app.git", "group/sub/app"),
        ("https://user@bitbucket.org/team/repo.git/", "team/repo"),
        ("/srv/git/app.git", None),
        ("file:///srv/git/app.git", None),
        ("", None),
    ],
)
def test_repo_id_from_url(url: str, expected: str | None) -> None:
    assert g.repo_id_from_url(url) == expected


def test_repo_id_falls_back_to_directory_name(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path, "my-app")
    assert g.repo_id_for(root) == "my-app"
    git(root, "remote", "set-url", "origin", "git@github.com:acme/my-app.git")
    assert g.repo_id_for(root) == "acme/my-app"


def test_hooks_dir_respects_core_hooks_path(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path)
    assert g.hooks_dir(root).resolve() == (root / ".git" / "hooks").resolve()
    git(root, "config", "core.hooksPath", ".githooks")
    assert g.hooks_dir(root) == root / ".githooks"
    git(root, "config", "core.hooksPath", str(tmp_path / "abs-hooks"))
    assert g.hooks_dir(root) == tmp_path / "abs-hooks"


def test_changed_files_for_existing_and_new_branches(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path)
    base = git(root, "rev-parse", "HEAD")
    commit_change(root, "src/a.ts", "export const a = 2;\n")
    head = git(root, "rev-parse", "HEAD")
    # existing branch: diff against the remote's version
    assert g.changed_files_for_push(root, "origin", head, base) == ["src/a.ts"]
    # new branch: merge-base with origin's default branch
    git(root, "checkout", "-q", "-b", "feature")
    commit_change(root, "src/new.ts", "x\n")
    feature = git(root, "rev-parse", "HEAD")
    assert g.changed_files_for_push(root, "origin", feature, g.ZERO_SHA) == [
        "src/a.ts",
        "src/new.ts",
    ]
    # remote version unknown locally -> same fallback
    assert g.changed_files_for_push(root, "origin", feature, "1" * 40) == [
        "src/a.ts",
        "src/new.ts",
    ]


def test_changed_files_without_any_remote_branch(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path, origin="git@github.com:org/app.git")
    head = git(root, "rev-parse", "HEAD")
    assert g.changed_files_for_push(root, "origin", head, g.ZERO_SHA) == [
        "README.md",
        "src/a.ts",
        "src/b.ts",
    ]


def test_changed_files_since_base(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "topic")
    commit_change(root, "src/b.ts", "export const b = 2;\n")
    assert g.changed_files_since(root, "origin/main") == ["src/b.ts"]
    with pytest.raises(g.GitError):
        g.changed_files_since(root, "no-such-ref")


def test_tracked_and_ignored(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path)
    (root / ".gitignore").write_text("/.coordination/\n")
    assert g.is_tracked(root, "src/a.ts")
    assert not g.is_tracked(root, ".coordination/local.env")
    assert g.is_ignored(root, ".coordination/local.env")
    assert not g.is_ignored(root, "src/a.ts")
