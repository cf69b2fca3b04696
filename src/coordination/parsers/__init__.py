"""Symbol extraction: the named declarations of a source file as canonical paths.

A canonical path is ``Name`` for a top-level declaration and ``Parent::child``
for a member, nested to any depth (``Outer::Inner::method``).  Extracted sets
contain every ancestor of every path.  Supported: TypeScript, TSX, JavaScript,
Python and Go; see each language module for exactly what counts as a symbol.
"""

from __future__ import annotations

from .base import SEPARATOR, SymbolSet, UnsupportedLanguage
from .cache import (
    CacheInfo,
    SymbolCache,
    clear_symbol_cache,
    symbol_cache_info,
    symbols_for_file,
)
from .matching import closest_symbols, symbol_similarity
from .registry import SUPPORTED_LANGUAGES, extract_symbols, language_for

__all__ = [
    "SEPARATOR",
    "SUPPORTED_LANGUAGES",
    "CacheInfo",
    "SymbolCache",
    "SymbolSet",
    "UnsupportedLanguage",
    "clear_symbol_cache",
    "closest_symbols",
    "extract_symbols",
    "language_for",
    "symbol_cache_info",
    "symbol_similarity",
    "symbols_for_file",
]
