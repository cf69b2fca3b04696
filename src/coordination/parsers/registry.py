"""Map file names to languages and languages to extractors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from . import golang, python, typescript
from .base import SymbolSet, UnsupportedLanguage

LANGUAGE_BY_EXTENSION: Final[dict[str, str]] = {
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".py": "python",
    ".pyi": "python",
    ".go": "go",
}

EXTRACTORS: Final[dict[str, Callable[[bytes], SymbolSet]]] = {
    "typescript": lambda source: typescript.extract("typescript", source),
    "tsx": lambda source: typescript.extract("tsx", source),
    "javascript": lambda source: typescript.extract("javascript", source),
    "python": python.extract,
    "go": golang.extract,
}

SUPPORTED_LANGUAGES: Final = frozenset(EXTRACTORS)


def language_for(path: str) -> str | None:
    """The language of ``path`` judged by its extension (case-insensitive), or ``None``.

    ``.d.ts`` declaration files are TypeScript.  Paths may use ``/`` or ``\\``.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot <= 0:  # no extension, or a dotfile such as ``.go``
        return None
    return LANGUAGE_BY_EXTENSION.get(name[dot:].lower())


def require_language(path: str) -> str:
    language = language_for(path)
    if language is None:
        raise UnsupportedLanguage(f"no symbol parser for {path!r}")
    return language


def extract_symbols(path: str, source: bytes) -> SymbolSet:
    """Canonical symbol paths declared in ``source`` (ancestors included).

    Raises :class:`UnsupportedLanguage` when ``path``'s extension is not
    supported.  Never raises on syntax errors: the declarations that could be
    recognised are returned, in a set whose ``complete`` is False.
    """
    return EXTRACTORS[require_language(path)](source)
