"""First claim after a restart: latency with many active claims already in the database.

Starts the real server on a fresh SQLite file, stops it, seeds N active claims
directly into the database, starts it again, waits for `/readyz`, then times the
first claim and the second one (a different file each time).

    python benchmarks/first_claim.py [--claims 30000]

Prints one JSON line: seconds until ready, first and second claim latency in ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.seed import seed_sqlite  # noqa: E402
from tests.support.server import start_server  # noqa: E402

REPO = "bench/app"


def claim(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    r = client.post("/claims", json={"engineer": "bench/cli/main", "repo_id": REPO, "claims": [{"pattern": path}]})
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"claim failed: {r.status_code} {r.text[:300]}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=30_000)
    args = parser.parse_args()
    env = {"COORD_DISABLE_BACKGROUND_CLEANUP": "1", "COORD_LOG_LEVEL": "info"}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        start_server(base, env=env, token="bench-token").stop()
        seed_sqlite(base / "coord.db", REPO, args.claims)
        t0 = time.perf_counter()
        server = start_server(base, env=env, token="bench-token", timeout=120)
        ready = time.perf_counter() - t0
        try:
            with server.client() as client:
                first = claim(client, "bench/first.ts")
                second = claim(client, "bench/second.ts")
        finally:
            server.stop()
        books = [line for line in server.log.read_text().splitlines() if "loaded" in line]
    print(
        json.dumps(
            {
                "claims": args.claims,
                "ready_s": round(ready, 2),
                "first_ms": round(first, 1),
                "second_ms": round(second, 1),
            }
        )
    )
    print("\n".join(books))


if __name__ == "__main__":
    main()
