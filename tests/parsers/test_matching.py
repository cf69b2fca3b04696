"""Ordering of suggestions for unknown symbols."""

from __future__ import annotations

from pathlib import Path

from coordination.parsers import closest_symbols, extract_symbols, symbol_similarity

ROUTER = extract_symbols("router.ts", (Path(__file__).parent / "fixtures" / "router.ts").read_bytes())


def test_typo_in_member_finds_the_member_first() -> None:
    assert closest_symbols("Router::handleAuht", ROUTER)[0] == "Router::handleAuth"


def test_bare_member_name_finds_its_full_path() -> None:
    # Compared by last component, a bare (or typo'd) name finds Parent::child.
    assert closest_symbols("handleAuht", ROUTER)[0] == "Router::handleAuth"
    assert closest_symbols("handleLogout", ROUTER)[0] == "Router::handleLogout"


def test_wrong_parent_finds_the_right_member() -> None:
    assert closest_symbols("BaseRouter::handleAuth", ROUTER)[0] == "Router::handleAuth"


def test_case_is_ignored() -> None:
    assert closest_symbols("router::HANDLEAUTH", ROUTER)[0] == "Router::handleAuth"


def test_returns_every_symbol_once_close_first_then_alphabetical() -> None:
    available = ["zeta", "Router::handleAuth", "alpha", "Router::handleAuth", "Router"]
    result = closest_symbols("handleAuth", available)
    assert result == ["Router::handleAuth", "alpha", "Router", "zeta"]
    assert sorted(closest_symbols("handleAuth", ROUTER)) == sorted(ROUTER)


def test_ties_break_on_full_path_then_alphabetically() -> None:
    available = ["Zed::handleAuth", "Admin::handleAuth", "Router::handleAuth"]
    # Last components tie at 1.0; full-path similarity prefers the named parent.
    assert closest_symbols("Router::handleAuth", available)[0] == "Router::handleAuth"
    # Full paths of equal length tie as well: alphabetical.
    assert closest_symbols("handleAuth", ["Bbb::handleAuth", "Aaa::handleAuth"]) == [
        "Aaa::handleAuth",
        "Bbb::handleAuth",
    ]


def test_scores_decrease_along_the_close_prefix() -> None:
    result = closest_symbols("Router::dispach", ROUTER)
    close = [s for s in result if symbol_similarity("Router::dispach", s) >= 0.6]
    scores = [symbol_similarity("Router::dispach", s) for s in close]
    assert result[: len(close)] == close
    assert scores == sorted(scores, reverse=True)
    assert result[0] == "Router::dispatch"
    rest = result[len(close) :]
    assert rest == sorted(rest, key=str.casefold)


def test_nothing_close_is_alphabetical() -> None:
    assert closest_symbols("qqqqqqqq", ["b", "A", "c", "a"]) == ["A", "a", "b", "c"]


def test_limit_truncates_and_empty_input() -> None:
    assert closest_symbols("handleAuth", ROUTER, limit=3) == closest_symbols("handleAuth", ROUTER)[:3]
    assert closest_symbols("x", ROUTER, limit=0) == []
    assert closest_symbols("anything", []) == []
    assert closest_symbols("", ["b", "a"]) == ["a", "b"]
