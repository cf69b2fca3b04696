"""owners.yaml in and out, comments preserved (ruamel round-trip)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

from coordination.core.ownership import Ownership, from_document

MAX_YAML_BYTES = 256 * 1024


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise ValueError(f"owners.yaml is not valid YAML: {exc}") from exc


def parse(text: str) -> Ownership:
    if len(text.encode()) > MAX_YAML_BYTES:
        raise ValueError(f"owners.yaml larger than {MAX_YAML_BYTES} bytes")
    return from_document(load(text))


def dump(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


# ------------------------------------------------------------------ editing
#
# coord edits owners.yaml itself (hotspot promotion, auto-promote, auto-demote):
# lists are changed in the round-trip document so every comment the operator wrote
# stays where it was. ruamel keeps the comment lines that follow a list item in
# that item's end-of-line comment token; the helpers below move those lines to
# the neighbouring item when an item is added after them or removed, so they are
# never lost.


def document(text: str) -> Any:
    """The round-trip document of `text` (an empty mapping when there is no text yet)."""
    doc = load(text) if text.strip() else None
    if doc is None:
        return CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ValueError("owners.yaml must be a mapping with 'owners' and/or 'shared_files'")
    return doc


def entries(doc: Any, key: str) -> list[tuple[str, str]]:
    """The items of list `key` with their end-of-line comment text ('' when none)."""
    seq = doc.get(key) if isinstance(doc, CommentedMap) else None
    if not isinstance(seq, CommentedSeq):
        return [(str(v), "") for v in seq or []] if isinstance(seq, list) else []
    return [(str(value), _eol(seq, i)) for i, value in enumerate(seq)]


def append(doc: Any, key: str, value: str, comment: str | None = None) -> None:
    """Add `value` at the end of list `key` (created if missing), with an end-of-line comment."""
    seq = doc.get(key)
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq(list(seq or []))
        doc[key] = seq
    seq.fa.set_block_style()
    tail = _take_tail(seq, len(seq) - 1) if seq else ""
    seq.append(value)
    index = len(seq) - 1
    if comment:
        seq.yaml_add_eol_comment(f"# {comment}", index)
    _give_tail(doc, key, seq, index, tail)


def remove(doc: Any, key: str, values: set[str]) -> list[str]:
    """Remove every item of list `key` equal to one of `values`; the removed items, in order."""
    seq = doc.get(key)
    if not isinstance(seq, list):
        return []
    removed: list[str] = []
    for index in range(len(seq) - 1, -1, -1):
        if str(seq[index]) not in values:
            continue
        removed.append(str(seq[index]))
        tail = _take_tail(seq, index) if isinstance(seq, CommentedSeq) else ""
        del seq[index]
        if isinstance(seq, CommentedSeq):
            _give_tail(doc, key, seq, index - 1, tail)
    if removed and not seq:
        # An empty block list would dump as a bare `[]` below the key's comments: keep the
        # key (and its comments) with no value instead, which reads as an empty list.
        doc[key] = None
    removed.reverse()
    return removed


def _token(seq: CommentedSeq, index: int) -> Any:
    slot = seq.ca.items.get(index)
    return slot[0] if slot else None


def _eol(seq: CommentedSeq, index: int) -> str:
    token = _token(seq, index)
    if token is None:
        return ""
    return str(token.value).partition("\n")[0].lstrip("#").strip()


def _take_tail(seq: CommentedSeq, index: int) -> str:
    """Detach and return the comment lines below item `index` (its end-of-line comment stays)."""
    token = _token(seq, index)
    if token is None:
        return ""
    first, newline, tail = str(token.value).partition("\n")
    if tail:
        token.value = first + newline
    return tail


def _give_tail(doc: CommentedMap, key: str, seq: CommentedSeq, index: int, tail: str) -> None:
    """Attach comment lines below item `index` (index -1: below the `key:` line)."""
    if not tail:
        return
    if 0 <= index < len(seq):
        token = _token(seq, index)
        if token is None:
            seq.ca.items.setdefault(index, [None, None, None, None])[0] = CommentToken("\n" + tail, CommentMark(0))
        else:
            value = str(token.value)
            token.value = (value if value.endswith("\n") else value + "\n") + tail
        return
    slot = doc.ca.items.setdefault(key, [None, None, None, None])
    if slot[2] is None:
        slot[2] = CommentToken("\n" + tail, CommentMark(0))
    else:
        value = str(slot[2].value)
        slot[2].value = (value if value.endswith("\n") else value + "\n") + tail
