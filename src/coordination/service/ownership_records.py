"""What the ownership use cases give back: frozen records, like `service.records`.

The API validates them into its response models (`from_attributes`); `as_json`
gives the same body as plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coordination.core.ownership import OwnerRule, Ownership

__all__ = ["ManagedChanges", "ManagedEntry", "OwnershipDocument", "Promotion", "ownership_document"]


@dataclass(frozen=True, slots=True)
class ManagedEntry:
    """An entry coord wrote into owners.yaml (`key` is shared_files or split_candidates), with its marker comment."""

    key: str
    pattern: str
    mark: str

    def as_json(self) -> dict[str, str]:
        return {"key": self.key, "pattern": self.pattern, "mark": self.mark}


@dataclass(frozen=True, slots=True)
class ManagedChanges:
    """On upload: the coord-written entries the upload lacked, kept in the stored copy or dropped."""

    kept: tuple[ManagedEntry, ...] = ()
    dropped: tuple[ManagedEntry, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"kept": [e.as_json() for e in self.kept], "dropped": [e.as_json() for e in self.dropped]}


@dataclass(frozen=True, slots=True)
class OwnershipDocument:
    """A repo's stored owners.yaml and the rules read from it; `managed` only in an upload's answer."""

    repo_id: str
    yaml: str
    owners: tuple[OwnerRule, ...]
    shared_files: tuple[str, ...]
    managed: ManagedChanges | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "yaml": self.yaml,
            "owners": [{"pattern": r.pattern, "owners": list(r.owners)} for r in self.owners],
            "shared_files": list(self.shared_files),
            "managed": None if self.managed is None else self.managed.as_json(),
        }


def ownership_document(
    repo_id: str, text: str, rules: Ownership, managed: ManagedChanges | None = None
) -> OwnershipDocument:
    return OwnershipDocument(repo_id, text, tuple(rules.owners), tuple(rules.shared_files), managed)


@dataclass(frozen=True, slots=True)
class Promotion:
    """`POST /metrics/hotspots/promote`: what was written (`changed` is false when the rule was
    already there) and the repo's owners.yaml after the call."""

    repo_id: str
    action: str
    pattern: str
    changed: bool
    detail: str
    yaml: str

    def as_json(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "action": self.action,
            "pattern": self.pattern,
            "changed": self.changed,
            "detail": self.detail,
            "yaml": self.yaml,
        }
