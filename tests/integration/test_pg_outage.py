"""PostgreSQL going away under load: fast 503s while it is gone, serving again within seconds.

The database "restarts" behind a TCP proxy the test cuts (every connection
closed, new ones refused) and restores; the shared PostgreSQL is never stopped.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.server import start_server
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

BUSY_SEC = 2.0


@dataclass
class Call:
    started: float
    ended: float
    status: int
    body: dict[str, object]


def _through(url: str, proxy: TcpProxy) -> str:
    parts = urllib.parse.urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))


def test_postgres_restart_under_load_fails_fast_and_recovers(tmp_path: Path, pg_migrated_url: str) -> None:
    upstream = urllib.parse.urlsplit(pg_migrated_url)
    with TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432) as proxy:
        env = {
            "COORD_DATABASE_URL": _through(pg_migrated_url, proxy),
            "COORD_DB_BUSY_TIMEOUT_SEC": str(BUSY_SEC),
            "COORD_DB_CONNECT_TIMEOUT_SEC": "2",
        }
        server = start_server(tmp_path, env=env)
        calls: list[Call] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(worker: int) -> None:
            with server.client() as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    body = {
                        "engineer": f"w{worker}/a/1",
                        "repo_id": "pg/outage",
                        "claims": [{"pattern": f"w{worker}/{i}.py"}],
                    }
                    t0 = time.monotonic()
                    r = client.post("/claims", json=body)
                    with lock:
                        calls.append(Call(t0, time.monotonic(), r.status_code, r.json()))
                    time.sleep(0.02)

        threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        try:
            for t in threads:
                t.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and sum(c.status == 200 for c in list(calls)) < 20:
                time.sleep(0.05)
            cut_at = time.monotonic()
            proxy.cut()
            time.sleep(4)  # the outage: long enough for many requests to meet it
            with httpx.Client(base_url=server.url, timeout=30) as probe:
                t0 = time.monotonic()
                ready = probe.get("/readyz")
                ready_sec = time.monotonic() - t0
            restored_at = time.monotonic()
            proxy.restore()
            deadline = restored_at + 20
            while time.monotonic() < deadline and not any(
                c.status == 200 and c.started > restored_at for c in list(calls)
            ):
                time.sleep(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        try:
            assert ready.status_code == 503 and ready.json()["status"] == "not_ready", ready.text
            assert ready_sec < BUSY_SEC + 2
            failures = [c for c in calls if c.status != 200]
            assert failures, "the outage produced no failed request"
            assert {c.status for c in failures} == {503}, failures[:3]
            assert all(c.body["error"] == "unavailable" and "retry" in str(c.body["detail"]) for c in failures)
            # Nobody hangs: every request answers within the wait budget, plus slack for this busy machine.
            slowest = max(c.ended - c.started for c in calls)
            assert slowest < BUSY_SEC + 3, slowest
            # Once the first 503 said the database is down, the next ones come fast.
            first_fail = min(c.ended for c in failures)
            later = [c.ended - c.started for c in failures if c.started > first_fail + 0.5 and c.started < restored_at]
            assert later and sorted(later)[len(later) // 2] < 1.5, (later, [c.body for c in failures][:8])
            recovered = min(c.ended for c in calls if c.status == 200 and c.started > restored_at)
            assert recovered - restored_at < 8, recovered - restored_at
            print(
                f"outage: {len(failures)} x 503, slowest call {slowest:.2f}s, "
                f"median fast-fail {sorted(later)[len(later) // 2]:.2f}s, "
                f"serving again {recovered - restored_at:.2f}s after restore (cut at {cut_at:.0f})"
            )
            with server.client() as client:
                assert client.get("/readyz").status_code == 200
                active = client.get("/claims", params={"repo_id": "pg/outage", "limit": 10000}).json()["claims"]
                acked = {str(c.body["claims"][0]["id"]) for c in calls if c.status == 200}  # type: ignore[index]
                assert acked <= {str(c["id"]) for c in active}
                assert_server_exclusive(client, repo_id="pg/outage")
        finally:
            server.stop()
