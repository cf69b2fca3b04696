"""`narrowing.covers`: is a kept pattern inside the claim's pattern? Never wrongly yes."""

from __future__ import annotations

import pytest

from coordination.core import globs
from coordination.core.narrowing import covers


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("src/**", "src/auth/**"),
        ("src/**", "src/auth/login.ts"),
        ("src/**", "src/*.ts"),
        ("src/**", "src/**/*.ts"),
        ("src/**", "src/{auth,ui}/**"),
        ("src/**/*.ts", "src/auth/*.ts"),
        ("src/**/*.ts", "src/*.ts"),
        ("src/*", "src/*.py"),
        ("src/*.py", "src/test_*.py"),
        ("src/*.py", "src/a?.py"),
        ("**", "anything/at/all/**"),
        ("**/*.md", "docs/guide/*.md"),
        ("src/{auth,ui}/**", "src/ui/button/**"),
        ("src/auth/**", "src/auth/x/"),
        ("src/a**b/x", "src/ab/x"),
        ("src/auth/login.ts", "src/auth/login.ts"),
    ],
)
def test_inside(outer: str, inner: str) -> None:
    assert covers(outer, inner)


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("src/**", "lib/**"),
        ("src/**", "src"),
        ("src/**", "**"),
        ("src/*", "src/**"),
        ("src/*.ts", "src/**/*.ts"),
        ("src/*.py", "src/*"),
        ("src/*.py", "src/*.pyc"),
        ("src/auth/**", "src/{auth,ui}/**"),
        ("src/auth/login.ts", "src/auth/*.ts"),
        ("src/**/*.ts", "src/**"),
        ("src/*.py", "not valid/[a"),
    ],
)
def test_not_inside(outer: str, inner: str) -> None:
    assert not covers(outer, inner)


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("src/**", "src/auth/**"),
        ("src/*.py", "src/test_*.py"),
        ("src/**/*.ts", "src/a/*.ts"),
        ("**/*.md", "docs/*/*.md"),
        ("src/{auth,ui}/**", "src/ui/x/*"),
    ],
)
def test_a_yes_is_sound_on_witnesses(outer: str, inner: str) -> None:
    """Paths the inner pattern matches (found by the exact overlap search) match the outer one."""
    for probe in ("**", "src/**", "docs/**", "src/ui/x/y", "src/a/b.ts", "docs/z/q.md", "src/test_x.py"):
        witness = globs.overlap(inner, probe)
        if witness is not None:
            assert globs.matches(outer, witness), (outer, inner, witness)
