"""Service benchmark: the real server under load from `wrk`, measured against a bare FastAPI route.

One run starts a bare FastAPI `async def` route (`bare_app.py`, same uvicorn) and coord on
SQLite and on PostgreSQL, with `COORD_REPO_ROOT` on a generated git checkout of 20,000
tracked files and two repos seeded directly in the database, one with 100 and one with
10,000 active claims. Then, in rounds (A B C ... A B C ...), each workload runs for
`--seconds` under `--clients` connections:

  - the bare route; the framework alone on claim- and release-shaped requests (coord's
    models, parameters, an auth dependency and its body limit, no coord behind them:
    `bare_app.py`); coord's `/healthz`;
  - claim+release (`POST /claims` of one file, then `DELETE /claims/{id}`) on SQLite and on
    PostgreSQL at 100 and at 10,000 active claims;

and, once per round, a stall check (one client doing claim+release for `--stall-seconds`:
the longest claim against the median one; the file-list cache refreshes every 10 s meanwhile)
and the first claim after a restart with 30,000 active claims, timed from when `/readyz`
first says ready. Reported are medians over the rounds: requests/s, p50/p99 latency, the
server's CPU per request (its CPU time from /proc, before and after) and the load
generator's own CPU share (wrk's CPU time over the wall time; 1.0 = one full core).

Needs `wrk` (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`) and, for
the PostgreSQL rows, a server: `--pg-url` or COORD_TEST_DATABASE_URL (a throwaway database
is created in it and dropped afterwards). Without one the PostgreSQL rows are skipped.

    python benchmarks/service.py [--seconds 8] [--rounds 3] [--clients 16] [--pg-url URL]
    python benchmarks/service.py --quick        # a smoke run: 1 round, short phases

Prints a table, then one JSON line. Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.support.seed import seed_postgres, seed_sqlite  # noqa: E402

TOKEN = "bench-token"
REPOS = {100: "bench/r100", 10_000: "bench/r10k"}
RESTART_REPO = "bench/r30k"
CLK_TCK = os.sysconf("SC_CLK_TCK")
WRK_HINT = "install it: `sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)"


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
    """(engineer, pattern) for `count` distinct claims in d0..d149, one engineer per top directory.

    Five `**/NOTESi.md` claims first, then shape by shape over the 1,500 subdirectories: the
    five `.py` files one by one, `dir/**`, `dir/*.ts`, the five `.ts` files, `dir/f?.py`,
    `dir/f[0-4].*`, `dir/{f1,f2}.ts`, `dir/**/*.py` and five files not in the checkout yet.
    10,000 claims are then 7,505 exact files, 1,500 `dir/**` and 995 `dir/*.ts`.
    """
    shapes = [f"f{f}.py" for f in range(0, 10, 2)] + ["**", "*.ts"] + [f"f{f}.ts" for f in range(1, 10, 2)]
    shapes += ["f?.py", "f[0-4].*", "{f1,f2}.ts", "**/*.py", "new0.md", "new1.md", "new2.md", "new3.md", "new4.md"]
    out: list[tuple[str, str]] = [(f"owner{i}/agent/1", f"**/NOTES{i}.md") for i in range(5)]
    for shape in shapes:
        for unit in range(1500):
            if len(out) >= count:
                return out
            top, sub = unit % 150, unit // 150
            out.append((f"eng{top}/agent/1", f"d{top}/s{sub}/{shape}"))
    if len(out) < count:
        raise SystemExit(f"at most {len(out):,} preloaded claims")
    return out


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system, with its reaped children such as `git`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / CLK_TCK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def status(port: int, path: str, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def request(port: int, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], float]:
    """One request on a fresh connection: (status, JSON answer, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    try:
        t0 = time.perf_counter()
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        elapsed = time.perf_counter() - t0
        return answer.status, json.loads(data or b"{}"), elapsed
    finally:
        conn.close()


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_path: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 180.0) -> tuple[float, float]:
        """Start and wait until `ready_path` answers 200: (monotonic start, monotonic ready)."""
        env = {**os.environ, **self.env, "COORD_PORT": str(self.port)}
        with open(self.log, "ab") as out:
            started = time.monotonic()
            self.proc = subprocess.Popen(
                [arg.replace("{port}", str(self.port)) for arg in self.argv],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited early:\n{self.log.read_text()[-3000:]}")
            if status(self.port, self.ready_path, timeout=1.0) == 200:
                return started, time.monotonic()
            time.sleep(0.01)
        self.stop()
        raise SystemExit(f"{self.name} not ready within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


def coord_server(name: str, base: Path, repo_root: Path, database: dict[str, str]) -> Server:
    base.mkdir(parents=True, exist_ok=True)
    env = {
        "COORD_AUTH_TOKEN": TOKEN,
        "COORD_HOST": "127.0.0.1",
        "COORD_REPO_ROOT": str(repo_root),
        "COORD_LOG_LEVEL": "warning",
        "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
        "COORD_NO_UPDATE_CHECK": "1",
        "COORD_DATABASE_PATH": str(base / "coord.db"),
        **database,
    }
    return Server(name, [sys.executable, "-m", "coordination.cli.api_server"], env, base / "server.log", "/readyz")


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of `admin_url`, dropped afterwards."""
    import psycopg

    name = f"coord_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_wrk(
    url: str, script: str, extra: list[str], threads: int, connections: int, seconds: float, pid: int
) -> dict[str, Any]:
    """One wrk run; with the server's CPU per request and wrk's own CPU share."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    argv += ["-s", str(HERE / "wrk" / script), url, "--", *extra]
    server0, gen0, t0 = cpu_seconds(pid), children_cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall, gen1, server1 = time.perf_counter() - t0, children_cpu(), cpu_seconds(pid)
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    out: dict[str, Any] = json.loads(lines[-1][4:])
    if out["errors"]:
        raise SystemExit(f"{out['errors']} failed requests on {url}: {out.get('first_error', '')}")
    requests = max(1, int(out["requests"]))
    out["rps"] = requests / (out["duration_us"] / 1e6)
    out["server_cpu_ms"] = (server1 - server0) * 1000 / requests
    out["gen_cpu_share"] = (gen1 - gen0) / wall
    return out


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    server: str
    repo: str | None  # None: a plain GET of `path`
    path: str = ""


def workloads(with_pg: bool) -> list[Workload]:
    out = [
        Workload("bare", "bare FastAPI async def route", "bare", None, "/"),
        Workload("floor", "claim+release shapes, no coord", "bare", "bench/floor"),
        Workload("healthz", "coord /healthz", "sqlite", None, "/healthz"),
    ]
    for backend, name in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        if backend == "pg" and not with_pg:
            continue
        for active, repo in REPOS.items():
            out.append(Workload(f"{backend}_{active}", f"claim+release {name} @ {active:,}", backend, repo))
    return out


def measure(w: Workload, server: Server, clients: int, seconds: float) -> dict[str, Any]:
    if w.repo is None:
        return run_wrk(server.url + w.path, "report.lua", [], min(2, clients), clients, seconds, server.pid)
    # One thread per connection: the script's per-thread state is then one connection's.
    return run_wrk(server.url, "claim_release.lua", [TOKEN, w.repo], clients, clients, seconds, server.pid)


def restart_first_claim(server: Server, round_no: int) -> dict[str, float]:
    """Restart `server` and time its first two claims from the moment `/readyz` says ready."""
    server.stop()
    started, ready = server.start()
    figures = {"ready_s": ready - started}
    ids = []
    for n, label in enumerate(("first", "second")):
        body = {
            "engineer": "restart/agent/1",
            "repo_id": RESTART_REPO,
            "claims": [{"type": "file", "pattern": f"d199/s{round_no % 10}/f{2 * n + 1}.ts"}],
        }
        code, answer, elapsed = request(server.port, "POST", "/claims", body)
        if code != 200:
            raise SystemExit(f"claim after restart failed: {code} {answer}")
        if n == 0:
            figures["first_after_ready_ms"] = (time.monotonic() - ready) * 1000
        figures[f"{label}_claim_ms"] = elapsed * 1000
        ids.append(answer["claims"][0]["id"])
    for claim_id in ids:
        request(server.port, "DELETE", f"/claims/{claim_id}?engineer=restart/agent/1")
    return figures


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run(args: argparse.Namespace) -> dict[str, Any]:
    pg_admin = args.pg_url or os.environ.get("COORD_TEST_DATABASE_URL")
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, contextlib_or_null(pg_admin) as pg_url:
        base = Path(tmp)
        root = base / "app"
        make_repo(root, tree())
        pairs = preload_patterns(max(REPOS))
        servers: dict[str, Server] = {
            "bare": Server(
                "bare app", [sys.executable, str(HERE / "bare_app.py"), "--port", "{port}"], {}, base / "bare.log", "/"
            ),
            "sqlite": coord_server("coord (SQLite)", base / "sqlite", root, {}),
            "restart": coord_server("coord (SQLite, restarts)", base / "restart", root, {}),
        }
        if pg_url:
            servers["pg"] = coord_server("coord (PostgreSQL)", base / "pg", root, {"COORD_DATABASE_URL": pg_url})
        # Start each coord server once to create its schema, seed its claims directly, start again.
        for key, server in servers.items():
            if key == "bare":
                continue
            server.start()
            server.stop()
            if key == "restart":
                seed_sqlite(
                    base / "restart" / "coord.db", RESTART_REPO, 0, 86400, preload_patterns(args.restart_claims)
                )
                continue
            for active, repo in REPOS.items():
                if key == "pg":
                    seed_postgres(str(pg_url), repo, 0, 86400, pairs[:active])
                else:
                    seed_sqlite(base / key / "coord.db", repo, 0, 86400, pairs[:active])
        plan = workloads(bool(pg_url))
        runs: dict[str, list[dict[str, Any]]] = {w.key: [] for w in plan}
        stalls: list[dict[str, Any]] = []
        restarts: list[dict[str, float]] = []
        try:
            for key, server in servers.items():
                if key != "restart":
                    server.start()
            # Warm-up, not counted: the first requests of a server fill its caches.
            for w in plan:
                measure(w, servers[w.server], args.clients, args.warmup)
            for round_no in range(args.rounds):
                for w in plan:
                    runs[w.key].append(measure(w, servers[w.server], args.clients, args.seconds))
                    print(f"  round {round_no + 1}: {w.label}: {runs[w.key][-1]['rps']:.0f} req/s", file=sys.stderr)
                stall = run_wrk(
                    servers["sqlite"].url,
                    "claim_release.lua",
                    [TOKEN, REPOS[10_000]],
                    1,
                    1,
                    args.stall_seconds,
                    servers["sqlite"].pid,
                )
                stalls.append(stall)
                restarts.append(restart_first_claim(servers["restart"], round_no))
                print(
                    f"  round {round_no + 1}: stall max/p50 {stall['claim']['max'] / stall['claim']['p50']:.1f}x, "
                    f"first claim after restart {restarts[-1]['first_claim_ms']:.0f} ms",
                    file=sys.stderr,
                )
        finally:
            for server in servers.values():
                server.stop()
    return summarise(args, plan, runs, stalls, restarts, load_start, os.getloadavg())


@contextmanager
def contextlib_or_null(admin_url: str | None) -> Iterator[str | None]:
    if not admin_url:
        yield None
        return
    with throwaway_database(admin_url) as url:
        yield url


def summarise(
    args: argparse.Namespace,
    plan: list[Workload],
    runs: dict[str, list[dict[str, Any]]],
    stalls: list[dict[str, Any]],
    restarts: list[dict[str, float]],
    load_start: tuple[float, float, float],
    load_end: tuple[float, float, float],
) -> dict[str, Any]:
    res: dict[str, Any] = {}
    rows = []
    for w in plan:
        got = runs[w.key]
        fig = {
            "rps": median([r["rps"] for r in got]),
            "server_cpu_ms": median([r["server_cpu_ms"] for r in got]),
            "gen_cpu_share": median([r["gen_cpu_share"] for r in got]),
        }
        if w.repo is None:
            fig |= {"p50_ms": median([r["all"]["p50"] / 1000 for r in got])}
            fig |= {"p99_ms": median([r["all"]["p99"] / 1000 for r in got])}
        else:
            for kind in ("claim", "release"):
                for q in ("p50", "p99"):
                    fig[f"{kind}_{q}_ms"] = median([r[kind][q] / 1000 for r in got])
        res |= {f"{w.key}_{k}": v for k, v in fig.items()}
        rows.append((w, fig))
    res["floor_share_of_bare"] = res["floor_rps"] / res["bare_rps"]
    if "sqlite_10000" in runs:
        res["claim_share_of_floor_sqlite_10000"] = res["sqlite_10000_rps"] / res["floor_rps"]
        res["claim_share_of_bare_sqlite_10000"] = res["sqlite_10000_rps"] / res["bare_rps"]
        res["claim_share_of_healthz_sqlite_10000"] = res["sqlite_10000_rps"] / res["healthz_rps"]
        res["sqlite_claim_p99_10000_vs_100"] = res["sqlite_10000_claim_p99_ms"] / res["sqlite_100_claim_p99_ms"]
    if "pg_10000" in runs:
        res["claim_share_of_bare_pg_10000"] = res["pg_10000_rps"] / res["bare_rps"]
        res["pg_vs_sqlite_100"] = res["pg_100_rps"] / res["sqlite_100_rps"]
        res["pg_vs_sqlite_10000"] = res["pg_10000_rps"] / res["sqlite_10000_rps"]
        res["pg_claim_p99_10000_vs_100"] = res["pg_10000_claim_p99_ms"] / res["pg_100_claim_p99_ms"]
    res["stall_claim_p50_ms"] = median([s["claim"]["p50"] / 1000 for s in stalls])
    res["stall_claim_max_ms"] = median([s["claim"]["max"] / 1000 for s in stalls])
    res["stall_max_vs_p50"] = median([s["claim"]["max"] / s["claim"]["p50"] for s in stalls])
    res["stall_gen_cpu_share"] = median([s["gen_cpu_share"] for s in stalls])
    for key in ("ready_s", "first_claim_ms", "second_claim_ms", "first_after_ready_ms"):
        res[f"restart_{key}"] = median([r[key] for r in restarts])
    res["load_start"] = list(load_start)
    res["load_end"] = list(load_end)

    print(
        f"\n{args.rounds} interleaved round(s) x {args.seconds:g} s per workload, {args.clients} connections (wrk),"
        f" 20,000 tracked files; medians; latencies in ms"
    )
    print(f"{'workload':34} {'req/s':>7} {'p50':>7} {'p99':>7} {'rel p50':>7} {'rel p99':>7}", end="")
    print(f" {'CPU/req':>8} {'wrk CPU':>7}")
    for w, fig in rows:
        if w.repo is None:
            lat = f"{fig['p50_ms']:7.2f} {fig['p99_ms']:7.2f} {'-':>7} {'-':>7}"
        else:
            lat = " ".join(f"{fig[f'{k}_{q}_ms']:7.2f}" for k in ("claim", "release") for q in ("p50", "p99"))
        print(f"{w.label:34} {fig['rps']:7.0f} {lat} {fig['server_cpu_ms']:6.2f}ms {fig['gen_cpu_share']:7.0%}")
    print("(p50/p99 of claim requests; rel = release; CPU/req = server CPU per request; wrk CPU = share of a core)")
    if "claim_share_of_bare_sqlite_10000" in res:
        print(
            f"claim+release @10,000 vs bare route: SQLite {res['claim_share_of_bare_sqlite_10000']:.3f}x"
            + (f", PostgreSQL {res['claim_share_of_bare_pg_10000']:.3f}x" if "pg_10000_rps" in res else "")
            + " (target >= 0.20x)"
        )
    print(
        f"the framework alone (coord's claim and release models, auth dependency and body limit, no coord):"
        f" {res['floor_share_of_bare']:.3f}x the bare route"
        + (
            f"; coord's claim+release on SQLite @10,000 is {res['claim_share_of_floor_sqlite_10000']:.3f}x of it"
            if "claim_share_of_floor_sqlite_10000" in res
            else ""
        )
    )
    if "pg_vs_sqlite_10000" in res:
        print(
            f"PostgreSQL vs SQLite: {res['pg_vs_sqlite_100']:.2f}x @100, {res['pg_vs_sqlite_10000']:.2f}x @10,000"
            " (target >= 0.70x)"
        )
        print(
            f"claim p99 @10,000 / @100: SQLite {res['sqlite_claim_p99_10000_vs_100']:.2f}x,"
            f" PostgreSQL {res['pg_claim_p99_10000_vs_100']:.2f}x (target <= 2x)"
        )
    print(
        f"stall check ({args.stall_seconds:g} s, one client, SQLite @10,000):"
        f" claim max {res['stall_claim_max_ms']:.1f} ms vs p50 {res['stall_claim_p50_ms']:.2f} ms"
        f" = {res['stall_max_vs_p50']:.1f}x (target <= 10x)"
    )
    print(
        f"restart with {args.restart_claims:,} active claims: ready after {res['restart_ready_s']:.2f} s;"
        f" first claim {res['restart_first_claim_ms']:.0f} ms after /readyz said ready"
        f" (second {res['restart_second_claim_ms']:.0f} ms; target <= 500 ms)"
    )
    print(
        "load average (1, 5, 15 min): start {:.2f} {:.2f} {:.2f}, end {:.2f} {:.2f} {:.2f}".format(
            *load_start, *load_end
        )
    )
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per workload and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16, help="wrk connections (at most 50)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per workload before the rounds")
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--restart-claims", type=int, default=30_000)
    parser.add_argument(
        "--pg-url", help="PostgreSQL server for a throwaway database (default: COORD_TEST_DATABASE_URL)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 round, 2 s phases, 5 s stall check, 3,000 claims at the restart",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup, args.stall_seconds, args.restart_claims = 1, 2.0, 1.0, 5.0, 3_000
    if not 1 <= args.clients <= 50:
        parser.error("--clients must be between 1 and 50 (each connection claims in its own directory)")
    if shutil.which("wrk") is None:
        print(f"benchmarks/service.py needs the load generator wrk, which is not on PATH; {WRK_HINT}", file=sys.stderr)
        sys.exit(2)
    if not Path("/proc/self/stat").exists():
        print("benchmarks/service.py reads process CPU times from /proc: run it on Linux", file=sys.stderr)
        sys.exit(2)
    results = run(args)
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
