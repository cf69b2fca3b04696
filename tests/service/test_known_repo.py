"""A release or extend finds the claim's repo in this process's memory, and checks it.

`Books.known_repo` answers for the claims this process inserted lately and the ones active
in its books, so releasing or extending them reads nothing from the store before taking the
repo's lock. The row read under that lock must be of that repo: a wrong answer (only a
database replaced under the books could give one) writes nothing and falls back to the store.
"""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import NotFound
from coordination.service import ClaimRequest, ClaimService
from coordination.service import claims as claims_module
from tests.support.invariant import assert_exclusive

REPO, OTHER = "org/app", "org/other"
ALEX, BOB = "alex/claude/1", "bob/codex/1"


def req(engineer: str, pattern: str, repo: str = REPO) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[ClaimItem(ClaimType.FILE, pattern)], repo_id=repo)


def store_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each read of a claim's repo from the store (and still answer it)."""
    asked: list[int] = []
    real = claims_module.repo_of_claim

    def counting(store: object, claim_id: int) -> str:
        asked.append(claim_id)
        return real(store, claim_id)  # type: ignore[arg-type]

    monkeypatch.setattr(claims_module, "repo_of_claim", counting)
    return asked


def test_a_claim_this_process_made_is_released_and_extended_without_asking_the_store(
    service: ClaimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = store_lookups(monkeypatch)
    first = service.create_claims(req(ALEX, "src/a.ts")).claims[0]
    second = service.create_claims(req(ALEX, "src/b.ts")).claims[0]
    service.create_claims(req(BOB, "src/c.ts"))  # loads the first two into the repo's book
    assert service.extend(first.id, ALEX, 2.0).id == first.id
    assert service.release(second.id, ALEX) == [second.id]
    assert service.release(first.id, ALEX) == [first.id]
    assert service.release(first.id, ALEX) == []  # ended already: a no-op, its repo still known
    assert asked == []


def test_a_claim_made_by_another_process_is_looked_up_in_the_store(make_service, monkeypatch) -> None:
    maker: ClaimService = make_service()
    other: ClaimService = make_service()
    claim = maker.create_claims(req(ALEX, "src/a.ts")).claims[0]
    asked = store_lookups(monkeypatch)
    assert other.release(claim.id, ALEX) == [claim.id]
    assert asked == [claim.id]
    with pytest.raises(NotFound):
        other.release(10**9, ALEX)


def test_a_wrong_repo_in_memory_writes_nothing_there_and_the_store_decides(
    service: ClaimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = service.create_claims(req(BOB, "src/a.ts", repo=OTHER)).claims[0]
    claim = service.create_claims(req(ALEX, "src/a.ts")).claims[0]
    service.ctx.books.remember(claim.id, OTHER)  # as if the database had been replaced under the books
    with service.store.read() as tx:
        other_seq = tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (OTHER,))
    asked = store_lookups(monkeypatch)

    assert service.release(claim.id, ALEX) == [claim.id]

    assert asked == [claim.id]
    with service.store.read() as tx:
        assert tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (OTHER,)) == other_seq
    assert [c.id for c in service.list_claims(OTHER)] == [elsewhere.id]
    assert service.list_claims(REPO) == []
    assert_exclusive([c.as_json() for c in service.list_claims(OTHER)])
