"""The invariant checker itself: it must flag what breaks exclusivity and pass what does not."""

from __future__ import annotations

from typing import Any

from tests.support.invariant import violations


def claim(id: int, engineer: str, pattern: str, type: str = "file", symbols=(), carved=(), **kw: Any) -> dict:
    return {
        "id": id,
        "repo_id": kw.get("repo_id", "default"),
        "engineer": engineer,
        "type": type,
        "pattern": pattern,
        "symbols": list(symbols),
        "carved": [{"path": p, "symbol": s, "by": b} for p, s, b in carved],
        "coexists_with": list(kw.get("coexists_with", [])),
        "state": kw.get("state", "active"),
    }


def test_two_overlapping_exclusive_claims_are_flagged() -> None:
    assert violations([claim(1, "a", "src/*.ts"), claim(2, "b", "src/a.ts")])


def test_same_engineer_other_repo_ended_or_disjoint_pass() -> None:
    assert not violations([claim(1, "a", "src/*.ts"), claim(2, "a", "src/a.ts")])
    assert not violations([claim(1, "a", "src/*.ts"), claim(2, "b", "src/a.ts", repo_id="other")])
    assert not violations([claim(1, "a", "src/*.ts"), claim(2, "b", "src/a.ts", state="released")])
    assert not violations([claim(1, "a", "src/*.ts"), claim(2, "b", "lib/a.ts")])


def test_shared_pairs_pass_but_shared_against_exclusive_does_not() -> None:
    assert not violations([claim(1, "a", "x.json", "shared_file"), claim(2, "b", "x.json", "shared_file")])
    assert violations([claim(1, "a", "x.json", "shared_file"), claim(2, "b", "x.json")])


def test_symbols_disjoint_pass_colliding_flagged() -> None:
    assert not violations([claim(1, "a", "f.ts", symbols=["Foo"]), claim(2, "b", "f.ts", symbols=["Bar"])])
    assert violations([claim(1, "a", "f.ts", symbols=["Foo"]), claim(2, "b", "f.ts", symbols=["Foo::x"])])


def test_carve_must_cover_the_symbol_on_that_path_by_a_live_claim_of_that_engineer() -> None:
    whole = claim(1, "a", "src/*.ts", carved=[("src/a.ts", "Foo", 2)])
    assert not violations([whole, claim(2, "b", "src/a.ts", symbols=["Foo::bar"])])
    # carved on another path only
    assert violations([whole, claim(3, "b", "src/b.ts", symbols=["Foo"])])
    # the carving claim is gone
    assert violations([whole, claim(3, "b", "src/a.ts", symbols=["Foo::bar"])])
    # a narrower carve does not cover a wider symbol
    narrow = claim(1, "a", "f.ts", carved=[("f.ts", "Foo::bar", 2)])
    assert violations([narrow, claim(2, "b", "f.ts", symbols=["Foo"])])


def test_explicit_coexist_passes() -> None:
    assert not violations([claim(1, "a", "f.ts", coexists_with=[2]), claim(2, "b", "f.ts")])


def test_tracked_files_decide_overlap_when_given() -> None:
    pair = [claim(1, "a", "src/*.ts"), claim(2, "b", "src/b*")]
    assert not violations(pair, files=["src/a.ts", "src/bx.go"])
    assert violations(pair, files=["src/a.ts", "src/b.ts"])
