"""Server-side symbol validation: a claimed symbol must exist in the file it names."""

from __future__ import annotations

from coordination import parsers
from coordination.core import globs
from coordination.core.model import ClaimItem
from coordination.errors import Invalid
from coordination.repo_files import RepoFiles

HINT_LIMIT = 50


def check(item: ClaimItem, repo_files: RepoFiles | None) -> str | None:
    """Raise Invalid for symbols in an unsupported language or absent from the file.

    Without a checkout (or for a file that does not exist yet) only the language
    is checked: there is nothing to parse. When the file has syntax errors (or
    trips the parser), a symbol no parse could find is accepted: the answer is
    the returned note ("could not verify ..."), never "unknown symbol".
    """
    # The file's real name: `pages/\[id\].tsx` is the file `pages/[id].tsx`.
    path = globs.literal_path(item.pattern) or item.pattern
    if parsers.language_for(path) is None:
        raise Invalid(
            f"symbol claims are not supported for {path!r}: no parser for this file type "
            "(TypeScript, TSX, JavaScript, Python and Go are); claim the whole file instead",
            path=path,
        )
    if repo_files is None:
        return None
    source = repo_files.read(path)
    if source is None:
        return None
    known = parsers.symbols_for_file(path, source)
    unknown = [s for s in item.symbols if s not in known]
    if not unknown:
        return None
    if not getattr(known, "complete", True):
        return (
            f"could not verify {', '.join(unknown)} in {path}: the parser met syntax errors in the file, "
            "so a declaration may be missing from what it read; claimed as asked"
        )
    ranked = parsers.closest_symbols(unknown[0], known)
    raise Invalid(
        f"unknown symbol(s) {', '.join(unknown)} in {path}; "
        f"closest: {', '.join(ranked[:5]) or '(the file declares no symbols)'}",
        path=path,
        unknown=unknown,
        available=ranked[:HINT_LIMIT],
    )
