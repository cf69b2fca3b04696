"""One racing client process: claims overlapping scopes, releases some, lets others expire.

Run as `python -m tests.integration.race_client URL[,URL2] TOKEN ENGINEER SECONDS SEED [IDLE]`.
Besides globs it claims symbols in a few files (and those files whole, so symbol
claims narrow whole-file and glob claims, and releases end carving claims). Every
claim carries the client's session id; the client heartbeats it. With IDLE
(`silent` or `return`) the client goes silent once, longer than the server's
COORD_IDLE_TIMEOUT_SEC, right after a grant; then it carries on with a new session
(`silent`) or heartbeats the old one again (`return`): the claims that stopped
counting must stay ended.
Prints one JSON line with its counts and the sessions it left idle.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime

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
# Files claimed by symbol, and whole: each is also covered by several globs above.
SYMBOL_FILES = ["src/app.ts", "src/auth/login.ts", "lib/util.ts"]
SYMBOLS = ["Foo", "Foo::bar", "Foo::baz", "Bar", "Bar::qux"]
# Longer than the races' COORD_IDLE_TIMEOUT_SEC (3 s); a returning client comes back
# soon after it, while the sweep (every second) may not have ended its claims yet.
IDLE_SILENCE_SEC = {"silent": 4.5, "return": 3.4}
HEARTBEAT_EVERY_SEC = 1.0


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def main() -> None:
    urls, token, engineer, seconds, seed = (
        sys.argv[1].split(","),
        sys.argv[2],
        sys.argv[3],
        float(sys.argv[4]),
        int(sys.argv[5]),
    )
    idle_mode = sys.argv[6] if len(sys.argv) > 6 else "none"
    rng = random.Random(seed)
    clients = [httpx.Client(base_url=u, headers={"Authorization": f"Bearer {token}"}, timeout=30) for u in urls]
    counts = {"granted": 0, "conflict": 0, "released": 0, "errors": 0, "symbol_grants": 0, "narrowed": 0}
    held: list[tuple[httpx.Client, int]] = []
    abandoned: set[str] = set()
    silent: dict[str, str] = {}  # session id -> when it was last used (before going silent)
    session = f"s{seed}-0"
    last_beat = 0.0
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        client = rng.choice(clients)
        if time.monotonic() - last_beat > HEARTBEAT_EVERY_SEC:
            r = client.post(f"/sessions/{session}/heartbeat", json={"engineer": engineer, "repo_id": "race/repo"})
            if r.status_code != 200:
                counts["errors"] += 1
                print(r.status_code, r.text, file=sys.stderr)
            last_beat = time.monotonic()
        if held and rng.random() < 0.4:
            c, claim_id = held.pop(rng.randrange(len(held)))
            r = c.delete(f"/claims/{claim_id}", params={"engineer": engineer})
            counts["released" if r.status_code == 200 else "errors"] += 1
            continue
        roll = rng.random()
        if roll < 0.3:
            # A symbol claim: narrows whole-file and glob claims, coexists or conflicts with symbols.
            items = [
                {
                    "type": "file",
                    "pattern": rng.choice(SYMBOL_FILES),
                    "symbols": rng.sample(SYMBOLS, rng.choice([1, 1, 2])),
                }
            ]
        elif roll < 0.45:
            items = [{"type": "file", "pattern": rng.choice(SYMBOL_FILES)}]
        else:
            patterns = rng.sample([p for p in PATTERNS if p not in abandoned], rng.choice([1, 1, 2]))
            items = [{"type": "file", "pattern": p} for p in patterns]
        # Short TTLs so some claims expire by time while others race for them. A few
        # claims, early in the run, are abandoned: never released nor claimed again,
        # they must expire (and stop blocking) on their own, with time left for a sweep.
        plain = all("symbols" not in i for i in items)
        abandon = plain and len(abandoned) < 3 and deadline - time.monotonic() > seconds / 2 and rng.random() < 0.2
        ttl = 0.0005 if abandon else rng.choice([0.0005, 0.001, 0.01])
        # Going silent after this grant: a TTL well past the idle timeout, so the claims
        # stop counting (and are idle-expired) because of the silence, not their TTL.
        go_silent = idle_mode != "none" and not silent and not abandon and time.monotonic() - started > 1.0
        if go_silent:
            ttl = 0.01
        body = {"engineer": engineer, "repo_id": "race/repo", "session_id": session, "ttl_hours": ttl, "claims": items}
        sent = now_iso()
        r = client.post("/claims", json=body)
        if r.status_code == 200:
            counts["granted"] += 1
            decisions = r.json()["decisions"]
            counts["symbol_grants"] += 0 if plain else 1
            counts["narrowed"] += sum(1 for d in decisions if d["outcome"] == "AUTO_NARROW")
            if abandon:
                abandoned.update(i["pattern"] for i in items)
            else:
                held.extend((client, c["id"]) for c in r.json()["claims"])
            if go_silent:
                # Go silent while holding claims: they must stop counting, then be idle-expired.
                silent[session] = sent
                held = []  # the session's claims are left to the idle timeout
                time.sleep(IDLE_SILENCE_SEC[idle_mode])
                if idle_mode == "return":
                    client.post(f"/sessions/{session}/heartbeat", json={"engineer": engineer, "repo_id": "race/repo"})
                else:
                    session = f"s{seed}-1"
                last_beat = time.monotonic()
        elif r.status_code == 409:
            counts["conflict"] += 1
        else:
            counts["errors"] += 1
            print(r.status_code, r.text, file=sys.stderr)
    print(json.dumps({"counts": counts, "silent": silent}))


if __name__ == "__main__":
    main()
