"""One reading of `PATH... -s SYMBOL` for `coord claim` and `coord conflicts`.

A `--symbol` value is either

- `path::Name` (`src/router.ts::Router::handleAuth`): the symbol `Name` of that file.
  It counts as qualified when the part before the first `::` is one of the paths
  given, or cannot be a symbol (it has a `/`, a `.`, ...: symbol parts are identifiers);
- `Name` (`Router::handleAuth`): a symbol of the single path given. With several
  paths it is ambiguous, and refused rather than guessed or silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordination.core import symbols as symbol_paths


class ScopeError(ValueError):
    """The arguments do not say which file a symbol belongs to."""


def _qualified(spec: str, paths: Sequence[str]) -> tuple[str, str] | None:
    head, sep, rest = spec.partition(symbol_paths.SEPARATOR)
    if not sep or not head or not rest:
        return None
    if head in paths or symbol_paths.validate(head) is not None:
        return head, rest
    return None


def resolve(paths: Sequence[str], symbols: Sequence[str]) -> dict[str, list[str]]:
    """Path -> the symbols asked for in it (empty: the whole path), in the order given.

    A path named only through `path::Name` is added after the positional paths.
    """
    wanted: dict[str, list[str]] = {p: [] for p in paths}
    for spec in symbols:
        found = _qualified(spec, paths)
        if found is not None:
            path, name = found
        elif len(paths) == 1:
            path, name = paths[0], spec
        elif not paths:
            raise ScopeError(f"--symbol {spec!r} names no file: give the path, or write it as path::{spec}")
        else:
            raise ScopeError(
                f"--symbol {spec!r} with {len(paths)} paths: say which file it is in, as path::{spec} "
                f"(for example {paths[0]}::{spec})"
            )
        names = wanted.setdefault(path, [])
        if name not in names:
            names.append(name)
    if not wanted:
        raise ScopeError("give at least one path (or --symbol path::Name)")
    return wanted


def symbol_specs(wanted: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(whole paths, `path::Name` specs): the query of `GET /conflicts`."""
    whole = [path for path, names in wanted.items() if not names]
    specs = [f"{path}{symbol_paths.SEPARATOR}{name}" for path, names in wanted.items() for name in names]
    return whole, specs
