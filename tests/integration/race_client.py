"""One racing client process: claims overlapping scopes, releases some, lets others expire.

Run as `python -m tests.integration.race_client URL[,URL2] TOKEN ENGINEER SECONDS SEED`.
Prints one JSON line with its counts.
"""

from __future__ import annotations

import json
import random
import sys
import time

import httpx

# Overlapping on purpose: every pattern collides with several others.
PATTERNS = [
    "src/app.ts",
    "src/*.ts",
    "src/**",
    "src/auth/**",
    "src/auth/login.ts",
    "src/auth/*.ts",
    "src/billing/**",
    "src/billing/invoice.ts",
    "{src,lib}/shared.ts",
    "lib/*.ts",
    "lib/**",
    "src/**/index.ts",
    "src/auth/index.ts",
    "docs/**",
    "**/*.md",
    "README.md",
]


def main() -> None:
    urls, token, engineer, seconds, seed = (
        sys.argv[1].split(","),
        sys.argv[2],
        sys.argv[3],
        float(sys.argv[4]),
        int(sys.argv[5]),
    )
    rng = random.Random(seed)
    clients = [httpx.Client(base_url=u, headers={"Authorization": f"Bearer {token}"}, timeout=30) for u in urls]
    counts = {"granted": 0, "conflict": 0, "released": 0, "errors": 0}
    held: list[tuple[httpx.Client, int]] = []
    abandoned: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client = rng.choice(clients)
        if held and rng.random() < 0.4:
            c, claim_id = held.pop(rng.randrange(len(held)))
            r = c.delete(f"/claims/{claim_id}", params={"engineer": engineer})
            counts["released" if r.status_code == 200 else "errors"] += 1
            continue
        patterns = rng.sample([p for p in PATTERNS if p not in abandoned], rng.choice([1, 1, 2]))
        # Short TTLs so some claims expire by time while others race for them. A few
        # claims, early in the run, are abandoned: never released nor claimed again,
        # they must expire (and stop blocking) on their own, with time left for a sweep.
        abandon = len(abandoned) < 3 and deadline - time.monotonic() > seconds / 2 and rng.random() < 0.2
        ttl = 0.0005 if abandon else rng.choice([0.0005, 0.001, 0.01])
        body = {
            "engineer": engineer,
            "repo_id": "race/repo",
            "ttl_hours": ttl,
            "claims": [{"type": "file", "pattern": p} for p in patterns],
        }
        r = client.post("/claims", json=body)
        if r.status_code == 200:
            counts["granted"] += 1
            if abandon:
                abandoned.update(patterns)
            else:
                held.extend((client, c["id"]) for c in r.json()["claims"])
        elif r.status_code == 409:
            counts["conflict"] += 1
        else:
            counts["errors"] += 1
            print(r.status_code, r.text, file=sys.stderr)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
