"""Release requests through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service import ClaimRequest, ClaimService, ReleaseAnswer, ReleaseAsk
from coordination.service.records import iso_z
from coordination.service.requests import Negotiation

F = ClaimType.FILE
ALEX, BOB, CAROL, DAN = "alex/claude/1", "bob/codex/1", "carol/cursor/1", "dan/claude/2"
SID = "0123456789abcdef"


def req(engineer: str, *patterns: str, symbols: tuple[str, ...] = (), **kw: object) -> ClaimRequest:
    items = [ClaimItem(F, p, symbols) for p in patterns]
    return ClaimRequest(engineer=engineer, items=items, repo_id="org/app", **kw)  # type: ignore[arg-type]


def grab(service: ClaimService, engineer: str, pattern: str, **kw: object) -> dict:
    return service.create_claims(req(engineer, pattern, **kw)).claims[0]


def ask(claim_id: int, pattern: str | None = None, requester: str = BOB, **kw: object) -> ReleaseAsk:
    return ReleaseAsk(
        repo_id="org/app",
        requester=requester,
        claim_id=claim_id,
        reason=kw.pop("reason", "need it for the login fix"),
        pattern=pattern,
        **kw,
    )  # type: ignore[arg-type]


def notices(service: ClaimService, engineer: str) -> list[dict]:
    """The engineer's pending notices, as the API shows them."""
    return [n.as_json() for n in service.heartbeat(SID, engineer, "org/app").pending_requests]


def events(service: ClaimService, kind: str) -> list[dict]:
    return [e.as_json() for e in service.events("org/app") if e.event_type == kind]


@pytest.fixture
def nego(service: ClaimService) -> Negotiation:
    return service.requests


def test_release_cycle_clamp_notices_and_audit(service: ClaimService, nego: Negotiation, clock) -> None:
    held = grab(service, ALEX, "src/auth/**", ttl_hours=4)
    with pytest.raises(Conflict):
        service.create_claims(req(BOB, "src/auth/login.ts"))
    made = nego.request_release(ask(held.id, "src/auth/login.ts", urgency="high"))
    assert made.state == "open" and made.holder == ALEX and made.urgency == "high"
    assert made.wanted_pattern == "src/auth/login.ts" and made.answer is None
    # The holder had 4h left; after the request at most COORD_REQUEST_TTL_SHORT_SEC (300 s).
    left = (service.get_claim(held.id).expires_at - clock.now).total_seconds()
    assert 0 < left <= 300
    assert made.claim.expires_at == service.get_claim(held.id).expires_at
    # The holder sees the request once, on its next call; the requester sees nothing yet.
    assert notices(service, BOB) == []
    (notice,) = notices(service, ALEX)
    assert notice["kind"] == "release-request" and notice["request_id"] == made.id
    assert notice["claim_id"] == held.id and notice["requester"] == BOB and "need it" in notice["message"]
    assert notices(service, ALEX) == []
    clock.advance(seconds=30)
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "release", note="all yours"))
    assert done.state == "answered" and done.answer == "release"
    assert done.answer_detail == {"released": [held.id], "note": "all yours"}
    assert done.claim.state == "released" and done.granted is None
    assert service.get_claim(held.id).state == "released"
    (answer,) = notices(service, BOB)
    assert answer["kind"] == "release-answer" and answer["answer"] == "release"
    assert answer["request_id"] == made.id
    assert notices(service, BOB) == []
    assert nego.get(made.id).state == "answered"
    service.create_claims(req(BOB, "src/auth/login.ts"))
    kinds = [e.event_type for e in service.events("org/app")]
    assert kinds == ["grant", "conflict", "release-request", "release", "release-answer", "grant"]
    (filed,) = events(service, "release-request")
    assert filed["engineer"] == BOB and filed["claim_id"] == held.id
    assert filed["detail"]["urgency"] == "high" and filed["detail"]["request_id"] == made.id
    (answered,) = events(service, "release-answer")
    assert answered["engineer"] == ALEX and answered["detail"]["answer"] == "release"
    assert events(service, "release")[0]["engineer"] == ALEX


def test_clamp_never_lengthens_a_claim(service: ClaimService, nego: Negotiation, clock) -> None:
    held = grab(service, ALEX, "src/a.ts", ttl_hours=1)
    clock.advance(minutes=58)
    before = service.get_claim(held.id).expires_at
    nego.request_release(ask(held.id))
    assert service.get_claim(held.id).expires_at == before


def test_clamp_uses_the_setting(make_service, clock) -> None:
    service = make_service(request_ttl_short_sec=60)
    held = grab(service, ALEX, "src/a.ts")
    service.requests.request_release(ask(held.id))
    assert (service.get_claim(held.id).expires_at - clock.now).total_seconds() == 60
    clock.advance(seconds=61)
    service.create_claims(req(BOB, "src/a.ts"))  # a silent holder no longer blocks


def test_narrow_by_pattern(service: ClaimService, nego: Negotiation, clock) -> None:
    held = grab(service, ALEX, "src/**", ttl_hours=4)
    original = held.expires_at
    made = nego.request_release(ask(held.id, "src/auth/**"))
    assert service.get_claim(held.id).expires_at < original
    with pytest.raises(Invalid, match="not inside"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="lib/**"))
    with pytest.raises(Invalid, match="same paths"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="src/**"))
    with pytest.raises(Invalid, match="exactly one"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "narrow"))
    with pytest.raises(Invalid, match="only go with answer 'narrow'"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "deny", keep_pattern="src/ui/**"))
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="src/{ui,lib}/**"))
    assert done.answer == "narrow" and done.claim.pattern == "src/{ui,lib}/**"
    assert done.answer_detail["previous_pattern"] == "src/**"
    assert done.answer_detail["wanted_scope_free"] is True
    # A cooperative answer gives the holder its time back.
    assert service.get_claim(held.id).expires_at == original
    # The requester's next successful call carries the answer.
    got = service.create_claims(req(BOB, "src/auth/x.ts"))
    (answer,) = [n.as_json() for n in got.pending_requests]
    assert answer["kind"] == "release-answer" and answer["answer"] == "narrow" and "free" in answer["message"]
    with pytest.raises(Conflict):
        service.create_claims(req(BOB, "src/ui/button.ts"))
    (narrowed,) = events(service, "narrow")
    assert narrowed["detail"]["kept_pattern"] == "src/{ui,lib}/**" and narrowed["engineer"] == ALEX


def test_narrow_a_module_keeps_a_subdirectory(service: ClaimService, nego: Negotiation) -> None:
    held = service.create_claims(ClaimRequest(ALEX, [ClaimItem(ClaimType.MODULE, "src")], "org/app")).claims[0]
    made = nego.request_release(ask(held.id, "src/auth/login.ts"))
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="src/ui"))
    assert done.claim.pattern == "src/ui/**" and done.claim.type == "module"
    service.create_claims(req(BOB, "src/auth/login.ts"))


def test_narrow_by_symbols(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/router.ts", symbols=("Router::handleAuth", "Router::handleLogout"))
    made = nego.request_release(ask(held.id, "src/router.ts", symbols=("Router::handleLogout",)))
    assert made.wanted_symbols == ("Router::handleLogout",)
    with pytest.raises(Invalid, match="not part of claim"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_symbols=("Other",)))
    with pytest.raises(Invalid, match="nothing is freed"):
        nego.respond(
            made.id, ReleaseAnswer(ALEX, "narrow", keep_symbols=("Router::handleAuth", "Router::handleLogout"))
        )
    with pytest.raises(Invalid, match="keep_symbols"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="src/*.ts"))
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_symbols=("Router::handleAuth",)))
    assert done.claim.symbols == ("Router::handleAuth",)
    assert done.answer_detail["kept_symbols"] == ["Router::handleAuth"]
    assert done.answer_detail["wanted_scope_free"] is True
    got = service.create_claims(req(BOB, "src/router.ts", symbols=("Router::handleLogout",)))
    assert got.decisions[0].outcome == "AUTO_COEXIST"


def test_narrow_a_whole_file_to_symbols(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/app.ts")
    made = nego.request_release(ask(held.id))  # no pattern: the holder's whole pattern
    assert made.wanted_pattern == "src/app.ts"
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "narrow", keep_symbols=("App::render",)))
    assert done.claim.symbols == ("App::render",)
    # Bob asked for the whole file, which still collides with the kept symbol.
    assert done.answer_detail["wanted_scope_free"] is False
    with pytest.raises(Conflict):
        service.create_claims(req(BOB, "src/app.ts"))
    service.create_claims(req(BOB, "src/app.ts", symbols=("App::load",)))


def test_coexist_grants_the_wanted_scope_beside_the_holder(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/auth/**", ttl_hours=4)
    made = nego.request_release(ask(held.id, "src/auth/login.ts", session_id=SID, ttl_hours=2))
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "coexist"))
    granted = done.granted
    assert granted.engineer == BOB and granted.pattern == "src/auth/login.ts"
    assert granted.session_id == SID and granted.state == "active"
    assert granted.coexists_with == (held.id,)
    assert service.get_claim(held.id).coexists_with == (granted.id,)
    assert service.get_claim(held.id).expires_at == held.expires_at
    assert done.answer_detail["granted_claim"] == granted.id
    # Everyone else is still kept out of both.
    with pytest.raises(Conflict) as err:
        service.create_claims(req(DAN, "src/auth/login.ts"))
    assert {c["claim_id"] for c in err.value.body()["conflicts"]} == {held.id, granted.id}
    assert [e["claim_id"] for e in events(service, "grant")][-1] == granted.id
    (answer,) = notices(service, BOB)
    assert answer["answer"] == "coexist" and answer["answer_detail"]["granted_claim"] == granted.id
    # Releasing one partner unlinks it from the other.
    service.release(granted.id, BOB)
    assert service.get_claim(held.id).coexists_with == ()


def test_coexist_is_still_checked_against_other_claims(service: ClaimService, nego: Negotiation) -> None:
    a = grab(service, ALEX, "src/router.ts", symbols=("Router::a",))
    c = grab(service, CAROL, "src/router.ts", symbols=("Router::b",))
    made = nego.request_release(ask(a.id, "src/router.ts"))
    with pytest.raises(Conflict, match="cannot coexist") as err:
        nego.respond(made.id, ReleaseAnswer(ALEX, "coexist"))
    assert [x["claim_id"] for x in err.value.body()["conflicts"]] == [c.id]
    assert nego.get(made.id).state == "open"  # nothing written; the holder may answer again
    assert service.list_claims("org/app", engineer=BOB) == []
    assert nego.respond(made.id, ReleaseAnswer(ALEX, "deny")).answer == "deny"


def test_deny_keeps_the_clamp_and_answering_twice_is_409(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/a.ts", ttl_hours=4)
    made = nego.request_release(ask(held.id, reason="  release please "))
    assert made.reason == "release please"
    clamped = service.get_claim(held.id).expires_at
    done = nego.respond(made.id, ReleaseAnswer(ALEX, "deny", note="almost done"))
    assert done.answer == "deny" and done.answer_detail == {"expires_at": iso_z(clamped), "note": "almost done"}
    assert service.get_claim(held.id).expires_at == clamped
    assert service.get_claim(held.id).state == "active"
    with pytest.raises(Conflict, match="already answered"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "release"))
    (answer,) = notices(service, BOB)
    assert answer["answer"] == "deny" and "almost done" in str(answer["answer_detail"])
    (event,) = events(service, "release-answer")
    assert event["detail"]["answer"] == "deny" and event["detail"]["note"] == "almost done"


def test_refusals(service: ClaimService, nego: Negotiation, clock) -> None:
    held = grab(service, ALEX, "src/a.ts")
    with pytest.raises(NotFound):
        nego.request_release(ask(999_999))
    with pytest.raises(NotFound):
        nego.request_release(ReleaseAsk("org/other", BOB, held.id, "why"))
    with pytest.raises(Invalid, match="your own"):
        nego.request_release(ask(held.id, requester=ALEX))
    with pytest.raises(Invalid, match="reason"):
        nego.request_release(ask(held.id, reason="   "))
    with pytest.raises(Invalid, match="urgency"):
        nego.request_release(ask(held.id, urgency="asap"))
    with pytest.raises(Invalid, match="does not conflict"):
        nego.request_release(ask(held.id, "docs/x.md"))
    with pytest.raises(Invalid, match="invalid pattern"):
        nego.request_release(ask(held.id, "../x"))
    made = nego.request_release(ask(held.id))
    with pytest.raises(Conflict, match="already asked") as err:
        nego.request_release(ask(held.id))
    assert err.value.body()["request_id"] == made.id
    with pytest.raises(Forbidden, match="only the holder"):
        nego.respond(made.id, ReleaseAnswer(BOB, "release"))
    with pytest.raises(NotFound):
        nego.respond(424242, ReleaseAnswer(ALEX, "release"))
    with pytest.raises(Invalid, match="answer must be"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "maybe"))
    assert nego.get(made.id).state == "open"
    service.release(held.id, ALEX)
    with pytest.raises(Conflict, match="no longer active"):
        nego.request_release(ask(held.id))
    # An open request whose claim ended shows as cancelled, and answering it is a 409.
    assert nego.get(made.id).state == "cancelled"
    with pytest.raises(Conflict, match="no longer active"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "deny"))
    assert nego.get(made.id).answer_detail["reason"] == f"claim {held.id} released"
    with pytest.raises(NotFound):
        nego.get(424242)


def test_an_expired_claim_cannot_be_answered(service: ClaimService, nego: Negotiation, clock) -> None:
    held = grab(service, ALEX, "src/a.ts")
    made = nego.request_release(ask(held.id))
    clock.advance(seconds=301)
    with pytest.raises(Conflict, match="expired"):
        nego.respond(made.id, ReleaseAnswer(ALEX, "coexist"))
    assert nego.get(made.id).state == "cancelled"
    # Cancelling does not bring an expired claim back.
    assert service.get_claim(held.id).state == "expired"


def test_release_answers_every_open_request_on_the_claim(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/**")
    first = nego.request_release(ask(held.id, "src/a.ts"))
    second = nego.request_release(ask(held.id, "src/b.ts", requester=CAROL, urgency="blocking"))
    nego.respond(first.id, ReleaseAnswer(ALEX, "release"))
    other = nego.get(second.id)
    assert other.state == "answered" and other.answer == "release"
    assert other.answer_detail["answered_with"] == first.id
    assert [n["answer"] for n in notices(service, CAROL)] == ["release"]
    assert len(events(service, "release-answer")) == 2


def test_ttl_comes_back_only_when_no_request_is_open(service: ClaimService, nego: Negotiation) -> None:
    held = grab(service, ALEX, "src/**", ttl_hours=4)
    first = nego.request_release(ask(held.id, "src/a.ts"))
    second = nego.request_release(ask(held.id, "src/b.ts", requester=CAROL))
    nego.respond(first.id, ReleaseAnswer(ALEX, "narrow", keep_pattern="src/b/**"))
    assert service.get_claim(held.id).expires_at < held.expires_at
    with pytest.raises(Forbidden, match="only the requester"):
        nego.cancel(second.id, ALEX)
    cancelled = nego.cancel(second.id, CAROL)
    assert cancelled.state == "cancelled" and "cancelled by" in cancelled.answer_detail["reason"]
    assert service.get_claim(held.id).expires_at == held.expires_at
    with pytest.raises(Conflict):
        nego.cancel(second.id, CAROL)
    assert [n["kind"] for n in notices(service, ALEX)] == ["release-request", "release-request", "release-cancel"]


def test_list_filters(service: ClaimService, nego: Negotiation) -> None:
    a = grab(service, ALEX, "src/a.ts")
    c = grab(service, CAROL, "src/c.ts")
    r1 = nego.request_release(ask(a.id))
    r2 = nego.request_release(ask(c.id, requester=ALEX))
    nego.respond(r2.id, ReleaseAnswer(CAROL, "deny"))
    ids = lambda **kw: [r.id for r in nego.list(repo_id="org/app", **kw)]  # noqa: E731
    assert ids() == [r2.id, r1.id]
    assert ids(engineer=ALEX, role="holder") == [r1.id]
    assert ids(engineer=ALEX, role="requester") == [r2.id]
    assert ids(engineer=ALEX) == [r2.id, r1.id]
    assert ids(engineer=BOB, role="holder") == []
    assert ids(state="open") == [r1.id]
    assert ids(state="answered") == [r2.id]
    assert ids(state="cancelled") == []
    assert ids(limit=1) == [r2.id]
    assert nego.list(repo_id="org/other") == []
    with pytest.raises(Invalid, match="role needs engineer"):
        nego.list(role="holder")
    with pytest.raises(Invalid):
        nego.list(engineer=ALEX, role="boss")
    with pytest.raises(Invalid):
        nego.list(state="pending")
