"""Service benchmark: claim-then-release throughput and latency at 100 and 10,000 active claims.

Starts the real server (SQLite, COORD_REPO_ROOT set to a throwaway git repo with
20,000 tracked files), loads active claims, then runs 16 concurrent clients that
each claim one file and release it, again and again. The same server's /healthz
under the same concurrency is the baseline, in the same run.

    python benchmarks/service.py [--seconds 8] [--clients 16]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

TOKEN = "bench-token"
REPO = "bench/app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree() -> list[str]:
    """20,000 paths (200 top-level dirs x 10 subdirs x 10 files, two extensions) and 5 notes."""
    return [f"notes/NOTES{i}.md" for i in range(5)] + [
        f"d{d}/s{s}/f{f}.{'ts' if f % 2 else 'py'}" for d in range(200) for s in range(10) for f in range(10)
    ]


def make_repo(root: Path, paths: list[str]) -> None:
    """A git index listing every path, without writing 20,000 files to disk."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    blob = (
        subprocess.run(
            ["git", "-C", str(root), "hash-object", "-w", "--stdin"],
            input=b"",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    info = "".join(f"100644 {blob}\t{p}\n" for p in paths).encode()
    subprocess.run(["git", "-C", str(root), "update-index", "--add", "--index-info"], input=info, check=True)


def preload_patterns(count: int) -> list[tuple[str, str]]:
    """(engineer, pattern) for `count` claims in d0..d149: exact files, dir/**, dir/*.ext, a few **/x."""
    out: list[tuple[str, str]] = [(f"owner{i}/agent/1", f"**/NOTES{i}.md") for i in range(5)]
    d = 0
    while len(out) < count:
        top = d % 150
        sub = (d // 150) % 10
        eng = f"eng{top}/agent/1"
        shape = (d // 1500) % 3
        if shape == 0:
            out.extend((eng, f"d{top}/s{sub}/f{f}.py") for f in range(0, 10, 2))
        elif shape == 1:
            out.append((eng, f"d{top}/s{sub}/**"))
        else:
            out.append((eng, f"d{top}/s{sub}/*.ts"))
        d += 1
    return out[:count]


async def preload(client: httpx.AsyncClient, pairs: list[tuple[str, str]]) -> None:
    by_engineer: dict[str, list[str]] = {}
    for eng, pattern in pairs:
        by_engineer.setdefault(eng, []).append(pattern)
    for eng, patterns in by_engineer.items():
        for i in range(0, len(patterns), 100):
            body = {
                "engineer": eng,
                "repo_id": REPO,
                "ttl_hours": 24,
                "claims": [{"type": "file", "pattern": p} for p in patterns[i : i + 100]],
            }
            r = await client.post("/claims", json=body)
            if r.status_code != 200:
                raise SystemExit(f"preload failed: {r.status_code} {r.text[:300]}")


async def run_phase(url: str, first: int, clients: int, seconds: float, healthz: bool) -> dict[str, list[float]]:
    lat: dict[str, list[float]] = {"claim": [], "release": [], "healthz": []}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits, timeout=30
    ) as client:

        async def worker(w: int) -> None:
            i = 0
            while time.perf_counter() < deadline:
                if healthz:
                    t0 = time.perf_counter()
                    r = await client.get("/healthz")
                    lat["healthz"].append(time.perf_counter() - t0)
                    continue
                i += 1
                path = f"d{150 + (w % 50)}/s{(i // 10) % 10}/f{i % 10}.{'ts' if i % 2 else 'py'}"
                body = {
                    "engineer": f"bench{w}/agent/1",
                    "repo_id": REPO,
                    "claims": [{"type": "file", "pattern": path}],
                }
                t0 = time.perf_counter()
                r = await client.post("/claims", json=body)
                lat["claim"].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"claim failed: {r.status_code} {r.text[:300]}")
                claim_id = r.json()["claims"][0]["id"]
                t0 = time.perf_counter()
                r = await client.delete(f"/claims/{claim_id}", params={"engineer": f"bench{w}/agent/1"})
                lat["release"].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"release failed: {r.status_code} {r.text[:300]}")

        await asyncio.gather(*(worker(w) for w in range(first, first + clients)))
    return lat


def _phase_in_process(url: str, first: int, clients: int, seconds: float, healthz: bool) -> dict[str, list[float]]:
    return asyncio.run(run_phase(url, first, clients, seconds, healthz))


async def run_load(url: str, clients: int, seconds: float, healthz: bool, procs: int) -> dict[str, list[float]]:
    """`clients` concurrent clients spread over `procs` processes, so the load generator is not the bottleneck."""
    procs = max(1, min(procs, clients))
    split = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(procs) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _phase_in_process, url, sum(split[:i]), n, seconds, healthz)
                for i, n in enumerate(split)
            )
        )
    return {key: [v for part in parts for v in part[key]] for key in ("claim", "release", "healthz")}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "app"
        make_repo(root, tree())
        port = free_port()
        env = {
            **os.environ,
            "COORD_AUTH_TOKEN": TOKEN,
            "COORD_PORT": str(port),
            "COORD_HOST": "127.0.0.1",
            "COORD_DATABASE_PATH": str(Path(tmp) / "coord.db"),
            "COORD_REPO_ROOT": str(root),
            "COORD_LOG_LEVEL": "warning",
            "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
            "COORD_LS_FILES_CACHE_TTL_SEC": "3600",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "coordination.cli.api_server"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(
                base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
            ) as client:
                for _ in range(300):
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                patterns = preload_patterns(10_000)
                results: dict[str, float] = {}
                rows: list[tuple[str, int, float, float, float, float, float]] = []

                async def measure(name: str, key: str, clients: int, healthz: bool) -> None:
                    lat = await run_load(url, clients, args.seconds, healthz, args.procs)
                    if healthz:
                        results[f"{key}_rps"] = len(lat["healthz"]) / args.seconds
                        figures = [pct(lat["healthz"], 0.5), pct(lat["healthz"], 0.99), float("nan"), float("nan")]
                    else:
                        results[f"{key}_rps"] = (len(lat["claim"]) + len(lat["release"])) / args.seconds
                        figures = [pct(lat[k], q) for k in ("claim", "release") for q in (0.5, 0.99)]
                        for i, name_ in enumerate(("claim_p50", "claim_p99", "release_p50", "release_p99")):
                            results[f"{key}_{name_}_ms"] = figures[i]
                    rows.append((name, clients, results[f"{key}_rps"], *figures))  # type: ignore[arg-type]

                await measure("/healthz", "healthz", args.clients, healthz=True)
                loaded = 0
                for active in (100, 10_000):
                    await preload(client, patterns[loaded:active])
                    loaded = active
                    await measure(f"claim+release @ {active:,} active", f"c{active}", args.clients, healthz=False)
                    await measure(f"claim+release @ {active:,} active", f"single{active}", 1, healthz=False)
        finally:
            server.terminate()
            server.wait(timeout=15)
    results["rps_share_of_healthz_100"] = results["c100_rps"] / results["healthz_rps"]
    results["rps_share_of_healthz_10000"] = results["c10000_rps"] / results["healthz_rps"]
    results["claim_p99_ratio_10000_vs_100"] = results["c10000_claim_p99_ms"] / results["c100_claim_p99_ms"]
    print(f"{args.seconds:g}s per phase, 20,000 tracked files, SQLite; latencies in ms")
    print(f"{'workload':32} {'clients':>7} {'req/s':>8} {'p50':>7} {'p99':>7} {'rel p50':>8} {'rel p99':>8}")
    for name, clients, rps, p50, p99, rp50, rp99 in rows:
        print(f"{name:32} {clients:7d} {rps:8.0f} {p50:7.2f} {p99:7.2f} {rp50:8.2f} {rp99:8.2f}")
    print(
        f"claim+release req/s as share of /healthz: {results['rps_share_of_healthz_100']:.0%} @100, "
        f"{results['rps_share_of_healthz_10000']:.0%} @10,000 (target >= 35%)"
    )
    print(f"claim p99 @10,000 / @100: {results['claim_p99_ratio_10000_vs_100']:.2f}x (target <= 2x)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--procs", type=int, default=4, help="load-generator processes")
    results = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


if __name__ == "__main__":
    main()
