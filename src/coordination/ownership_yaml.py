"""owners.yaml in and out, comments preserved (ruamel round-trip)."""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent
from ruamel.yaml.tokens import CommentToken

# Bounds on the size and shape of an owners.yaml (defined in core.limits). A real file is a
# mapping of lists of small mappings (depth 5) with at most a few thousand values; the bounds
# stop input built to cost CPU or memory (aliases, deep nesting) from being read at all.
from coordination.core.limits import MAX_OWNERS_YAML_BYTES as MAX_YAML_BYTES
from coordination.core.limits import MAX_OWNERS_YAML_DEPTH as MAX_DEPTH
from coordination.core.limits import MAX_OWNERS_YAML_NODES as MAX_NODES
from coordination.core.ownership import Ownership, clip, from_document

_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.Composer = _BoundedComposer
    return yaml


def _alias(name: object) -> ValueError:
    return ValueError(f"owners.yaml may not use YAML aliases (*{clip(str(name), 40)})")


def _anchor(name: object) -> ValueError:
    return ValueError(f"owners.yaml may not use YAML anchors (&{clip(str(name), 40)})")


def _too_many() -> ValueError:
    return ValueError(f"owners.yaml has more than {MAX_NODES} values")


def _too_deep() -> ValueError:
    return ValueError(f"owners.yaml is nested more than {MAX_DEPTH} levels deep")


class _BoundedComposer(Composer):
    """The round-trip composer, refusing aliases and anchors and counting depth and nodes
    as it goes, so an alias bomb or deep nesting is refused before it is built."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise _alias(event.anchor)
        if getattr(event, "anchor", None) is not None:
            raise _anchor(event.anchor)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _too_many()
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _too_deep()
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _fast_precheck(text: str) -> None:
    """The same bounds over libyaml's event stream, when PyYAML has it: about fifty times
    faster than the pure-Python round-trip parser, so a file built to be costly is refused
    in milliseconds. Anything libyaml cannot parse is left to the round-trip parser
    (which decides, and words the reason): this pass only ever refuses earlier."""
    try:
        import yaml as libyaml

        loader = libyaml.CSafeLoader(text)
    except (ImportError, AttributeError):
        return
    depth = nodes = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, libyaml.AliasEvent):
                raise _alias(event.anchor)
            if isinstance(event, libyaml.NodeEvent):
                if event.anchor is not None:
                    raise _anchor(event.anchor)
                nodes += 1
                if nodes > MAX_NODES:
                    raise _too_many()
                if isinstance(event, libyaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep()
            elif isinstance(event, libyaml.CollectionEndEvent):
                depth -= 1
    except libyaml.YAMLError:
        return
    finally:
        loader.dispose()


def _flow_depth(text: str) -> int:
    """The deepest nesting of `[`/`{` in the raw text (brackets in quoted or plain text
    count too: an over-estimate, which only matters past MAX_DEPTH). Checked before the
    YAML scanner runs, whose look-ahead over deep flow nesting is itself slow."""
    depth = deepest = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSERS and depth:
            depth -= 1
    return deepest


def load(text: str) -> Any:
    """The round-trip document of `text`; ValueError (with a short reason) when it is too
    large, too deep, uses aliases/anchors or is not YAML."""
    if len(text.encode()) > MAX_YAML_BYTES:
        raise ValueError(f"owners.yaml larger than {MAX_YAML_BYTES} bytes")
    if _flow_depth(text) > MAX_DEPTH:
        raise _too_deep()
    _fast_precheck(text)
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise ValueError(f"owners.yaml is not valid YAML: {clip(str(exc))}") from exc
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before
        raise _too_deep() from None


def parse(text: str) -> Ownership:
    return from_document(load(text))


def read(text: str) -> tuple[Any, Ownership]:
    """The editable document of `text` and its rules, from one load (ValueError: why not)."""
    doc = document(text)
    return doc, from_document(doc)


def dump(doc: Any, like: str = "") -> str:
    """The text of `doc`; block lists indented the way they are in `like` (the text the
    document was read from), so an edit keeps the operator's layout."""
    yaml = _yaml()
    layout = _list_layout(like)
    if layout is not None:
        sequence, offset = layout
        yaml.indent(mapping=2, sequence=sequence, offset=offset)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


_ITEM = re.compile(r"^( *)- +(?=[^#\s])")
_KEY_ONLY = re.compile(r"^( *)[^#\s-][^#]*:\s*(#.*)?$")


def _list_layout(text: str) -> tuple[int, int] | None:
    """(sequence indent, dash offset) of the first block list item under a `key:` line,
    as ruamel's `indent()` takes them; None when the text has no such list."""
    key_indent: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM.match(line)
        if item and key_indent is not None:
            offset = len(item.group(1)) - key_indent
            content = item.end() - key_indent
            if offset >= 0 and content >= offset + 2:
                return content, offset
            return None
        key = _KEY_ONLY.match(line)
        key_indent = len(key.group(1)) if key else None
    return None


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


# ------------------------------------------------------------------ local copy
#
# `coord ownership pull` overwrites the local file with the service's copy only when
# that loses nothing the operator wrote: every rule of the local file is in the
# service's copy already (entries coord wrote may come and go on the service).


def unsynced(local: str, remote: str) -> list[str]:
    """What the local owners.yaml has that the service's copy lacks (none: pull is safe)."""
    from coordination.core import promotion

    try:
        mine, doc = parse(local), document(local)
    except ValueError as exc:
        return [f"the local file does not read as owners.yaml ({exc})"]
    try:
        theirs = parse(remote)
    except ValueError:
        theirs = Ownership()
    missing: list[str] = []
    rules = {(r.pattern, r.owners) for r in theirs.owners}
    missing += [f"owners rule {clip(r.pattern)}" for r in mine.owners if (r.pattern, r.owners) not in rules]
    for key, listed in (("shared_files", theirs.shared_files), ("split_candidates", theirs.split_candidates)):
        for value, comment in entries(doc, key):
            if value not in listed and not promotion.read_marks(comment).coord_written:
                missing.append(f"{key} entry {clip(value)}")
    return missing
