"""The stored owners.yaml of a repo, read as rules (parsed once per text)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from coordination import ownership_yaml
from coordination.core.model import ClaimItem, ClaimType
from coordination.core.ownership import Ownership
from coordination.store import Tx
from coordination.store import ownership as ownership_rows

__all__ = ["as_stored_type", "parse_cached", "rules_of", "rules_sent", "stored_text"]

log = logging.getLogger("coordination.service")

_parsed: dict[str, Ownership] = {}


def parse_cached(text: str) -> Ownership:
    """The rules of a stored owners.yaml (none when it no longer reads, e.g. a file
    stored before a bound it breaks existed)."""
    if not text:
        return Ownership()
    rules = _parsed.get(text)
    if rules is None:
        try:
            rules = ownership_yaml.parse(text)
        except ValueError as exc:
            # Stored before a bound it breaks existed: no rules until an operator uploads again.
            log.warning("a stored owners.yaml does not read and is ignored: %s", exc)
            rules = Ownership()
        if len(_parsed) > 256:
            _parsed.clear()
        _parsed[text] = rules
    return rules


def stored_text(tx: Tx, repo_id: str) -> str:
    return ownership_rows.text_of(tx, repo_id)


def rules_of(tx: Tx, repo_id: str) -> Ownership:
    return parse_cached(stored_text(tx, repo_id))


def rules_sent(tx: Tx, repo_id: str) -> Callable[[], Ownership]:
    """`rules_of`, asked now and read when called (it can share a round trip with others)."""
    text = ownership_rows.text_of_sent(tx, repo_id)
    return lambda: parse_cached(text())


def as_stored_type(item: ClaimItem, rules: Ownership) -> ClaimItem:
    """A plain file claim on a path listed in shared_files is stored as shared_file."""
    if item.type is ClaimType.FILE and not item.symbols and rules.is_shared(item.pattern):
        return ClaimItem(ClaimType.SHARED_FILE, item.pattern, ())
    return item
