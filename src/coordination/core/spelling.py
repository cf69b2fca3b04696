"""How a requested pattern is spelled for the engine: paths whose names hold glob characters.

A Next.js route such as ``pages/[id].tsx`` is a file name, but read as a glob
it is the two files ``pages/i.tsx`` and ``pages/d.tsx``. Three ways name such a
file exactly (see docs/conflict-rules.md, "Literal paths"):

* escape the characters: ``pages/\\[id\\].tsx`` (core.globs);
* send the item with ``literal: true``: the pattern is a path, taken as written;
* with a checkout (COORD_REPO_ROOT), a pattern that is exactly the name of a
  tracked file (for a module claim: of a tracked directory) is that file,
  whatever glob it would otherwise spell.

Whichever way, the claim is stored under one spelling, the escaped one, so
every later comparison (overlap, carves, refreshes) sees the same pattern.
"""

from __future__ import annotations

from dataclasses import replace

from coordination.core import globs
from coordination.core.files import FileSet
from coordination.core.model import ClaimItem, ClaimType


def respell(item: ClaimItem, files: FileSet | None) -> tuple[ClaimItem, str | None]:
    """The item as the engine reads it, and a note when its pattern was read as a literal path."""
    if item.literal:
        return replace(item, pattern=globs.escape(item.pattern), literal=False), None
    pattern = item.pattern
    if files is not None and not globs.is_literal(pattern) and _tracked(item, files):
        escaped = globs.escape(pattern.rstrip("/"))
        if globs.validate(escaped) is None:
            kind = "directory" if item.type is ClaimType.MODULE else "file"
            return replace(item, pattern=escaped), (
                f"claimed as the literal path {pattern}, a tracked {kind} of that exact name "
                f"(stored as {escaped}; send literal: true or escape the glob characters to say so)"
            )
    canonical = globs.canonical(pattern)
    return (item if canonical == pattern else replace(item, pattern=canonical)), None


def _tracked(item: ClaimItem, files: FileSet) -> bool:
    path = item.pattern.rstrip("/")
    if item.type is ClaimType.MODULE:
        return files.has_directory(path)
    return path in files
