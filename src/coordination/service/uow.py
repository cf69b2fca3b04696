"""The unit of work of a change to a repo's claims: `RepoWrite`.

`with RepoWrite(ctx, repo_id) as w:` is the only code that takes the repo's cache
lock, opens `store.write(repo_id)` (which serialises the repo's writers across
threads, processes and replicas), advances the repo's sequence number (bringing
the cached book up to date) and reads the clock under the lock, so decisions and
audit times follow the order in which writers really went. It yields the
transaction (`w.tx`), the sequence number (`w.seq`), the time (`w.now`), the claim
book (`w.book`), the ownership rules (`w.rules()`), the liveness test
(`w.liveness()`) and the file set (`w.files`).

`PlainWrite` is a write transaction outside any repo's claims (sessions, queue
leases, owners.yaml edits): the store's lock for the repo (or none), the time read
under it, no sequence number.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Final

from coordination.core.book import ClaimBook
from coordination.core.files import FileSet
from coordination.core.ownership import Ownership
from coordination.service.books import RepoCache
from coordination.service.context import Liveness, ServiceContext
from coordination.service.rules import rules_of, rules_sent
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store.base import SentRows
from coordination.store.rows import ClaimRow, NoticeRow

__all__ = ["ClaimAhead", "PlainWrite", "RepoWrite"]


class _Unset:
    pass


_SNAPSHOT: Final = _Unset()


@dataclass(frozen=True)
class ClaimAhead:
    """A claim's write: who claims, and at most how many new claims it grants."""

    engineer: str
    new_claims: int


class RepoWrite:
    """A write to one repo's claims (see the module docstring)."""

    tx: Tx
    seq: int
    cache: RepoCache

    def __init__(
        self,
        ctx: ServiceContext,
        repo_id: str,
        files: FileSet | None | _Unset = _SNAPSHOT,
        ahead: Callable[[Tx], SentRows[ClaimRow]] | None = None,
        claim: ClaimAhead | None = None,
    ) -> None:
        """`ahead(tx)`, when given, sends a statement the write needs first (the claim row it acts on)
        together with the sequence number, under the lock; its rows are `self.ahead`. With
        `claim`, what a claim decides and grants with is asked for then too: the ownership
        rules and the silent sessions (`rules_and_liveness`), the engineer's unseen notices
        (`unseen_notices`) and ids for the new claims (`reserved_ids`). All of it is one round
        trip on PostgreSQL."""
        self.ctx = ctx
        self.repo_id = repo_id
        self._files = files
        self._ahead = ahead
        self._claim = claim
        self._unseen: Callable[[], list[NoticeRow]] | None = None
        self._reserved: Callable[[], list[int]] | None = None
        self.ahead: SentRows[ClaimRow] | None = None
        self._rules: Callable[[], Ownership] | None = None
        self._liveness: Callable[[datetime], Liveness] | None = None
        self._stack = ExitStack()

    def __enter__(self) -> RepoWrite:
        ctx = self.ctx
        with ExitStack() as stack:
            self.cache = ctx.books.cache(self.repo_id)
            stack.enter_context(self.cache.lock)
            self.tx = stack.enter_context(ctx.store.write(self.repo_id))
            advanced = ctx.books.advance_sent(self.tx, self.repo_id, self.cache)
            if self._ahead is not None:
                self.ahead = self._ahead(self.tx)
            if self._claim is not None:
                self._rules = rules_sent(self.tx, self.repo_id)
                self._liveness = ctx.liveness_ahead(self.tx)
                self._unseen = ctx.audit.unseen_sent(self.tx, self.repo_id, self._claim.engineer)
                self._reserved = claim_rows.reserve_ids_sent(self.tx, self._claim.new_claims)
            self.seq, clock = advanced()
            # The clock is read under the lock (with the sequence number): decisions and
            # audit times then follow the order in which writers really went.
            self.now = ctx.now(self.tx, clock)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc, tb)

    @property
    def book(self) -> ClaimBook:
        """The repo's active claims as of `seq - 1` (this transaction's own writes are not in it)."""
        return self.cache.book

    @property
    def files(self) -> FileSet | None:
        """The tracked-file list the decisions of this write use (a snapshot unless one was given)."""
        if isinstance(self._files, _Unset):
            self._files = self.ctx.files()
        return self._files

    def rules(self) -> Ownership:
        """The repo's ownership rules, read now (an auto-promote earlier in the transaction shows)."""
        return rules_of(self.tx, self.repo_id)

    def liveness(self) -> Liveness:
        """Does a claim still count for others at `now` (sessions as they stand in this transaction)?"""
        return self.ctx.liveness(self.tx, self.now)

    def unseen_notices(self) -> list[NoticeRow] | None:
        """The claiming engineer's unseen notices as of the start of this write (None unless
        asked for): only this write could add one for the engineer since, and a grant writes
        notices for the holders it meets, never for the engineer itself."""
        return None if self._unseen is None else self._unseen()

    def reserved_ids(self) -> list[int] | None:
        """Claim ids reserved for this write's new claims (None: the INSERTs assign them)."""
        return None if self._reserved is None else self._reserved()

    def rules_and_liveness(self) -> tuple[Ownership, Liveness]:
        """`rules()` and `liveness()`, asked of the store together (one round trip on PostgreSQL).

        The first call of a claim's write reads what was asked for with the sequence number:
        nothing before it in the transaction may change the ownership rules (a session touch
        may come first: a session silent by `now` is idle to its holder too, so `touch`
        refuses it while it has claims, and its claims alone would count differently)."""
        rules, self._rules = self._rules, None
        live, self._liveness = self._liveness, None
        if rules is None:
            rules = rules_sent(self.tx, self.repo_id)
        if live is None:
            return rules(), self.ctx.liveness_sent(self.tx, self.now)()
        return rules(), live(self.now)

    def bump(self) -> int:
        """A further sequence number inside this write (each new claim's fence is strictly above the last)."""
        return self.ctx.books.bump(self.tx, self.repo_id)


class PlainWrite:
    """A write transaction outside a repo's claims: `w.tx`, and `w.now` read under the store's lock."""

    tx: Tx

    def __init__(self, ctx: ServiceContext, repo_id: str | None = None) -> None:
        self.ctx = ctx
        self.repo_id = repo_id
        self._stack = ExitStack()

    def __enter__(self) -> PlainWrite:
        with ExitStack() as stack:
            self.tx = stack.enter_context(self.ctx.store.write(self.repo_id))
            self.now = self.ctx.now(self.tx)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc, tb)
