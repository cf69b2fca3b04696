"""The one same-person rule, and subagent ids."""

from __future__ import annotations

import pytest

from coordination.core import identity


def test_subagent_ids() -> None:
    assert identity.with_agent("alex/claude/main", "a1b2") == "alex/claude/main+a1b2"
    assert identity.with_agent("alex/claude/main", None) == "alex/claude/main"
    assert identity.with_agent("alex/claude/main+old", "new") == "alex/claude/main+new"
    assert identity.with_agent("alex/claude/main", "a b/c!") == "alex/claude/main+a-b-c"
    assert len(identity.with_agent("a/b/c", "x" * 500)) == len("a/b/c+") + identity.MAX_AGENT_CHARS
    assert identity.parent_of("alex/claude/main+a1") == "alex/claude/main"
    assert identity.agent_of("alex/claude/main") is None
    assert identity.person_of("Alex/claude/main+a1") == "alex"


@pytest.mark.parametrize(
    ("a", "b", "person", "exact"),
    [
        ("alex/claude/main", "alex/claude/main", True, True),
        ("alex/cli/main", "alex/claude/main", True, False),  # one person, two tools
        ("alex/claude/main", "alex/claude/main+a1", True, True),  # parent and child
        ("alex/claude/main+a1", "alex/claude/main+a2", False, False),  # siblings block each other
        ("alex/cli/main", "alex/claude/main+a1", True, False),
        ("alex/codex/main+b1", "alex/claude/main+a1", False, False),
        ("alex/claude/main", "bob/claude/main", False, False),
        ("alex/claude/main", "bob/claude/main+a1", False, False),
    ],
)
def test_same_person(a: str, b: str, person: bool, exact: bool) -> None:
    assert identity.same_person(a, b, "person") is person
    assert identity.same_person(b, a, "person") is person
    assert identity.same_person(a, b, "exact") is exact


def test_rule_names() -> None:
    assert identity.rule_problem("person") is None
    assert "exact" in (identity.rule_problem("loose") or "")
