"""Shared building blocks for the symbol extractors.

A *canonical symbol path* names one declaration of a file: ``Name`` for a
top-level declaration and ``Parent::child`` for a member, nested to any depth
(``Outer::Inner::method``).  Every extractor returns the set of paths *plus all
their ancestors*, so a file holding ``class Router { handleAuth() {} }`` yields
``{"Router", "Router::handleAuth"}``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Final

import tree_sitter

SEPARATOR: Final = "::"

# Walkers only recurse through containers (classes, namespaces, error nodes);
# this bound keeps hostile input from exhausting the Python stack.
MAX_DEPTH: Final = 128


class UnsupportedLanguage(ValueError):
    """Raised when a file's extension maps to no supported language."""


class SymbolSet(frozenset[str]):
    """The symbols a parse found, and whether that parse was clean.

    `complete` is False when the parser met syntax errors: declarations it
    could not recognise may be missing, so a name absent from the set is
    "could not verify", never "unknown" (see coordination.symbol_check).
    """

    complete: bool

    def __new__(cls, paths: Iterable[str] = (), complete: bool = True) -> SymbolSet:
        made = super().__new__(cls, paths)
        made.complete = complete
        return made


class SymbolCollector:
    """Accumulates canonical symbol paths together with their ancestors."""

    __slots__ = ("_paths",)

    def __init__(self) -> None:
        self._paths: set[str] = set()

    def add(self, scope: tuple[str, ...], name: str) -> tuple[str, ...]:
        """Record ``scope + (name,)`` and every ancestor; return the new scope.

        Empty names are ignored (the scope is returned unchanged) so callers can
        pass whatever a partial syntax tree gave them.
        """
        name = normalize_name(name)
        if not name:
            return scope
        path = (*scope, name)
        for depth in range(1, len(path) + 1):
            self._paths.add(SEPARATOR.join(path[:depth]))
        return path

    def result(self, complete: bool = True) -> SymbolSet:
        return SymbolSet(self._paths, complete)


def normalize_name(name: str) -> str:
    """Collapse internal whitespace (computed names such as ``[ Symbol.iterator ]``)."""
    return " ".join(name.split())


def node_text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


class ParserPool:
    """Hands out one :class:`tree_sitter.Parser` per (thread, language).

    ``tree_sitter.Parser`` keeps mutable state and is not safe to share between
    threads, while ``tree_sitter.Language`` objects are immutable and shared.
    Both are created lazily, on first use.
    """

    def __init__(self, loaders: dict[str, Callable[[], object]]) -> None:
        self._loaders = loaders
        self._languages: dict[str, tree_sitter.Language] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def language(self, name: str) -> tree_sitter.Language:
        lang = self._languages.get(name)
        if lang is None:
            with self._lock:
                lang = self._languages.get(name)
                if lang is None:
                    lang = tree_sitter.Language(self._loaders[name]())
                    self._languages[name] = lang
        return lang

    def parser(self, name: str) -> tree_sitter.Parser:
        parsers: dict[str, tree_sitter.Parser] | None = getattr(self._local, "parsers", None)
        if parsers is None:
            parsers = {}
            self._local.parsers = parsers
        parser = parsers.get(name)
        if parser is None:
            parser = tree_sitter.Parser(self.language(name))
            parsers[name] = parser
        return parser

    def parse(self, name: str, source: bytes) -> tree_sitter.Tree:
        return self.parser(name).parse(source)


def _load_typescript() -> object:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_typescript()


def _load_tsx() -> object:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_tsx()


def _load_javascript() -> object:
    import tree_sitter_javascript

    return tree_sitter_javascript.language()


def _load_go() -> object:
    import tree_sitter_go

    return tree_sitter_go.language()


def _load_python() -> object:
    import tree_sitter_python

    return tree_sitter_python.language()


PARSERS: Final = ParserPool(
    {
        "typescript": _load_typescript,
        "tsx": _load_tsx,
        "javascript": _load_javascript,
        "go": _load_go,
        "python": _load_python,
    }
)
