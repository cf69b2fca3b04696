"""The sweep forgets sessions that went silent and hold nothing, on SQLite and PostgreSQL.

Agents never end their sessions, and every claim reads the sessions silent past the idle
timeout to tell whether a claim still counts; a table keeping every session ever seen made
each claim slower with it. A session without claims decides nothing, so the sweep deletes it.
"""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict
from coordination.service import ClaimRequest, ClaimService
from coordination.store import sessions as session_rows
from tests.support.invariant import assert_exclusive

REPO = "org/app"
ALEX, BOB, CAROL, DAVE = "alex/claude/1", "bob/codex/1", "carol/cursor/1", "dave/aider/1"
SA, SB, SC, SD = ("a" * 16, "b" * 16, "c" * 16, "d" * 16)


def req(engineer: str, pattern: str, **kw: object) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[ClaimItem(ClaimType.FILE, pattern)], repo_id=REPO, **kw)  # type: ignore[arg-type]


def sessions(service: ClaimService) -> set[str]:
    with service.store.read() as tx:
        return set(tx.rows(str, "SELECT session_id FROM sessions"))


def test_the_sweep_forgets_silent_sessions_that_hold_nothing(make_service, clock) -> None:
    service: ClaimService = make_service(idle_timeout_sec=60)
    service.create_claims(req(ALEX, "src/a.ts", session_id=SA))  # still holds it when it goes silent
    released = service.create_claims(req(BOB, "src/b.ts", session_id=SB)).claims[0]
    service.release(released.id, BOB)
    service.heartbeat(SC, CAROL, REPO)  # seen, never claimed
    clock.advance(seconds=30)
    service.heartbeat(SD, DAVE, REPO)
    clock.advance(seconds=45)  # a, b and c silent for 75 s, past the 60 s idle timeout; d for 45 s
    assert sessions(service) == {SA, SB, SC, SD}

    counts = service.sweep()

    assert counts["idle_expired"] == 1  # alex's claim ended first, which leaves its session holding nothing
    assert sessions(service) == {SD}
    assert service.list_claims(REPO) == []


def test_a_forgotten_session_that_comes_back_starts_afresh_and_holds_nobody_elses_scope(make_service, clock) -> None:
    service: ClaimService = make_service(idle_timeout_sec=60)
    service.create_claims(req(ALEX, "src/a.ts", session_id=SA))
    clock.advance(seconds=90)
    service.sweep()
    assert sessions(service) == set()
    service.create_claims(req(BOB, "src/a.ts", session_id=SB))

    with pytest.raises(Conflict):
        service.create_claims(req(ALEX, "src/a.ts", session_id=SA))
    again = service.create_claims(req(ALEX, "src/c.ts", session_id=SA)).claims[0]
    clock.advance(seconds=30)
    service.heartbeat(SA, ALEX, REPO)
    clock.advance(seconds=45)  # seen 45 s ago: its new claim still counts
    with pytest.raises(Conflict):
        service.create_claims(req(CAROL, "src/c.ts"))

    assert {c.id for c in service.list_claims(REPO, engineer=ALEX)} == {again.id}
    assert_exclusive([c.as_json() for c in service.list_claims(REPO)])


def test_a_session_that_holds_a_claim_or_waits_in_the_queue_is_kept(make_service) -> None:
    service: ClaimService = make_service(idle_timeout_sec=60)
    service.create_claims(req(ALEX, "src/a.ts", session_id=SA))
    waiting = service.create_claims(req(BOB, "src/a.ts", session_id=SB, wait_seconds=600))
    assert waiting.queue is not None and waiting.queue.state == "waiting"
    service.heartbeat(SC, CAROL, REPO)
    with service.store.write(None) as tx:
        forgotten = session_rows.forget_silent(tx, cutoff=4_000_000_000.0)  # every session counts as silent

    assert forgotten == 1
    assert sessions(service) == {SA, SB}


@pytest.mark.parametrize("background", [True, False])
def test_a_start_forgets_the_silent_sessions_an_older_version_kept(tmp_path, background: bool) -> None:
    """The first sweep comes an interval after start; a start forgets them at once (unless
    background cleanup is off, which leaves the table as it is)."""
    import sqlite3
    import time

    from fastapi.testclient import TestClient

    from coordination.api.app import create_app
    from tests.conftest import migrated_settings

    settings = migrated_settings(
        tmp_path, idle_timeout_sec=60, cleanup_interval_sec=3600, disable_background_cleanup=not background
    )
    with sqlite3.connect(settings.database_path) as conn:
        conn.executemany(
            "INSERT INTO sessions (session_id, engineer, last_seen) VALUES (?, ?, ?)",
            [(f"{i:016d}", "old/agent/1", time.time() - 86400) for i in range(50)] + [(SD, DAVE, time.time())],
        )
    conn.close()

    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        with sqlite3.connect(settings.database_path) as conn:
            left = {row[0] for row in conn.execute("SELECT session_id FROM sessions")}
        conn.close()

    assert left == ({SD} if background else {f"{i:016d}" for i in range(50)} | {SD})


def test_forgetting_reads_the_claims_and_the_queue_once_not_once_per_session(tmp_path) -> None:
    """SQLite's plan for the statement: lists built once, no subquery run for each session row."""
    import sqlite3

    from tests.support import databases

    path = databases.migrated_sqlite(tmp_path / "coord.db")
    with sqlite3.connect(path) as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + session_rows.FORGET_SILENT_SQL, (0.0,))]
    conn.close()
    assert any("LIST SUBQUERY" in step for step in plan), plan
    assert not any("CORRELATED" in step for step in plan), plan
