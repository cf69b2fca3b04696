"""`coord claim` and `coord conflicts` read `PATH... -s SYMBOL` the same way."""

from __future__ import annotations

import pytest

from coordination.cli.scopes import ScopeError, resolve, symbol_specs


def test_a_bare_name_belongs_to_the_single_path() -> None:
    assert resolve(["src/r.ts"], ["Router::a", "Router"]) == {"src/r.ts": ["Router::a", "Router"]}


def test_path_qualified_names_are_read_by_their_path() -> None:
    assert resolve(["src/r.ts"], ["src/r.ts::Router::a"]) == {"src/r.ts": ["Router::a"]}
    assert resolve(["a.ts", "b.ts"], ["b.ts::F"]) == {"a.ts": [], "b.ts": ["F"]}
    # A head that cannot be a symbol is a path, even one not given positionally.
    assert resolve([], ["src/x.py::C::m"]) == {"src/x.py": ["C::m"]}
    # A head that is one of the paths wins over reading it as a symbol part.
    assert resolve(["Makefile"], ["Makefile::build"]) == {"Makefile": ["build"]}


def test_ambiguous_or_missing_paths_are_refused() -> None:
    with pytest.raises(ScopeError, match=r"a\.ts::Foo"):
        resolve(["a.ts", "b.ts"], ["Foo"])
    with pytest.raises(ScopeError, match="names no file"):
        resolve([], ["Foo"])
    with pytest.raises(ScopeError, match="at least one path"):
        resolve([], [])


def test_conflicts_query() -> None:
    assert symbol_specs({"a.ts": [], "b.ts": ["F", "G::h"]}) == (["a.ts"], ["b.ts::F", "b.ts::G::h"])
