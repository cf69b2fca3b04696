"""Benchmark the conflict engine: one new claim decided against 100, 1,000 and 10,000 active claims.

Run with ``python benchmarks/engine.py``.  The repo is a synthetic tree of
20,000 tracked files (4 areas x 25 components x 10 packages x 20 files).  The
active claims are a realistic mix held by eight engineers: exact files (some
with symbols), ``dir/**`` module claims, ``dir/*.ext`` claims and three
``**/x`` patterns (which, by design, are candidates for every query).  The new
claims are a mix too: exact files (some with symbols), ``dir/*.ext`` and a
module ``dir/sub``, drawn from anywhere in the tree, claimed or not, by one of
the holders or by a newcomer.

Each size is measured two ways in the same run:

* index: ``decide`` for a one-item request (pattern validation, then
  ``decide_item``), as the service calls it, on a ``ClaimBook`` whose pattern
  index narrows the claims looked at to the candidates;
* naive: the very same call on a book that hands back every active claim as
  a candidate, i.e. is_live + overlap + relate against every claim.  Each of
  its decisions is checked against the indexed one for the same query.

and in two overlap modes: pure glob overlap, and tracked-file overlap (a
``FileSet`` of the tree).  Every run draws its own queries, so none inherits
another's caches; each decision is timed on its own with
``time.perf_counter_ns`` after untimed warm-ups (the process, then the run),
and the naive loop stops early once its time budget is spent.

Then the adversarial pattern pairs (``ADVERSARIAL``): patterns chosen to make
the overlap search expensive (``**/`` repeated, ``*a`` x500, ``.*`` x500, big
numeric brace ranges next to stars, long literals around the most wildcards a
pattern may hold). Each pair is decided from cold caches, validation
included, and its wall time and outcome (refused at validation, refused by
the search budget, overlap or disjoint) reported; ``adv_max_ms`` is the worst.

A table is printed, then, last, one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coordination.core import globs
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide
from coordination.core.files import FileSet
from coordination.core.lifetimes import liveness
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Decision

SIZES = (100, 1_000, 10_000)
AREAS = ("apps", "libs", "services", "tools")
COMPONENTS = 25
PACKAGES = ("api", "core", "db", "jobs", "models", "tests", "ui", "util", "web", "workers")
STEMS = ("__init__", "client", "config", "handlers", "index", "models", "schema", "service", "utils", "views")
EXTENSIONS = ("py", "ts")
SYMBOLS = ("Client", "Config", "Handler", "Service", "build", "load", "parse", "render")
EVERYWHERE = ("**/config.py", "**/schema.ts", "**/__init__.py")  # the few `**/x` claims
HOLDERS = tuple(f"eng{i}/agent/1" for i in range(8))
NEWCOMER = "newcomer/agent/1"
REPO = "bench/app"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
IDLE_TIMEOUT_SEC = 900.0


@dataclass(frozen=True, slots=True)
class Tree:
    files: tuple[str, ...]
    packages: tuple[str, ...]  # area/component/package directories
    components: tuple[str, ...]  # area/component directories


def make_tree() -> Tree:
    components = tuple(f"{area}/c{c:02d}" for area in AREAS for c in range(COMPONENTS))
    packages = tuple(f"{comp}/{pkg}" for comp in components for pkg in PACKAGES)
    files = tuple(f"{pkg}/{stem}.{ext}" for pkg in packages for stem in STEMS for ext in EXTENSIONS)
    return Tree(files=files, packages=packages, components=components)


def make_claims(tree: Tree, count: int, rng: random.Random) -> list[ActiveClaim]:
    """`count` active claims: a few `**/x`, then ~70% files, ~15% `dir/*.ext`, ~15% modules."""
    expires = NOW + timedelta(hours=4)
    claims: list[ActiveClaim] = []

    def add(type_: ClaimType, pattern: str, symbols: tuple[str, ...] = ()) -> None:
        engineer = rng.choice(HOLDERS)
        claims.append(
            ActiveClaim(
                id=len(claims) + 1,
                repo_id=REPO,
                engineer=engineer,
                type=type_,
                pattern=pattern,
                expires_at=expires - timedelta(minutes=rng.randrange(0, 200)),
                symbols=symbols,
                narrowable=type_ is ClaimType.FILE,
                session_id=f"{engineer.split('/')[0]}-s1",
            )
        )

    for pattern in EVERYWHERE[: min(len(EVERYWHERE), count // 30)]:
        add(ClaimType.SHARED_FILE, pattern)
    while len(claims) < count:
        roll = rng.random()
        if roll < 0.70:
            symbols = tuple(sorted(rng.sample(SYMBOLS, rng.randint(1, 2)))) if rng.random() < 0.2 else ()
            add(ClaimType.FILE, rng.choice(tree.files), symbols)
        elif roll < 0.85:
            add(ClaimType.FILE, f"{rng.choice(tree.packages)}/*.{rng.choice(EXTENSIONS)}")
        elif roll < 0.97:
            add(ClaimType.MODULE, f"{rng.choice(tree.packages)}/**")
        else:
            add(ClaimType.MODULE, f"{rng.choice(tree.components)}/**")
    return claims


def make_queries(tree: Tree, count: int, rng: random.Random) -> list[tuple[str, ClaimItem]]:
    """(engineer, new item): ~65% exact files, ~25% `dir/*.ext`, ~10% module `dir/sub`."""
    queries: list[tuple[str, ClaimItem]] = []
    for _ in range(count):
        engineer = rng.choice((*HOLDERS, NEWCOMER, NEWCOMER))
        roll = rng.random()
        if roll < 0.65:
            symbols = (rng.choice(SYMBOLS),) if rng.random() < 0.3 else ()
            item = ClaimItem(ClaimType.FILE, rng.choice(tree.files), symbols)
        elif roll < 0.90:
            item = ClaimItem(ClaimType.FILE, f"{rng.choice(tree.packages)}/*.{rng.choice(EXTENSIONS)}")
        else:
            item = ClaimItem(ClaimType.MODULE, rng.choice(tree.packages))
        queries.append((engineer, item))
    return queries


class EveryClaim(ClaimBook):
    """A book whose candidates are all its claims: decide_item then compares with every one."""

    def candidates(self, pattern: str) -> list[ActiveClaim]:
        return list(self)


@dataclass(frozen=True, slots=True)
class Run:
    decisions: int
    median_us: float
    p99_us: float
    per_second: float
    results: tuple[Decision, ...]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(
    decide: Callable[[str, ClaimItem], Decision],
    warmup: Sequence[tuple[str, ClaimItem]],
    queries: Sequence[tuple[str, ClaimItem]],
    budget_s: float | None = None,
) -> Run:
    for engineer, item in warmup:
        decide(engineer, item)
    gc.collect()  # start every run from the same heap; the collector stays on while timing
    clock = time.perf_counter_ns
    times: list[int] = []
    results: list[Decision] = []
    deadline = clock() + int(budget_s * 1e9) if budget_s is not None else None
    for engineer, item in queries:
        start = clock()
        decision = decide(engineer, item)
        end = clock()
        times.append(end - start)
        results.append(decision)
        if deadline is not None and end > deadline and len(times) >= 20:
            break
    total_s = sum(times) / 1e9
    return Run(
        decisions=len(times),
        median_us=statistics.median(times) / 1e3,
        p99_us=percentile(times, 99) / 1e3,
        per_second=len(times) / total_s,
        results=tuple(results),
    )


ADVERSARIAL: tuple[tuple[str, str, str], ...] = (
    ("globstar_x100", "**/" * 100 + "a", "**/" * 99 + "b/a"),
    ("globstar_x150", "**/" * 150 + "a", "**/" * 149 + "b/a"),
    ("globstar_x8", "**/x" * 8, "**/x" * 7 + "/**/y"),
    ("star_a_x500", "*a" * 500, "*a" * 499 + "*b"),
    ("star_a_x16", "*a" * 16, "*a" * 15 + "*b"),
    ("dot_star_x500", ".*" * 500, ".*" * 499 + "x"),
    ("dot_star_x16", ".*" * 16, ".*" * 15 + "x"),
    ("range_stars_x40", "{1..200}" + "*" * 40 + "x", "*" * 40 + "{1..200}y"),
    ("range_star_a_x6", "{1..256}" + "*a" * 6 + "x", "*a" * 6 + "{1..256}y"),
    ("range_dir", "{1..100}/**/*a*b*c*d*e", "**/{1..100}*/*e"),
    ("range_both", "*{1..100}*a*", "*a*{1..100}*"),
    ("long_star_a_x16", "*a" * 16 + "a" * 900, "a" * 900 + "*a" * 15 + "*b"),
    ("long_qmark_x16", "?a" * 16 + "b" * 900, "a" * 900 + "?" * 16),
    ("classes_x16", "[ab]*" * 8, "*[bc]" * 8),
)


def _cold_globs() -> None:
    for cached in (globs._parse_cached, globs._automaton, globs._tail_automaton, globs._split, globs._tail_overlap):
        cached.cache_clear()


def adversarial(repeats: int) -> list[dict[str, object]]:
    """Wall time of validate + overlap per pair from cold caches (median of `repeats`)."""
    rows: list[dict[str, object]] = []
    for name, a, b in ADVERSARIAL:
        times: list[float] = []
        outcome = ""
        for _ in range(repeats):
            _cold_globs()
            gc.collect()
            start = time.perf_counter_ns()
            reason = globs.validate(a) or globs.validate(b)
            if reason:
                outcome = "refused: " + reason.split(":")[-1].strip()
            else:
                try:
                    outcome = "overlap" if globs.overlap(a, b) is not None else "disjoint"
                except globs.PatternTooComplex:
                    outcome = "refused: search budget"
            times.append((time.perf_counter_ns() - start) / 1e6)
        rows.append({"name": name, "ms": statistics.median(times), "outcome": outcome})
    return rows


def print_adversarial(rows: list[dict[str, object]], summary: dict[str, float | int]) -> None:
    print("adversarial pattern pairs (cold caches, validate + overlap):")
    for row in rows:
        print(f"  {row['name']:<18}{row['ms']:>9.2f} ms  {row['outcome']}")
        summary[f"adv_{row['name']}_ms"] = round(float(str(row["ms"])), 2)
    summary["adv_max_ms"] = max(float(str(r["ms"])) for r in rows)


def signature(decision: Decision) -> tuple[object, ...]:
    return (
        decision.outcome,
        tuple(c.id for c in decision.blocking),
        tuple(c.id for c in decision.narrowed),
        tuple(c.id for c in decision.coexists_with),
        decision.refreshes.id if decision.refreshes else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=2_000, help="timed indexed decisions per size and mode")
    parser.add_argument("--warmup", type=int, default=300, help="untimed decisions first (other queries)")
    parser.add_argument("--naive-seconds", type=float, default=6.0, help="time budget of each naive run")
    parser.add_argument("--no-files", action="store_true", help="skip the tracked-file (FileSet) mode")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--adversarial-only", action="store_true", help="only the adversarial pattern pairs")
    parser.add_argument("--adversarial-repeats", type=int, default=5)
    args = parser.parse_args()
    if args.adversarial_only:
        only: dict[str, float | int] = {}
        print_adversarial(adversarial(args.adversarial_repeats), only)
        print(json.dumps(only, sort_keys=True))
        return

    tree = make_tree()
    assert len(tree.files) == 20_000
    last_seen = {f"{e.split('/')[0]}-s1": NOW - timedelta(seconds=30) for e in HOLDERS}
    is_live = liveness(NOW, IDLE_TIMEOUT_SEC, last_seen)
    modes: list[tuple[str, FileSet | None]] = [("glob", None)]
    if not args.no_files:
        modes.append(("files", FileSet(tree.files)))

    # Warm the process as a running service would be (shared automata, labels, regexes),
    # so the first measured run does not pay for it: throwaway claims and queries.
    spare_rng = random.Random(f"{args.seed}/spare")
    spare = ClaimBook(make_claims(tree, 1_000, spare_rng))
    for _mode, files in modes:
        spare_ctx = Context.build(files, is_live)
        for engineer, item in make_queries(tree, 2_000, spare_rng):
            decide(engineer, [item], spare, spare_ctx, files)

    rows: list[dict[str, object]] = []
    summary: dict[str, float | int] = {}
    for size in SIZES:
        claims = make_claims(tree, size, random.Random(args.seed * 1_000 + size))
        indexed, naive = ClaimBook(claims), EveryClaim(claims)
        for mode, files in modes:
            # Each run gets its own queries, so neither inherits the other's caches.
            rng = random.Random(f"{args.seed}/{size}/{mode}")
            warmup = make_queries(tree, args.warmup, rng)
            queries = make_queries(tree, args.decisions, rng)
            naive_warmup = make_queries(tree, 20, rng)
            naive_queries = make_queries(tree, args.decisions, rng)
            ctx = Context.build(files, is_live)

            def fast_decide(engineer: str, item: ClaimItem) -> Decision:
                return decide(engineer, [item], indexed, ctx, files)[0]  # noqa: B023

            def slow_decide(engineer: str, item: ClaimItem) -> Decision:
                return decide(engineer, [item], naive, ctx, files)[0]  # noqa: B023

            fast = measure(fast_decide, warmup, queries)
            slow = measure(slow_decide, naive_warmup, naive_queries, budget_s=args.naive_seconds)
            for (engineer, item), b in zip(naive_queries, slow.results, strict=False):
                a = fast_decide(engineer, item)
                if signature(a) != signature(b):
                    raise SystemExit(f"index and naive loop disagree on {a.item}: {signature(a)} vs {signature(b)}")
            outcomes: dict[str, int] = {}
            for decision in fast.results:
                outcomes[decision.outcome.value] = outcomes.get(decision.outcome.value, 0) + 1
            rows.append(
                {
                    "mode": mode,
                    "size": size,
                    "fast": fast,
                    "slow": slow,
                    "speedup": slow.median_us / fast.median_us,
                    "outcomes": outcomes,
                }
            )
            prefix = "t" if mode == "glob" else "files_t"
            naive_prefix = "naive" if mode == "glob" else "files_naive"
            summary[f"{prefix}{size}_us"] = round(fast.median_us, 2)
            summary[f"{prefix}{size}_p99_us"] = round(fast.p99_us, 2)
            summary[f"{prefix}{size}_per_s"] = round(fast.per_second)
            summary[f"{naive_prefix}{size}_us"] = round(slow.median_us, 2)
            summary[f"{naive_prefix}{size}_p99_us"] = round(slow.p99_us, 2)
            summary[f"{naive_prefix}{size}_decisions"] = slow.decisions

    for prefix, naive_prefix in (("t", "naive"), ("files_t", "files_naive")):
        if f"{prefix}100_us" not in summary:
            continue
        summary[f"{prefix}10000_over_{prefix}100"] = round(summary[f"{prefix}10000_us"] / summary[f"{prefix}100_us"], 2)
        summary[f"{naive_prefix}10000_over_{prefix}10000"] = round(
            summary[f"{naive_prefix}10000_us"] / summary[f"{prefix}10000_us"], 1
        )

    header = (
        f"{'mode':<6}{'claims':>7}{'index n':>9}{'median us':>11}{'p99 us':>9}{'decisions/s':>13}"
        f"{'naive n':>9}{'median us':>11}{'p99 us':>11}{'decisions/s':>13}{'speedup':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        fast, slow = row["fast"], row["slow"]
        assert isinstance(fast, Run) and isinstance(slow, Run)
        print(
            f"{row['mode']:<6}{row['size']:>7}{fast.decisions:>9}{fast.median_us:>11.1f}{fast.p99_us:>9.1f}"
            f"{fast.per_second:>13,.0f}{slow.decisions:>9}{slow.median_us:>11.1f}{slow.p99_us:>11.1f}"
            f"{slow.per_second:>13,.0f}{row['speedup']:>8.0f}x"
        )
    print("outcomes of the indexed decisions (glob mode):")
    for row in rows:
        if row["mode"] == "glob":
            print(f"  {row['size']:>6} claims: {json.dumps(row['outcomes'], sort_keys=True)}")
    print_adversarial(adversarial(args.adversarial_repeats), summary)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
