"""The symbol cache and concurrent use of the parsers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from coordination.parsers import (
    SymbolCache,
    UnsupportedLanguage,
    clear_symbol_cache,
    extract_symbols,
    symbol_cache_info,
    symbols_for_file,
)

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = ["router.ts", "dashboard.tsx", "queue.js", "scheduler.py", "store.go"]


@pytest.fixture(autouse=True)
def fresh_default_cache() -> Iterator[None]:
    clear_symbol_cache()
    yield
    clear_symbol_cache()


def test_same_content_is_a_hit_returning_the_same_object() -> None:
    source = (FIXTURES / "router.ts").read_bytes()
    first = symbols_for_file("src/router.ts", source)
    second = symbols_for_file("src/router.ts", source)
    assert second is first
    assert first == extract_symbols("src/router.ts", source)
    info = symbol_cache_info()
    assert (info.hits, info.misses, info.size) == (1, 1, 1)


def test_key_is_language_and_content_not_path() -> None:
    source = (FIXTURES / "router.ts").read_bytes()
    first = symbols_for_file("src/router.ts", source)
    assert symbols_for_file("elsewhere/copy.mts", source) is first  # same language
    symbols_for_file("src/router.tsx", source)  # same bytes, another grammar
    info = symbol_cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_changed_content_is_reparsed() -> None:
    before = symbols_for_file("m.py", b"def a(): ...\n")
    after = symbols_for_file("m.py", b"def a(): ...\ndef b(): ...\n")
    assert before == {"a"}
    assert after == {"a", "b"}
    assert symbol_cache_info().misses == 2


def test_unsupported_extension_raises_before_caching() -> None:
    with pytest.raises(UnsupportedLanguage):
        symbols_for_file("notes.txt", b"hello")
    assert symbol_cache_info().size == 0


def test_lru_eviction_keeps_recently_used_entries() -> None:
    cache = SymbolCache(maxsize=2)
    a = cache.symbols_for_file("a.py", b"A = 1\n")
    cache.symbols_for_file("b.py", b"B = 1\n")
    assert cache.symbols_for_file("a.py", b"A = 1\n") is a  # refresh a
    cache.symbols_for_file("c.py", b"C = 1\n")  # evicts b, the least recent
    assert cache.info().size == 2
    assert cache.symbols_for_file("a.py", b"A = 1\n") is a
    misses = cache.info().misses
    cache.symbols_for_file("b.py", b"B = 1\n")
    assert cache.info().misses == misses + 1


def test_default_cache_is_bounded() -> None:
    for i in range(600):
        symbols_for_file("m.py", f"X{i} = {i}\n".encode())
    info = symbol_cache_info()
    assert info.maxsize == 512
    assert info.size == 512


def test_invalid_maxsize_is_rejected() -> None:
    with pytest.raises(ValueError):
        SymbolCache(maxsize=0)


def _workload() -> list[tuple[str, bytes]]:
    jobs = [(name, (FIXTURES / name).read_bytes()) for name in FIXTURE_NAMES]
    # Distinct contents too, so threads both hit and miss.
    jobs += [(name, (FIXTURES / name).read_bytes() + b"\n" * k) for name in FIXTURE_NAMES for k in (1, 2)]
    return jobs


def test_concurrent_extraction_from_eight_threads_matches_serial() -> None:
    jobs = _workload()
    expected = {(name, source): extract_symbols(name, source) for name, source in jobs}
    barrier = threading.Barrier(8)

    def worker(offset: int) -> list[bool]:
        barrier.wait()
        results = []
        for i in range(len(jobs) * 4):
            name, source = jobs[(i + offset) % len(jobs)]
            results.append(extract_symbols(name, source) == expected[(name, source)])
            results.append(symbols_for_file(name, source) == expected[(name, source)])
        return results

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(worker, range(8)))
    assert all(all(outcome) for outcome in outcomes)
    info = symbol_cache_info()
    assert info.size == len(jobs)
    assert info.hits + info.misses == 8 * len(jobs) * 4


def test_concurrent_hits_share_one_object() -> None:
    source = (FIXTURES / "store.go").read_bytes()
    first = symbols_for_file("store.go", source)
    barrier = threading.Barrier(8)

    def worker(_: int) -> bool:
        barrier.wait()
        return all(symbols_for_file("store.go", source) is first for _ in range(200))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(worker, range(8)))
