"""Every claim acknowledged with a 200 survives the server being killed with SIGKILL."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.support.server import start_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_acknowledged_claims_survive_sigkill(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    env = {"COORD_DATABASE_URL": request.getfixturevalue("pg_migrated_url")} if backend == "postgres" else {}
    server = start_server(tmp_path, env=env)
    acked: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with server.client() as client:
            i = 0
            while not stop.is_set():
                i += 1
                body = {
                    "engineer": f"w{worker}/agent/1",
                    "repo_id": "dur/repo",
                    "claims": [{"type": "file", "pattern": f"w{worker}/f{i}.ts"}],
                }
                try:
                    r = client.post("/claims", json=body)
                except httpx.HTTPError:
                    return  # the server died mid-request: that claim was never acknowledged
                if r.status_code == 200:
                    with lock:
                        acked.append(r.json()["claims"][0]["id"])

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 200:
        threading.Event().wait(0.01)
    server.kill()  # SIGKILL while the workers are still writing
    stop.set()
    for t in threads:
        t.join(timeout=30)
    survivor = start_server(tmp_path, env=env, port=int(server.url.rsplit(":", 1)[1]))
    try:
        with survivor.client() as client:
            active = client.get("/claims", params={"repo_id": "dur/repo", "limit": 10000}).json()["claims"]
        assert set(acked) <= {c["id"] for c in active}
    finally:
        survivor.stop()
