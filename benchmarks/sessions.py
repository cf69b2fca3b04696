"""Benchmark what old sessions cost a claim: claim+release with 0 and N silent sessions, then after a sweep.

    python benchmarks/sessions.py [--sessions 10000] [--pairs 1000] [--rounds 3]

Every claim reads the sessions silent past the idle timeout (to tell whether a claim's
session went idle), and agents never end their sessions, so the `sessions` table grows
with every session ever seen. The sweep forgets the silent ones that hold nothing
(`store.sessions.forget_silent`). In one run, on a fresh SQLite database each round:

  - baseline: claim+release of one file, `--pairs` times, with no old sessions;
  - `--sessions` sessions last seen 30 days ago (holding nothing) written into the table;
  - the same claim+release loop with them in place;
  - one sweep, then the loop again.

The loop calls the service in process (no HTTP), with a session id on every claim, and
reports the process's CPU per claim+release (median over the rounds). Prints a table, then
one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from coordination.api.app import create_app  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.core.model import ClaimItem, ClaimType  # noqa: E402
from coordination.service import ClaimRequest, Coordinator  # noqa: E402

REPO = "bench/sessions"
ENGINEER = "bench/agent/1"
SESSION = "bench-live-session"


def pairs(service: Coordinator, count: int) -> float:
    """CPU milliseconds per claim+release over `count` pairs."""
    started = time.process_time()
    for i in range(count):
        request = ClaimRequest(
            engineer=ENGINEER,
            repo_id=REPO,
            session_id=SESSION,
            items=[ClaimItem(ClaimType.FILE, f"src/f{i % 50}.py")],
        )
        granted = service.claim(request)
        service.release(granted.claims[0].id, ENGINEER)
    return (time.process_time() - started) * 1000 / count


def add_old_sessions(db: Path, count: int) -> None:
    old = time.time() - 30 * 86400
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO sessions (session_id, engineer, last_seen) VALUES (?, ?, ?)",
            [(f"old-{i}", f"dev{i % 50}/agent/1", old) for i in range(count)],
        )
    conn.close()


async def one_round(sessions: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "coord.db"
        settings = Settings(auth_token="bench", database_path=db, disable_background_cleanup=True)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            service: Coordinator = app.state.service
            pairs(service, 100)  # warm-up: caches, prepared statements
            figures = {"baseline_ms": pairs(service, count)}
            add_old_sessions(db, sessions)
            pairs(service, 20)
            figures["with_old_sessions_ms"] = pairs(service, count)
            service.sweep()
            with service.store.read() as tx:
                figures["sessions_left"] = float(tx.scalar("SELECT COUNT(*) FROM sessions") or 0)
            pairs(service, 20)
            figures["after_sweep_ms"] = pairs(service, count)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = [asyncio.run(one_round(args.sessions, args.pairs)) for _ in range(args.rounds)]
    result: dict[str, Any] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    result.update(sessions=args.sessions, pairs=args.pairs, rounds=args.rounds)
    print(f"claim+release in process (SQLite), CPU per pair, medians of {args.rounds} rounds")
    print(f"  no old sessions:                {result['baseline_ms']:.3f} ms")
    print(f"  {args.sessions:,} silent sessions:        {result['with_old_sessions_ms']:.3f} ms")
    print(f"  after one sweep:                {result['after_sweep_ms']:.3f} ms")
    print(f"  (sessions left after the sweep: {result['sessions_left']:.0f}, the live one)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
