"""The same behaviour on SQLite and PostgreSQL: every use case through the service layer."""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service import ClaimRequest, ClaimService

F = ClaimType.FILE


def req(
    engineer: str,
    *patterns: str,
    symbols: tuple[str, ...] = (),
    repo: str = "org/app",
    type_: ClaimType = F,
    **kw: object,
) -> ClaimRequest:
    items = [ClaimItem(type_, p, symbols) for p in patterns]
    return ClaimRequest(engineer=engineer, items=items, repo_id=repo, **kw)  # type: ignore[arg-type]


def events(service: ClaimService, kind: str) -> list[dict]:
    return [e.as_json() for e in service.events("org/app") if e.event_type == kind]


def test_grant_then_conflict_then_release(service: ClaimService) -> None:
    granted = service.create_claims(req("alex/claude/1", "src/auth/**", description="auth"))
    (claim,) = granted.claims
    assert claim.state == "active" and claim.pattern == "src/auth/**" and claim.fence >= 1
    assert granted.decisions[0].outcome == "GRANT"
    with pytest.raises(Conflict) as err:
        service.create_claims(req("bob/codex/1", "src/auth/login.ts"))
    body = err.value.body()
    assert body["conflicts"][0]["engineer"] == "alex/claude/1"
    assert body["conflicts"][0]["claim_id"] == claim.id
    assert "alex/claude/1 holds src/auth/**" in body["suggestion"]
    assert service.release(claim.id, "alex/claude/1") == [claim.id]
    again = service.create_claims(req("bob/codex/1", "src/auth/login.ts"))
    assert again.claims[0].fence > claim.fence
    assert [e.event_type for e in service.events("org/app")] == [
        "grant",
        "conflict",
        "release",
        "grant",
    ]


def test_all_or_nothing(service: ClaimService) -> None:
    service.create_claims(req("alex/claude/1", "src/a.ts"))
    with pytest.raises(Conflict):
        service.create_claims(req("bob/codex/1", "src/b.ts", "src/a.ts"))
    assert service.list_claims("org/app", engineer="bob/codex/1") == []
    with pytest.raises(Invalid):
        service.create_claims(req("bob/codex/1", "src/c.ts", "/abs"))
    assert service.list_claims("org/app", engineer="bob/codex/1") == []


def test_repos_are_independent(service: ClaimService) -> None:
    one = service.create_claims(req("alex/claude/1", "src/**", repo="org/one"))
    two = service.create_claims(req("bob/codex/1", "src/**", repo="org/two"))  # no conflict: another repo
    assert [d.outcome for d in one.decisions + two.decisions] == ["GRANT", "GRANT"]
    assert [c.engineer for c in service.list_claims("org/one")] == ["alex/claude/1"]
    assert [c.engineer for c in service.list_claims("org/two")] == ["bob/codex/1"]
    assert service.list_claims("org/app") == []


def test_refreshing_own_claim_keeps_one_row(service: ClaimService, clock) -> None:
    first = service.create_claims(req("alex/claude/1", "src/**")).claims[0]
    clock.advance(hours=1)
    second = service.create_claims(req("alex/claude/1", "src/**"))
    assert second.claims[0].id == first.id
    assert second.decisions[0].refreshed is True
    assert second.claims[0].expires_at > first.expires_at
    assert len(service.list_claims("org/app")) == 1


def test_expired_claims_never_block_and_sweep_marks_them(service: ClaimService, clock) -> None:
    claim = service.create_claims(req("alex/claude/1", "src/**", ttl_hours=1)).claims[0]
    clock.advance(hours=1, seconds=1)
    assert service.get_claim(claim.id).state == "expired"
    other = service.create_claims(req("alex/claude/1", "docs/**", ttl_hours=1)).claims[0]
    clock.advance(hours=1, seconds=1)
    # The grant that passed over the expired claim ended it; the sweep ends the other one.
    service.create_claims(req("bob/codex/1", "src/a.ts"))
    assert service.sweep() == {"expired": 1, "idle_expired": 0, "queue_expired": 0}
    assert [e["claim_id"] for e in events(service, "expire")] == [claim.id, other.id]


def test_idle_sessions_release_their_claims(make_service, clock) -> None:
    service = make_service(idle_timeout_sec=60)
    claim = service.create_claims(req("alex/claude/1", "src/**", session_id="abcdef0123456789")).claims[0]
    clock.advance(seconds=30)
    service.heartbeat("abcdef0123456789", "alex/claude/1", "org/app")
    clock.advance(seconds=45)
    with pytest.raises(Conflict):
        service.create_claims(req("bob/codex/1", "src/a.ts"))
    clock.advance(seconds=30)
    # The grant that passed over the idle claim ended it, so the sweep has nothing left.
    service.create_claims(req("bob/codex/1", "src/a.ts"))
    assert service.sweep()["idle_expired"] == 0
    assert service.get_claim(claim.id).state == "idle_expired"
    assert len(events(service, "idle-expire")) == 1


def test_shared_ttl_and_shared_files_rule(service: ClaimService, clock) -> None:
    service.put_ownership("org/app", "# team rules\nshared_files:\n  - package.json  # everyone\n")
    got = service.create_claims(req("alex/claude/1", "package.json"))
    assert got.claims[0].type == "shared_file"
    assert got.decisions[0].type == "shared_file" and "shared_files" in got.decisions[0].note
    assert got.claims[0].expires_at.isoformat().startswith("2026-11-29T14:00")
    service.create_claims(req("bob/codex/1", "package.json"))
    assert "# everyone" in service.get_ownership("org/app")


def test_symbol_coexist_and_narrow(service: ClaimService) -> None:
    whole = service.create_claims(req("carol/cursor/1", "src/router.ts")).claims[0]
    a = service.create_claims(req("alex/claude/1", "src/router.ts", symbols=("Router::handleAuth",)))
    assert a.decisions[0].outcome == "AUTO_NARROW" and a.decisions[0].narrowed == (whole.id,)
    b = service.create_claims(req("bob/codex/1", "src/router.ts", symbols=("Router::handleLogout",)))
    assert b.decisions[0].outcome == "AUTO_NARROW"
    assert b.decisions[0].coexists_with == (a.claims[0].id,)
    with pytest.raises(Conflict):
        service.create_claims(req("dan/claude/2", "src/router.ts", symbols=("Router",)))
    narrowed = service.get_claim(whole.id)
    assert {c.symbol for c in narrowed.carved} == {
        "Router::handleAuth",
        "Router::handleLogout",
    }
    assert set(narrowed.coexists_with) == {a.claims[0].id, b.claims[0].id}
    assert service.get_claim(a.claims[0].id).coexists_with == (whole.id, b.claims[0].id)
    # The narrowed holder sees a notice on its next call, once.
    pending = service.heartbeat("0123456789abcdef", "carol/cursor/1", "org/app").pending_requests
    assert [p.kind for p in pending] == ["auto-narrow", "auto-narrow"]
    assert service.heartbeat("0123456789abcdef", "carol/cursor/1", "org/app").pending_requests == ()
    assert len(events(service, "auto-narrow")) == 2 and len(events(service, "auto-coexist")) == 1
    # Releasing a symbol claim gives its symbols back to the narrowed holder.
    service.release(a.claims[0].id, "alex/claude/1")
    narrowed = service.get_claim(whole.id)
    assert [c.symbol for c in narrowed.carved] == ["Router::handleLogout"]


def test_release_rules(service: ClaimService) -> None:
    claim = service.create_claims(req("alex/claude/1", "src/a.ts")).claims[0]
    with pytest.raises(Forbidden):
        service.release(claim.id, "bob/codex/1")
    with pytest.raises(NotFound):
        service.release(999_999, "alex/claude/1")
    assert service.release(claim.id, "bob/codex/1", force=True) == [claim.id]
    assert service.release(claim.id, "alex/claude/1") == []


def test_bulk_release(service: ClaimService) -> None:
    service.create_claims(req("alex/claude/1", "a.ts", "b.ts", session_id="s1"))
    service.create_claims(req("alex/claude/1", "c.ts", session_id="s2"))
    bobs = service.create_claims(req("bob/codex/1", "d.ts")).claims[0].id
    assert len(service.release_many("org/app", "alex/claude/1", session_id="s1")) == 2
    # A filter alone never reaches another engineer's claims.
    assert service.release_many("org/app", "alex/claude/1", pattern="d.ts") == []
    with pytest.raises(Forbidden):
        service.release_many("org/app", "alex/claude/1", claim_ids=[bobs])
    assert len(service.release_many("org/app", "alex/claude/1")) == 1
    with pytest.raises(Invalid):
        service.release_many("org/app", "")
    with pytest.raises(Invalid):
        service.release_many("org/app", "alex/claude/1", force=True)  # force needs a filter
    assert service.release_many("org/app", "ops/human/1", pattern="d.ts", force=True) == [bobs]
    (forced,) = [e for e in events(service, "release") if e["claim_id"] == bobs]
    assert forced["engineer"] == "ops/human/1" and forced["detail"]["holder"] == "bob/codex/1"


def test_extend(service: ClaimService, clock) -> None:
    claim = service.create_claims(req("alex/claude/1", "src/a.ts", ttl_hours=1)).claims[0]
    clock.advance(minutes=50)
    extended = service.extend(claim.id, "alex/claude/1", 2)
    assert extended.expires_at.isoformat().startswith("2026-11-29T14:50")
    with pytest.raises(Forbidden):
        service.extend(claim.id, "bob/codex/1", 2)
    with pytest.raises(Invalid):
        service.extend(claim.id, "alex/claude/1", 1000)
    clock.advance(hours=3)
    with pytest.raises(Conflict):
        service.extend(claim.id, "alex/claude/1", 2)
    assert [e.event_type for e in service.events("org/app")] == ["grant", "extend"]


def test_check_conflicts_writes_nothing(service: ClaimService) -> None:
    service.create_claims(req("alex/claude/1", "src/router.ts", symbols=("Router::handleAuth",)))
    before = service.events("org/app")
    safe = service.check_conflicts("org/app", "bob/codex/1", [], ["src/router.ts::Router::handleLogout"])
    assert safe.safe is True and safe.conflicts == ()
    busy = service.check_conflicts("org/app", "bob/codex/1", ["src/router.ts"])
    assert busy.has_conflicts and not busy.safe_to_proceed
    assert busy.conflicts[0].symbols == ("Router::handleAuth",) and busy.suggestion
    assert service.check_conflicts("org/app", "alex/claude/1", ["src/router.ts"]).safe
    assert service.events("org/app") == before


def test_verify_ours_and_theirs(service: ClaimService) -> None:
    mine = service.create_claims(req("alex/claude/1", "src/a/**")).claims[0]
    theirs = service.create_claims(req("bob/codex/1", "src/b.ts")).claims[0]
    service.put_ownership("org/app", "shared_files: [package.json]\n")
    service.create_claims(req("bob/codex/1", "package.json"))
    out = service.verify("org/app", "alex/claude/1", ["src/a/x.ts", "src/b.ts", "package.json", "free.ts"])
    assert [(o.path, o.claim_id) for o in out.ours] == [("src/a/x.ts", mine.id)]
    assert [(t.path, t.claim_id, t.fence) for t in out.theirs] == [("src/b.ts", theirs.id, theirs.fence)]


def test_fences_increase_per_repo(service: ClaimService) -> None:
    fences = [service.create_claims(req("alex/claude/1", f"f{i}.ts")).claims[0].fence for i in range(5)]
    assert fences == sorted(fences) and len(set(fences)) == 5


def test_ownership_validation(service: ClaimService) -> None:
    with pytest.raises(Invalid, match="not valid YAML"):
        service.put_ownership("org/app", "owners: [unclosed\n")
    with pytest.raises(Invalid, match="unknown top-level"):
        service.put_ownership("org/app", "ownerz: []\n")
    assert service.get_ownership("org/app") == ""


def test_readiness(service: ClaimService) -> None:
    ok, detail = service.ready()
    assert ok, detail


def test_narrowed_holder_can_refresh_its_claim(service: ClaimService) -> None:
    whole = service.create_claims(req("carol/cursor/1", "src/router.ts")).claims[0]
    service.create_claims(req("alex/claude/1", "src/router.ts", symbols=("Router::handleAuth",)))
    again = service.create_claims(req("carol/cursor/1", "src/router.ts"))
    assert again.claims[0].id == whole.id and again.decisions[0].refreshed is True


def test_check_conflicts_knows_shared_files(service: ClaimService) -> None:
    service.put_ownership("org/app", "shared_files: [package.json]\n")
    service.create_claims(req("alex/claude/1", "package.json"))
    assert service.check_conflicts("org/app", "bob/codex/1", ["package.json"]).safe is True
