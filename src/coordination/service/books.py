"""This process's claim books: each repo's active claims in memory, kept in step by sequence number.

Every write to a repo's claims takes the repo's next sequence number
(`repo_state.seq`) and stamps the rows it writes with it. A book is the set of
active claims as of a sequence number; bringing it up to date reads only the rows
written since. The lock of a repo's book is what `uow.RepoWrite` takes first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from coordination import records
from coordination.core.book import ClaimBook
from coordination.store import Store, Tx
from coordination.store import claims as claim_rows
from coordination.store.rows import ClaimRow
from coordination.store.waits import DEFAULT_BUSY_TIMEOUT_SEC, WaitLock

__all__ = ["Books", "RepoCache"]

log = logging.getLogger("coordination.service")

# How many of the claims this process inserted last `Books.known_repo` remembers the repo of.
RECENT_CLAIMS = 10_000


@dataclass
class RepoCache:
    """This process's copy of a repo's active claims, as of sequence number `seq`."""

    # Bounded: a request queued behind a writer stuck on the database gets a 503, not an endless wait.
    lock: WaitLock = field(default_factory=lambda: WaitLock(DEFAULT_BUSY_TIMEOUT_SEC, "this repo's other requests"))
    seq: int = 0
    book: ClaimBook = field(default_factory=ClaimBook)


class Books:
    def __init__(self, store: Store, busy_timeout_sec: float) -> None:
        self.store = store
        self.busy_timeout_sec = busy_timeout_sec
        self._caches: dict[str, RepoCache] = {}
        self._caches_lock = threading.Lock()
        self._recent: dict[int, str] = {}  # claim id -> repo, the newest RECENT_CLAIMS inserted

    def cache(self, repo_id: str) -> RepoCache:
        with self._caches_lock:
            cache = self._caches.get(repo_id)
            if cache is None:
                lock = WaitLock(self.busy_timeout_sec, "this repo's other requests")
                cache = self._caches[repo_id] = RepoCache(lock=lock)
            return cache

    def remember(self, claim_id: int, repo_id: str) -> None:
        """A claim this process just inserted (`known_repo` finds it before its repo's book loads it)."""
        with self._caches_lock:
            self._recent[claim_id] = repo_id
            if len(self._recent) > RECENT_CLAIMS:
                del self._recent[next(iter(self._recent))]  # the oldest

    def known_repo(self, claim_id: int) -> str | None:
        """The repo of `claim_id` if this process knows it: one it inserted lately (`remember`),
        or one active in a repo's book. A claim never changes repo, so a release or extend of
        such a claim needs no read of the store to find which repo's lock to take; the row read
        under that lock is checked against it all the same (`Claims.in_claims_repo`)."""
        with self._caches_lock:
            recent = self._recent.get(claim_id)
            if recent is not None:
                return recent
            caches = list(self._caches.items())
        for repo_id, cache in caches:
            if cache.book.get(claim_id) is not None:
                return repo_id
        return None

    def bump(self, tx: Tx, repo_id: str) -> int:
        """The repo's next sequence number (also each new claim's fencing token)."""
        return claim_rows.next_seq(tx, repo_id)

    def advance_sent(self, tx: Tx, repo_id: str, cache: RepoCache) -> Callable[[], tuple[int, float | None]]:
        """Take the repo's next sequence number and bring the cached book up to date, in two
        halves: this sends the statements, the function it returns reads them and gives (the
        number, the store's clock read right after taking it, or None without one). Whatever
        the caller sends in between shares their round trip (on PostgreSQL).

        Runs under the repo's write lock, so every row with a lower number is
        committed; rows this transaction writes carry the new number and are
        loaded by the next call.
        """
        bumped = claim_rows.next_seq_timed(tx, repo_id)
        changes = claim_rows.changed_after(tx, repo_id, cache.seq) if cache.seq else None

        def finish() -> tuple[int, float | None]:
            row = bumped.one()
            assert row is not None
            seq = row.seq
            if changes is not None and seq - 1 >= cache.seq:
                self._apply(cache, changes.all(), seq - 1)
            else:
                if changes is not None:
                    changes.all()
                self.load_changes(tx, repo_id, cache, seq - 1)
            return seq, None if row.t is None else float(row.t)

        return finish

    def catch_up(self, tx: Tx, repo_id: str, cache: RepoCache) -> None:
        """Bring the book up to the repo's committed sequence number (a read; the caller holds `cache.lock`)."""
        if cache.seq == 0:
            self.load_changes(tx, repo_id, cache, claim_rows.committed_seq(tx, repo_id))
            return
        upto, rows = claim_rows.changes_upto_committed(tx, repo_id, cache.seq)
        if upto < cache.seq:  # the database was reset under us (tests); start over
            self.load_changes(tx, repo_id, cache, upto)
        elif upto > cache.seq:
            self._apply(cache, rows, upto)

    def load_all(self) -> dict[str, int]:
        """Load every repo's active claims (start-up): {repos, claims}."""
        started = time.monotonic()
        with self.store.read() as tx:
            repos = claim_rows.repos(tx)
        claims = 0
        for repo_id in repos:
            cache = self.cache(repo_id)
            with cache.lock, self.store.read() as tx:
                self.load_changes(tx, repo_id, cache, claim_rows.committed_seq(tx, repo_id), during="start-up")
                claims += len(cache.book)
        log.info("books loaded: %d active claims of %d repos in %.2f s", claims, len(repos), time.monotonic() - started)
        return {"repos": len(repos), "claims": claims}

    def load_changes(self, tx: Tx, repo_id: str, cache: RepoCache, upto: int, during: str = "a request") -> None:
        if upto < cache.seq:  # the database was reset under us (tests); start over
            cache.book, cache.seq = ClaimBook(), 0
        if upto == cache.seq:
            return
        if cache.seq == 0:
            # A whole book: ended claims could only be discarded from it, so do not read them.
            started = time.monotonic()
            rows = claim_rows.active_upto(tx, repo_id, upto)
            for row in rows:
                cache.book.put(records.to_active(row))
            cache.seq = upto
            log.info(
                "book of repo %r loaded during %s: %d active claims in %.2f s",
                repo_id,
                during,
                len(rows),
                time.monotonic() - started,
            )
            return
        self._apply(cache, claim_rows.changed_between(tx, repo_id, cache.seq, upto), upto)

    @staticmethod
    def _apply(cache: RepoCache, rows: list[ClaimRow], upto: int) -> None:
        """Lay the rows written after the book's number, up to `upto`, over the book."""
        for row in rows:
            if row.state == "active":
                cache.book.put(records.to_active(row))
            else:
                cache.book.discard(row.id)
        cache.seq = upto

    def overlay(self, tx: Tx, repo_id: str, book: ClaimBook, since_seq: int) -> None:
        """Lay the claim rows written at or after `since_seq` (this transaction's own) over `book`."""
        for row in claim_rows.written_since(tx, repo_id, since_seq):
            if row.state == "active":
                book.put(records.to_active(row))
            else:
                book.discard(row.id)
