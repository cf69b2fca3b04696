"""Managed blocks: a region of a user's file that coord owns and rewrites.

A block starts at a line containing `coord:begin` and ends at the next line
containing `coord:end`, written in the comment syntax of the file
(`<!-- ... -->` for Markdown, `# ...` for .gitignore and TOML). Everything
outside the block is the user's and is kept byte for byte; re-running with the
same body gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

BEGIN_TAG = "coord:begin"
END_TAG = "coord:end"
NOTE = "managed by `coord init`; edits inside are replaced on re-run"


class BlockError(ValueError):
    """The file has a begin marker without an end marker (or the reverse)."""


@dataclass(frozen=True)
class Style:
    begin: str
    end: str


MARKDOWN = Style(begin=f"<!-- {BEGIN_TAG} ({NOTE}) -->", end=f"<!-- {END_TAG} -->")
HASH = Style(begin=f"# {BEGIN_TAG} ({NOTE})", end=f"# {END_TAG}")


def render_block(body: str, style: Style) -> str:
    """The full block text, markers included, ending with a newline."""
    inner = body.strip("\n")
    return f"{style.begin}\n{inner}\n{style.end}\n"


def _is_marker(line: str, tag: str) -> bool:
    stripped = line.strip()
    return tag in stripped and (stripped.startswith("<!--") or stripped.startswith("#"))


def find_block(text: str) -> tuple[int, int] | None:
    """(start, end) character offsets of the first block, end exclusive (after the
    end marker's newline); None if there is none. Raises BlockError if unbalanced."""
    lines = text.splitlines(keepends=True)
    offset = 0
    start: int | None = None
    for line in lines:
        if start is None and _is_marker(line, BEGIN_TAG):
            start = offset
        elif start is None and _is_marker(line, END_TAG):
            raise BlockError("found a coord:end marker without a coord:begin marker before it")
        elif start is not None and _is_marker(line, END_TAG):
            return start, offset + len(line)
        elif start is not None and _is_marker(line, BEGIN_TAG):
            raise BlockError("found a second coord:begin marker before coord:end")
        offset += len(line)
    if start is not None:
        raise BlockError("found a coord:begin marker without a matching coord:end marker")
    return None


def block_body(text: str) -> str | None:
    """The current body of the block (without markers), or None."""
    found = find_block(text)
    if found is None:
        return None
    lines = text[found[0] : found[1]].splitlines(keepends=True)
    return "".join(lines[1:-1])


def upsert(text: str, body: str, style: Style) -> str:
    """Return `text` with the managed block set to `body`.

    An existing block is replaced in place (the user's text before and after it
    is untouched); otherwise the block is appended after a blank line.
    """
    block = render_block(body, style)
    found = find_block(text)
    if found is not None:
        start, end = found
        tail = text[end:]
        if end == len(text) and not text.endswith("\n"):
            tail = ""
        return text[:start] + block + tail
    if not text:
        return block
    sep = "" if text.endswith("\n") else "\n"
    if not text.endswith("\n\n"):
        sep += "\n"
    return text + sep + block


def remove(text: str) -> str:
    """Return `text` without the managed block (for uninstall and tests)."""
    found = find_block(text)
    if found is None:
        return text
    return text[: found[0]] + text[found[1] :]
