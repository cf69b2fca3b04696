"""Ownership rules of a repo (owners.yaml): who owns which paths, which files are shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coordination.core import globs

AUTO_PROMOTED_MARK = "auto-promoted="
# Written by `POST /metrics/hotspots/promote`: coord wrote the entry, an upload keeps it.
PROMOTED_MARK = "coord-promoted="
PERMANENT_MARK = "coord-managed=permanent"
# Longest piece of the uploaded text an error message repeats back.
MAX_ECHO = 200


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """`text` cut to at most `limit` characters (a value echoed in an error message)."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _echo(value: Any) -> str:
    return clip(repr(value) if isinstance(value, str) else repr(str(value)))


@dataclass(frozen=True, slots=True)
class OwnerRule:
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ownership:
    owners: tuple[OwnerRule, ...] = ()
    shared_files: tuple[str, ...] = field(default=())
    # Advisory: patterns an operator (or POST /metrics/hotspots/promote) marked to be split
    # into smaller modules. Recorded for people and dashboards; claims are not affected.
    split_candidates: tuple[str, ...] = field(default=())

    def owners_for(self, pattern: str) -> list[str]:
        found: list[str] = []
        for rule in self.owners:
            if globs.overlap(rule.pattern, pattern) is not None:
                found.extend(o for o in rule.owners if o not in found)
        return found

    def is_shared(self, pattern: str) -> bool:
        """A file claim on a path listed (or matched) in shared_files becomes shared."""
        if not globs.is_literal(pattern):
            return pattern in self.shared_files
        path = globs.literal_path(pattern) if globs.validate(pattern) is None else None
        return any(entry == pattern or (path is not None and globs.matches(entry, path)) for entry in self.shared_files)


def from_document(doc: Any) -> Ownership:
    """Build rules from a parsed owners.yaml; raises ValueError with a reason."""
    if doc is None:
        return Ownership()
    if not isinstance(doc, dict):
        raise ValueError("owners.yaml must be a mapping with 'owners' and/or 'shared_files'")
    unknown = set(doc) - {"owners", "shared_files", "split_candidates", "version"}
    if unknown:
        raise ValueError(f"unknown top-level keys in owners.yaml: {clip(', '.join(sorted(map(str, unknown))))}")
    return Ownership(
        owners=_owner_rules(doc.get("owners") or []),
        shared_files=_patterns("shared_files", doc.get("shared_files") or []),
        split_candidates=_patterns("split_candidates", doc.get("split_candidates") or []),
    )


def _owner_rules(raw: Any) -> tuple[OwnerRule, ...]:
    if not isinstance(raw, list):
        raise ValueError("'owners' must be a list of {pattern, owners} entries")
    rules = []
    for entry in raw:
        if not isinstance(entry, dict) or "pattern" not in entry:
            raise ValueError("each 'owners' entry needs a 'pattern' and an 'owners' list")
        if isinstance(entry["pattern"], list | dict):
            raise ValueError(f"owners pattern {_echo(entry['pattern'])} must be a path or glob")
        pattern = str(entry["pattern"])
        reason = globs.validate(pattern)
        if reason:
            raise ValueError(f"owners pattern {_echo(pattern)}: {clip(reason)}")
        names = entry.get("owners") or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"owners of {_echo(pattern)} must be a list of names")
        rules.append(OwnerRule(pattern=pattern, owners=tuple(names)))
    return tuple(rules)


def _patterns(key: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ValueError(f"'{key}' must be a list of paths or globs")
    for pattern in raw:
        reason = globs.validate(pattern)
        if reason:
            raise ValueError(f"{key} entry {_echo(pattern)}: {clip(reason)}")
    return tuple(raw)
