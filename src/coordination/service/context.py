"""What every use case shares: settings, store, clock, limits, the claim books, the audit trail, hooks.

One `ServiceContext` is built per `Coordinator`; the use-case modules take it and
read the clock, the file list and liveness through it, so they all judge time and
scope the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from coordination import records, symbol_check
from coordination.config import Settings
from coordination.core import globs, lifetimes, validation
from coordination.core.book import ClaimBook
from coordination.core.decisions import effective_pattern
from coordination.core.files import FileSet
from coordination.core.model import ActiveClaim, ClaimItem
from coordination.core.ownership import Ownership
from coordination.errors import Invalid
from coordination.repo_files import RepoFiles
from coordination.service.audit import Audit
from coordination.service.books import Books
from coordination.service.rules import rules_of
from coordination.service.types import Clock, utcnow
from coordination.store import Store, Tx
from coordination.store import sessions as session_rows

__all__ = ["ConflictsHook", "Hooks", "Liveness", "ScopeFreedHook", "ServiceContext", "check_identity", "require_actor"]

Liveness = Callable[[ActiveClaim], bool]
# (tx, repo_id, refused file patterns, now): called in the transaction that recorded `conflict` events.
ConflictsHook = Callable[[Tx, str, list[str], datetime], object]
# (tx, repo_id, seq, now): called in the transaction that ended claims of the repo.
ScopeFreedHook = Callable[[Tx, str, int, datetime], object]


class Hooks:
    """Subscribers to what the claim use cases do, run inside the same transaction."""

    def __init__(self) -> None:
        self.conflicts_recorded: list[ConflictsHook] = []
        self.scope_freed: list[ScopeFreedHook] = []

    def publish_conflicts(self, tx: Tx, repo_id: str, patterns: list[str], now: datetime) -> None:
        for hook in self.conflicts_recorded:
            hook(tx, repo_id, patterns, now)

    def publish_scope_freed(self, tx: Tx, repo_id: str, seq: int, now: datetime) -> None:
        for hook in self.scope_freed:
            hook(tx, repo_id, seq, now)


class ServiceContext:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        # Liveness (TTL expiry, idle sessions) is decided from the store's clock, read
        # inside the write transaction (`now`); an injected clock (tests) replaces it.
        self.clock: Clock = clock or utcnow
        self.clock_injected = clock is not None
        # Stores without one shared clock (SQLite) let a claim count for others this much
        # longer, so a process whose clock runs ahead does not hand out a scope still held.
        self.skew_margin = timedelta(
            seconds=0.0 if getattr(store, "shared_clock", False) else settings.clock_skew_margin_sec
        )
        self.repo_files = (
            RepoFiles(settings.repo_root, settings.repo_scope, settings.ls_files_cache_ttl_sec)
            if settings.repo_root
            else None
        )
        self.limits = validation.Limits(
            max_claim_files=settings.max_claim_files,
            max_claim_ratio=settings.max_claim_ratio,
            enforce_ratio=not settings.repo_scope,
            max_ttl_hours=settings.max_ttl_hours,
        )
        self.ttl = lifetimes.TtlPolicy(settings.default_ttl_hours, settings.shared_ttl_hours)
        self.books = Books(store, settings.db_busy_timeout_sec)
        self.audit = Audit(store, settings.webhook_allowlist() if settings.webhook_url else frozenset())
        self.hooks = Hooks()

    # ------------------------------------------------------------------ time

    def now(self, tx: Tx, read: float | None = None) -> datetime:
        """The time for decisions in this transaction: the store's clock (PostgreSQL's,
        shared by every replica), read after the transaction took its lock (`read`, when
        the caller already read it so, in epoch seconds); or the injected clock."""
        if self.clock_injected:
            return self.clock()
        return tx.now() if read is None else datetime.fromtimestamp(read, UTC)

    def read_instant(self, tx: Tx) -> float:
        """The instant reads judge liveness at: the store's clock less the skew margin,
        as the grant decisions do."""
        return records.to_epoch(self.now(tx) - self.skew_margin)

    def liveness(self, tx: Tx, now: datetime) -> Liveness:
        """Does a claim still count for others at `now`? Decided `skew_margin` late."""
        return self.liveness_sent(tx, now)()

    def liveness_sent(self, tx: Tx, now: datetime) -> Callable[[], Liveness]:
        """`liveness`, asked of the store now and built when called (it can share a round trip)."""
        at = now - self.skew_margin
        timeout = self.settings.idle_timeout_sec
        if timeout <= 0:
            return lambda: lifetimes.liveness(at, timeout, {})
        sessions = session_rows.silent_since_sent(tx, records.to_epoch(at) - timeout)

        def build() -> Liveness:
            silent = {session_id: datetime.fromtimestamp(seen, UTC) for session_id, seen in sessions().items()}
            return lifetimes.liveness(at, timeout, silent)

        return build

    def liveness_ahead(self, tx: Tx) -> Callable[[datetime], Liveness] | None:
        """`liveness`, asked of the store before `now` is known: the sessions silent past the
        idle timeout by the store's clock as the statement runs, which is after `now` was read
        in the same transaction, so they include every session silent by `now` (and the test
        against `now` drops the rest). None without a store clock or with an injected one."""
        if self.clock_injected:
            return None
        timeout = self.settings.idle_timeout_sec
        margin = self.skew_margin.total_seconds()
        if timeout <= 0:
            return lambda now: lifetimes.liveness(now - self.skew_margin, timeout, {})
        sessions = session_rows.silent_before_clock_sent(tx, margin + timeout)
        if sessions is None:
            return None

        def build(now: datetime) -> Liveness:
            silent = {session_id: datetime.fromtimestamp(seen, UTC) for session_id, seen in sessions().items()}
            return lifetimes.liveness(now - self.skew_margin, timeout, silent)

        return build

    def session_idle(self, tx: Tx, session_id: str, now: datetime) -> bool:
        """Has the session been silent past the idle timeout at `now` (no margin: the holder's view)?"""
        timeout = self.settings.idle_timeout_sec
        if timeout <= 0:
            return False
        last = session_rows.last_seen(tx, session_id)
        return last is not None and last < records.to_epoch(now) - timeout

    # ----------------------------------------------------------------- files

    def files(self) -> FileSet | None:
        return self.repo_files.snapshot() if self.repo_files else None

    def check_symbols(self, items: Iterable[ClaimItem]) -> list[str | None]:
        """Per item: raise Invalid for an unknown symbol; a note for one that could not be verified."""
        return [
            symbol_check.check(item, self.repo_files) if item.symbols and not globs.validate(item.pattern) else None
            for item in items
        ]

    def warm(self, files: FileSet | None, repo_id: str, items: Iterable[ClaimItem]) -> None:
        """Match the requested patterns, and the held ones they may meet, against the file
        list before any lock is taken: a fresh glob over a large checkout costs milliseconds
        to seconds, and the snapshot caches the answer for the decision that follows."""
        if files is None:
            return
        patterns = {p for p in map(effective_pattern, items) if globs.validate(p) is None}
        for pattern in patterns:
            files.matching(pattern)
        cache = self.books.cache(repo_id)
        with cache.lock:  # a read brings the book up to date; no write lock is taken
            with self.store.read() as tx:
                self.books.catch_up(tx, repo_id, cache)
            held = {c.pattern for p in patterns for c in cache.book.candidates(p)}
        for pattern in held - patterns:
            files.matching(pattern)

    # ----------------------------------------------------------------- reads

    @contextmanager
    def synced(self, repo_id: str) -> Iterator[tuple[ClaimBook, Liveness, Ownership]]:
        """The repo's cached book, brought up to date, for a read-only decision.

        The caller decides inside the `with` block, under the cache lock: an
        in-memory decision takes microseconds, where copying the book would make
        every read linear in the number of active claims.
        """
        cache = self.books.cache(repo_id)
        with cache.lock:
            with self.store.read() as tx:
                self.books.catch_up(tx, repo_id, cache)
                # Liveness by the store's clock, as the grant path decides it.
                is_live = self.liveness(tx, self.now(tx))
                rules = rules_of(tx, repo_id)
            yield cache.book, is_live, rules


def check_identity(engineer: str | None, repo_id: str | None, session_id: str | None) -> None:
    """400 for an engineer, repo or session id the service does not accept."""
    for value, check in (
        (engineer, validation.engineer_problem),
        (repo_id, validation.repo_problem),
        (session_id, validation.session_problem),
    ):
        if value is not None:
            problem = check(value)
            if problem:
                raise Invalid(problem)


def require_actor(engineer: str | None) -> None:
    """Every change to a claim names the engineer making it (400 otherwise)."""
    if engineer is None or not str(engineer).strip():
        raise Invalid("engineer is required: the engineer making this change")
    check_identity(engineer, None, None)
