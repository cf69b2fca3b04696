"""Start-up loads every repo's claim book; readiness waits for it, and retries when the database failed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.service import ClaimRequest, ClaimService
from tests.support.seed import seed_postgres, seed_sqlite

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _seed(backend: dict[str, object], repo_id: str, count: int) -> None:
    if "database_url" in backend:
        seed_postgres(str(backend["database_url"]), repo_id, count)
    else:
        seed_sqlite(Path(str(backend["database_path"])), repo_id, count)


def test_warm_loads_every_repo_before_any_request(
    make_service: Callable[..., ClaimService], backend: dict[str, object]
) -> None:
    make_service()  # creates the schema
    _seed(backend, "r/one", 300)
    _seed(backend, "r/two", 20)
    service = make_service()
    assert service.warm() == {"repos": 2, "claims": 320}
    assert len(service.books.cache("r/one").book) == 300 and len(service.books.cache("r/two").book) == 20
    assert service.ready()[0]
    # the book is current: a seeded file is held, a fresh one is granted
    taken = service.check_conflicts("r/one", "x/cli/main", ["seed/d0/s0/f0.ts"])
    assert taken.conflicts


def test_ready_says_why_until_the_books_could_be_loaded(
    make_service: Callable[..., ClaimService], backend: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_service()
    _seed(backend, "r/one", 10)
    service = make_service()
    real = service.books.load_all

    def broken() -> dict[str, int]:
        raise OSError("disk I/O error")

    monkeypatch.setattr(service.books, "load_all", broken)
    assert service.warm() is None
    ok, detail = service.ready()
    assert not ok and "active claims not loaded yet" in detail
    monkeypatch.setattr(service.books, "load_all", real)
    assert service.ready()[0]  # retried, loaded
    assert len(service.books.cache("r/one").book) == 10
    item = ClaimItem(type=ClaimType.FILE, pattern="seed/d0/s0/f1.ts")
    result = service.claim(ClaimRequest(engineer="x/cli/main", items=[item], repo_id="r/other"))
    assert result.claims
