"""Who is who: engineer ids, agent (subagent) ids, and the one "same person" rule.

An engineer id is `person/tool/instance` (for example `alex/claude/main`). A
subagent working inside an agent session gets its parent's id plus `+<agent>`
(`alex/claude/main+a1b2`), so two subagents of one session are different
engineers: their claims block each other like anyone else's.

Two ids are the *same person* when claims of one never stop the other at the
edit gate or at push time. The server applies one rule (setting
`COORD_SAME_PERSON`), and every client uses the server's answer:

- `person` (default): ids whose first segment is equal are one person
  (`alex/cli/main` and `alex/claude/main`), except two different subagents,
  which stay apart: sibling subagents run at the same time, and that is
  exactly the case the gate exists for.
- `exact`: only an id and its own subagents are one person.

In both rules an agent and its subagents are one person: a parent sees its
children's claims as its own.
"""

from __future__ import annotations

AGENT_SEP = "+"
RULES = ("person", "exact")
MAX_AGENT_CHARS = 40


def person_of(engineer: str) -> str:
    """The person part of an engineer id (`alex/claude/main+a1` -> `alex`)."""
    return engineer.split("/", 1)[0].split(AGENT_SEP, 1)[0].strip().lower()


def parent_of(engineer: str) -> str:
    """The id without its agent suffix (`alex/claude/main+a1` -> `alex/claude/main`)."""
    return engineer.split(AGENT_SEP, 1)[0]


def agent_of(engineer: str) -> str | None:
    """The agent suffix (`alex/claude/main+a1` -> `a1`), None for a top-level id."""
    _, sep, agent = engineer.partition(AGENT_SEP)
    return agent if sep else None


def with_agent(engineer: str, agent_id: str | None) -> str:
    """`engineer` for the subagent `agent_id` (None or blank: the engineer itself).

    Characters the id grammar does not allow become `-`; the suffix is cut to
    MAX_AGENT_CHARS so the id stays within its length limit.
    """
    if agent_id is None or not str(agent_id).strip():
        return engineer
    clean = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in str(agent_id).strip())
    clean = clean.strip("-")[:MAX_AGENT_CHARS] or "agent"
    return f"{parent_of(engineer)}{AGENT_SEP}{clean}"


def same_person(a: str, b: str, rule: str = "person") -> bool:
    """Whether claims held by `b` count as `a`'s own (symmetric)."""
    if a == b:
        return True
    if parent_of(a) == parent_of(b):
        # One agent session: parent and child are one; two different children are not.
        return agent_of(a) is None or agent_of(b) is None
    if rule == "exact":
        return False
    if person_of(a) != person_of(b):
        return False
    return agent_of(a) is None or agent_of(b) is None


def rule_problem(rule: str) -> str | None:
    if rule not in RULES:
        return f"same-person rule must be one of {', '.join(RULES)}, not {rule!r}"
    return None
