"""Scope validation: every reason a requested item is refused before any decision."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coordination.core import globs, limits, symbols
from coordination.core.control_chars import control_problem
from coordination.core.files import FileSet
from coordination.core.model import ClaimItem, ClaimType

_ENGINEER = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._@+\-/]{{0,{limits.MAX_ENGINEER_LENGTH - 1}}}$")
_REPO_ID = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._\-/]{{0,{limits.MAX_REPO_ID_LENGTH - 1}}}$")
_SESSION_ID = re.compile(rf"^[A-Za-z0-9_\-]{{1,{limits.MAX_SESSION_ID_LENGTH}}}$")


@dataclass(frozen=True, slots=True)
class Limits:
    max_claim_files: int = 100
    max_claim_ratio: float = 0.2
    enforce_ratio: bool = True
    max_ttl_hours: float = limits.DEFAULT_MAX_TTL_HOURS
    max_items: int = limits.MAX_ITEMS


def item_problem(item: ClaimItem, files: FileSet | None, limits: Limits) -> str | None:
    """Why `item` cannot be claimed, or None. `files` is the tracked-file snapshot."""
    reason = control_problem("pattern", item.pattern)
    if reason:
        return reason
    for symbol in item.symbols:
        reason = control_problem("symbols", symbol)
        if reason:
            return reason
    reason = globs.validate(item.pattern)
    if reason:
        return f"invalid pattern {item.pattern!r}: {reason}{_literal_hint(item.pattern)}"
    if item.type is ClaimType.MODULE:
        # A module means its subtree (`dir/**`): that pattern must be within the limits too.
        reason = globs.validate(globs.module_pattern(item.pattern))
        if reason:
            return f"invalid module {item.pattern!r}: {reason}"
    if item.symbols:
        reason = _symbols_problem(item)
        if reason:
            return reason
    if files is not None:
        return _size_problem(item, files, limits)
    return None


def _literal_hint(pattern: str) -> str:
    """How to name the path instead, when the pattern is a valid path with glob characters."""
    if globs.is_literal(pattern) or globs.validate(globs.escape(pattern)) is not None:
        return ""
    return (
        f"; to claim a path whose name holds glob characters, escape them ({globs.escape(pattern)}) "
        "or send the item with literal: true"
    )


def _symbols_problem(item: ClaimItem) -> str | None:
    if item.type is not ClaimType.FILE:
        return f"symbols are only allowed on 'file' claims, not {item.type.value!r}"
    if not globs.is_literal(item.pattern):
        return f"symbols need a single file path, not the glob {item.pattern!r}"
    if len(item.symbols) > symbols.MAX_SYMBOLS_PER_CLAIM:
        return f"at most {symbols.MAX_SYMBOLS_PER_CLAIM} symbols per claim"
    for symbol in item.symbols:
        reason = symbols.validate(symbol)
        if reason:
            return reason
    return None


def _size_problem(item: ClaimItem, files: FileSet, limits: Limits) -> str | None:
    pattern = globs.module_pattern(item.pattern) if item.type is ClaimType.MODULE else item.pattern
    count = len(files.matching(pattern))
    if count > limits.max_claim_files:
        return (
            f"{item.pattern!r} covers {count} tracked files, more than the limit of "
            f"{limits.max_claim_files} (COORD_MAX_CLAIM_FILES); claim narrower patterns"
        )
    # One file is never "too much of the repo", however small the repo is.
    if limits.enforce_ratio and count > 1 and len(files) and count / len(files) > limits.max_claim_ratio:
        share = count / len(files)
        return (
            f"{item.pattern!r} covers {share:.0%} of the repo's {len(files)} tracked files, "
            f"more than {limits.max_claim_ratio:.0%} (COORD_MAX_CLAIM_RATIO); claim narrower patterns"
        )
    return None


def ttl_problem(ttl_hours: float | None, limits: Limits) -> str | None:
    if ttl_hours is None:
        return None
    if not ttl_hours > 0:
        return "ttl_hours must be greater than 0"
    if ttl_hours > limits.max_ttl_hours:
        return f"ttl_hours must be at most {limits.max_ttl_hours:g}"
    return None


def engineer_problem(engineer: str) -> str | None:
    control = control_problem("engineer", engineer)
    if control:
        return control
    if not _ENGINEER.match(engineer):
        return (
            f"engineer must be 1-{limits.MAX_ENGINEER_LENGTH} characters of letters, digits and ._@+-/ "
            "(for example 'alex/claude/main')"
        )
    return None


def repo_problem(repo_id: str) -> str | None:
    control = control_problem("repo_id", repo_id)
    if control:
        return control
    if not _REPO_ID.match(repo_id):
        return f"repo_id must be 1-{limits.MAX_REPO_ID_LENGTH} characters of letters, digits and ._-/"
    return None


def session_problem(session_id: str) -> str | None:
    control = control_problem("session_id", session_id)
    if control:
        return control
    if not _SESSION_ID.match(session_id):
        return f"session_id must be 1-{limits.MAX_SESSION_ID_LENGTH} characters of letters, digits, '_' and '-'"
    return None
