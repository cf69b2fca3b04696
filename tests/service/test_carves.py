"""Carves through the service on both stores: per-claim carves and their handover when a claim ends."""

from __future__ import annotations

import json

from coordination.core.model import ClaimItem, ClaimType
from coordination.service import ClaimRequest, ClaimService
from tests.support.invariant import assert_exclusive

F = ClaimType.FILE
REPO = "org/app"
ANA, BO = "ana/claude/1", "bo/codex/1"


def claim(service: ClaimService, engineer: str, path: str, *symbols: str) -> int:
    got = service.create_claims(ClaimRequest(engineer=engineer, items=[ClaimItem(F, path, symbols)], repo_id=REPO))
    return int(got.claims[0].id)


def carved(service: ClaimService, claim_id: int) -> list[tuple[str, str, int]]:
    return [(c.path, c.symbol, c.by) for c in service.get_claim(claim_id).carved]


def test_a_second_claim_inside_a_carve_takes_its_own_carve_without_a_second_notice(service: ClaimService) -> None:
    whole = claim(service, ANA, "src/f.ts")
    foo = claim(service, BO, "src/f.ts", "Foo")
    bar = claim(service, BO, "src/f.ts", "Foo::bar")
    assert carved(service, whole) == [("src/f.ts", "Foo", foo), ("src/f.ts", "Foo::bar", bar)]
    # The holder's scope did not shrink again: one notice, for Foo.
    pending = service.heartbeat("ana-session", ANA, REPO).pending_requests
    assert [(p.kind, p.detail["symbols"]) for p in pending] == [("auto-narrow", ["Foo"])]
    service.release(foo, BO)
    assert carved(service, whole) == [("src/f.ts", "Foo::bar", bar)]
    assert_exclusive([c.as_json() for c in service.list_claims(REPO)])


def test_a_claim_granted_without_a_carve_of_its_own_takes_the_carve_over(service: ClaimService) -> None:
    """Rows written before carves were held per claim: Foo::bar rode on the Foo carve, unlinked."""
    whole = claim(service, ANA, "src/f.ts")
    foo = claim(service, BO, "src/f.ts", "Foo")
    bar = claim(service, BO, "src/f.ts", "Foo::bar")
    with service.store.write(REPO) as tx:
        tx.execute(
            "UPDATE claims SET carved = ?, coexists_with = ? WHERE id = ?",
            (json.dumps([{"path": "src/f.ts", "symbol": "Foo", "by": foo}]), json.dumps([foo]), whole),
        )
        tx.execute("UPDATE claims SET coexists_with = '[]' WHERE id = ?", (bar,))
    assert_exclusive([c.as_json() for c in service.list_claims(REPO)])
    service.release(foo, BO)
    assert carved(service, whole) == [("src/f.ts", "Foo::bar", bar)]
    assert service.get_claim(whole).coexists_with == (bar,)
    assert service.get_claim(bar).coexists_with == (whole,)
    handover = [e.as_json() for e in service.events(REPO) if e.event_type == "carve-handover"]
    assert [(e["claim_id"], e["detail"]["holder"], e["detail"]["ended"]) for e in handover] == [(bar, whole, [foo])]
    assert_exclusive([c.as_json() for c in service.list_claims(REPO)])
