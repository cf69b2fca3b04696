"""The exclusivity invariant, checked over the claims a real store holds.

For every two active claims of different engineers in one repo that cover one
path, one of these must be true:

- both are shared (`shared_file`);
- both are symbol claims on that file and their symbols are disjoint;
- the whole-file one carves each of the other's symbols: a carve on that path
  whose symbol covers it, taken `by` a claim that is still active and belongs
  to the symbol claim's engineer (normally the symbol claim itself);
- the two coexist by a holder's explicit `coexist` answer (each lists the other
  in `coexists_with`).

Feed it `GET /claims?active=true` (or the store's rows as the API shows them).
With `files`, two patterns "cover one path" when some tracked file matches both
(the service's rule in `COORD_REPO_ROOT` mode); without, when the globs overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from coordination.core import globs, symbols

Claim = dict[str, Any]


def _overlaps(a: str, b: str, files: Sequence[str] | None) -> bool:
    if files is None:
        return globs.overlap(a, b) is not None
    return any(globs.matches(a, f) and globs.matches(b, f) for f in files)


def _is_shared(c: Claim) -> bool:
    return bool(c["type"] == "shared_file")


def _carved_for(whole: Claim, part: Claim, active_ids_of: dict[str, set[int]]) -> bool:
    owners = active_ids_of.get(part["engineer"], set())
    for symbol in part["symbols"]:
        if not any(
            carve["path"] == part["pattern"] and symbols.covers(carve["symbol"], symbol) and carve["by"] in owners
            for carve in whole.get("carved", [])
        ):
            return False
    return True


def _partners(a: Claim, b: Claim) -> bool:
    return b["id"] in a.get("coexists_with", []) or a["id"] in b.get("coexists_with", [])


def pair_problem(a: Claim, b: Claim, active_ids_of: dict[str, set[int]], files: Sequence[str] | None) -> str | None:
    """Why two active claims of different engineers may not both be active, or None."""
    if not _overlaps(a["pattern"], b["pattern"], files):
        return None
    if _is_shared(a) and _is_shared(b):
        return None
    if _partners(a, b):
        return None
    a_sym, b_sym = bool(a["symbols"]), bool(b["symbols"])
    if a_sym and b_sym and a["pattern"] == b["pattern"] and not symbols.colliding(a["symbols"], b["symbols"]):
        return None
    if not _is_shared(a) and not _is_shared(b):
        if not a_sym and b_sym and _carved_for(a, b, active_ids_of):
            return None
        if a_sym and not b_sym and _carved_for(b, a, active_ids_of):
            return None
    return (
        f"claims {a['id']} ({a['engineer']} {a['type']} {a['pattern']} {a['symbols']}) and "
        f"{b['id']} ({b['engineer']} {b['type']} {b['pattern']} {b['symbols']}) are both active"
    )


def violations(claims: Iterable[Claim], files: Sequence[str] | None = None) -> list[str]:
    """Every pair of active claims that breaks the exclusivity invariant."""
    by_repo: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        if c["state"] == "active":
            by_repo[c.get("repo_id", "default")].append(c)
    problems: list[str] = []
    for active in by_repo.values():
        ids_of: dict[str, set[int]] = defaultdict(set)
        for c in active:
            ids_of[c["engineer"]].add(c["id"])
        for i, a in enumerate(active):
            for b in active[i + 1 :]:
                if a["engineer"] == b["engineer"]:
                    continue
                problem = pair_problem(a, b, ids_of, files)
                if problem:
                    problems.append(problem)
    return problems


def active_claims_over_http(client: Any, repo_id: str | None = None) -> list[Claim]:
    """Every active claim a server holds (all pages), through `GET /claims`."""
    params: dict[str, Any] = {"active": "true", "limit": 10_000}
    if repo_id is not None:
        params["repo_id"] = repo_id
    response = client.get("/claims", params=params)
    response.raise_for_status()
    body = response.json()
    return list(body["claims"] if isinstance(body, dict) else body)


def assert_exclusive(claims: Iterable[Claim], files: Sequence[str] | None = None) -> None:
    problems = violations(claims, files)
    assert not problems, "exclusivity invariant broken:\n" + "\n".join(problems)


def assert_server_exclusive(client: Any, repo_id: str | None = None, files: Sequence[str] | None = None) -> None:
    """Read the server's active claims over HTTP and check the invariant on them."""
    assert_exclusive(active_claims_over_http(client, repo_id), files)
