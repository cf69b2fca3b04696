"""A bounded, thread-safe LRU of symbol sets keyed by (language, content hash)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from .base import SymbolSet
from .registry import EXTRACTORS, require_language

DEFAULT_MAXSIZE: Final = 512


@dataclass(frozen=True, slots=True)
class CacheInfo:
    hits: int
    misses: int
    size: int
    maxsize: int


class SymbolCache:
    """LRU of extracted symbol sets.

    The key is the language plus the SHA-256 of the content, so renaming a file
    or reading the same content twice is a hit, and any edit is a miss.  A hit
    returns the very same ``frozenset`` object.  Parsing happens outside the
    lock, so threads never wait for each other's parses; two threads missing on
    the same content at once may both parse it, and the first stored result wins.
    """

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[str, bytes], SymbolSet] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def symbols_for_file(self, path: str, source: bytes) -> SymbolSet:
        language = require_language(path)
        key = (language, hashlib.sha256(source).digest())
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return cached
            self._misses += 1
        symbols = EXTRACTORS[language](source)
        with self._lock:
            existing = self._entries.get(key)
            if existing is not None:
                self._entries.move_to_end(key)
                return existing
            self._entries[key] = symbols
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return symbols

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._misses, len(self._entries), self._maxsize)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._hits = 0
            self._misses = 0


_DEFAULT_CACHE: Final = SymbolCache()


def symbols_for_file(path: str, source: bytes) -> SymbolSet:
    """Like :func:`extract_symbols`, memoised in a process-wide LRU (512 entries)."""
    return _DEFAULT_CACHE.symbols_for_file(path, source)


def symbol_cache_info() -> CacheInfo:
    return _DEFAULT_CACHE.info()


def clear_symbol_cache() -> None:
    _DEFAULT_CACHE.clear()
