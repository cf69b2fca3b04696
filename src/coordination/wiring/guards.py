"""The checks behind coord's git hooks and CI: before a git push and in `coord check`.
Each check is one API call (plus one to record writes to files others hold as
`unclaimed-write` events) and fails open (with a visible warning) when the
service cannot be reached, except in strict mode. The editor gate lives in
`coordination.gate`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coordination import clientenv
from coordination.client import CoordClient, CoordError, CoordUnreachable
from coordination.client_settings import ClientSettings
from coordination.wiring import git

PUSH_TIMEOUT_SEC = 10.0


def _timeout(settings: ClientSettings) -> float:
    """COORD_HOOK_TIMEOUT_SEC, else the push check's own default."""
    return settings.hook_timeout_sec or PUSH_TIMEOUT_SEC


# -- formatting -------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(value: Any, now: datetime | None = None) -> str:
    """`2025-01-01 14:00 UTC (in 2h05m)` from an ISO timestamp."""
    moment = _parse_time(value)
    if moment is None:
        return "an unknown time"
    now = now or datetime.now(UTC)
    delta = int((moment - now).total_seconds())
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if delta <= 0:
        return f"{stamp} (expired)"
    hours, rest = divmod(delta, 3600)
    minutes = rest // 60
    rel = f"{hours}h{minutes:02d}m" if hours else f"{max(minutes, 1)}m"
    return f"{stamp} (in {rel})"


def describe_conflict(c: dict[str, Any]) -> str:
    holder = c.get("engineer") or "another engineer"
    path = c.get("requested_pattern") or c.get("path") or c.get("pattern")
    pattern = c.get("pattern")
    symbols = c.get("symbols") or []
    what = f"{path}" if not symbols else f"{', '.join(map(str, symbols))} in {path}"
    scope = f" on {pattern}" if pattern and pattern != path else ""
    return (
        f"{what} is claimed by {holder} (claim #{c.get('claim_id', '?')}{scope}, "
        f"fence {c.get('fence', '?')}, expires {when(c.get('expires_at'))})"
    )


def _request_hint(conflicts: Sequence[dict[str, Any]]) -> str:
    ids = sorted({int(c["claim_id"]) for c in conflicts if isinstance(c.get("claim_id"), int)})
    if not ids:
        return ""
    return f" (`coord request-release {ids[0]} --reason '...'`)"


# -- pre-push and CI ----------------------------------------------------------


@dataclass
class VerifyOutcome:
    exit_code: int
    lines: list[str]


def _split_mine(answer: dict[str, Any], engineer: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(ours, theirs). Claims of the same person count as ours: a push by alex is never
    blocked by alex's own agents. The server decides who is the same person
    (`same_person` on each entry, setting COORD_SAME_PERSON); a server too old to say
    is answered with the default rule (same first segment of the id)."""
    from coordination.core import identity

    ours = [c for c in answer.get("ours") or [] if isinstance(c, dict)]
    theirs = []
    for c in answer.get("theirs") or []:
        if not isinstance(c, dict):
            continue
        same = c.get("same_person")
        if same is None:
            same = identity.same_person(engineer, str(c.get("engineer", "")))
        if same:
            ours.append(c)
        else:
            theirs.append(c)
    return ours, theirs


#: Paths per `POST /claims/verify` call (the service takes up to 10,000).
VERIFY_BATCH = 1000


def verify_paths(
    paths: Sequence[str],
    env: clientenv.ClientEnv,
    *,
    what: str,
    strict: bool,
    engineer: str | None = None,
    timeout: float = PUSH_TIMEOUT_SEC,
) -> VerifyOutcome:
    """`POST /claims/verify` in batches; block (exit 1) when someone else holds a changed file.

    Fails closed when the service answers but cannot check: a refused request
    (400, 413, 422) or a path it could not check (`unchecked`) blocks, with the
    reason, so one odd file name never turns the whole check off. An
    unreachable service, an auth error or a 5xx allow the push with a warning
    (block with COORD_PREPUSH_STRICT=1). `timeout` is each call's HTTP timeout.
    """
    engineer = engineer or env.engineer
    if not paths:
        return VerifyOutcome(0, [])
    answer: dict[str, Any] = {"ours": [], "theirs": [], "unchecked": []}
    try:
        with CoordClient.from_env(env, timeout=timeout) as client:
            # A big push (a vendored tree, a mass rename) is checked in batches the service accepts.
            for start in range(0, len(paths), VERIFY_BATCH):
                part = client.verify(
                    paths=list(paths[start : start + VERIFY_BATCH]), engineer=engineer, repo_id=env.repo_id
                )
                for key in ("ours", "theirs", "unchecked"):
                    answer[key].extend(part.get(key, []))
                _, others = _split_mine(part, engineer)
                if others:
                    kind = "pre-push" if what == "push" else "check"
                    _record_unclaimed(client, engineer, env.repo_id, others, kind)
    except CoordError as exc:
        kind = "unreachable" if isinstance(exc, CoordUnreachable) else f"error ({exc.status})"
        head = f"coord: service {kind}: {exc.detail}."
        if exc.status in (400, 413, 422):
            return VerifyOutcome(
                1,
                [
                    head,
                    f"coord: {what} blocked: the service refused the claim check, so it could not be done. "
                    "Fix the cause above (`coord doctor`), or override once (you take the risk): git push --no-verify.",
                ],
            )
        if strict:
            return VerifyOutcome(1, [head, f"coord: {what} blocked because COORD_PREPUSH_STRICT=1."])
        return VerifyOutcome(0, [head, f"coord: {what} allowed without the claim check."])
    ours, theirs = _split_mine(answer, engineer)
    unchecked = [u for u in answer.get("unchecked") or [] if isinstance(u, dict)]
    lines: list[str] = []
    if unchecked:
        lines.append(f"coord: {what} blocked: {len(unchecked)} changed file(s) could not be checked:")
        lines += [f"  {u.get('path')!r}: {u.get('reason')}" for u in unchecked]
        lines.append("coord: rename them, or override once (you take the risk): git push --no-verify.")
    if theirs:
        lines.append(f"coord: {what} blocked: {len(theirs)} changed file(s) are claimed by other engineers:")
        for c in theirs:
            lines.append(
                f"  {c.get('path')}: held by {c.get('engineer')} "
                f"(claim #{c.get('claim_id')} on {c.get('pattern')}, fence {c.get('fence')}, "
                f"expires {when(c.get('expires_at'))})"
            )
        lines.append(
            "coord: wait for the claim to expire or be released, ask the holder to release it"
            f"{_request_hint(theirs)}, or drop those changes. "
            "Override once (you take the risk): git push --no-verify."
        )
    if ours:
        files = sorted({str(c.get("path")) for c in ours})
        ids = sorted({int(c["claim_id"]) for c in ours if isinstance(c.get("claim_id"), int)})
        lines.append(
            f"coord: you hold claims on {len(files)} of these file(s): {', '.join(files)} "
            f"(claim {', '.join('#' + str(i) for i in ids)}); release them after pushing."
        )
        holders = sorted({str(c.get("engineer") or engineer) for c in ours})
        for holder in holders:
            held = sorted(
                {
                    int(c["claim_id"])
                    for c in ours
                    if isinstance(c.get("claim_id"), int) and str(c.get("engineer") or engineer) == holder
                }
            )
            if held:
                lines.append(f"  as {holder}: coord release --engineer {holder} {' '.join(map(str, held))}")
    return VerifyOutcome(1 if theirs or unchecked else 0, lines)


def _record_unclaimed(
    client: CoordClient, engineer: str, repo_id: str, held: list[dict[str, Any]], source: str
) -> None:
    """The backstop: changes to files others hold become `unclaimed-write` events
    (audit, notices, webhook). A failure here never changes the check's answer."""
    paths = sorted({str(c.get("path")) for c in held if c.get("path")})[:200]
    with contextlib.suppress(CoordError):
        client.gate_written(engineer=engineer, repo_id=repo_id, paths=paths, source=source)


def parse_push_lines(lines: Iterable[str]) -> list[tuple[str, str, str, str]]:
    refs = []
    for line in lines:
        parts = line.split()
        if len(parts) == 4:
            refs.append((parts[0], parts[1], parts[2], parts[3]))
    return refs


def pre_push(root: Path, remote: str, stdin_lines: Iterable[str]) -> VerifyOutcome:
    """The git pre-push check for every pushed ref (deletions skipped)."""
    settings = ClientSettings.load(start=root)
    env = clientenv.resolve(settings=settings)
    changed: list[str] = []
    for _local_ref, local_sha, _remote_ref, remote_sha in parse_push_lines(stdin_lines):
        if git.is_zero(local_sha):
            continue
        try:
            files = git.changed_files_for_push(root, remote, local_sha, remote_sha)
        except git.GitError as exc:
            return VerifyOutcome(0, [f"coord: cannot list pushed files ({exc}); check skipped."])
        changed += [f for f in files if f not in changed]
    return verify_paths(changed, env, what="push", strict=settings.prepush_strict, timeout=_timeout(settings))


def check_branch(root: Path, base: str, engineer: str | None, strict: bool = False) -> VerifyOutcome:
    """`coord check --base REF`: the branch's changes since it forked from REF."""
    settings = ClientSettings.load(start=root)
    env = clientenv.resolve(settings=settings)
    files = git.changed_files_since(root, base)
    outcome = verify_paths(files, env, what="check", strict=strict, engineer=engineer, timeout=_timeout(settings))
    if outcome.exit_code == 0 and not outcome.lines:
        outcome.lines.append(f"coord: {len(files)} changed file(s) since {base}; none claimed by someone else.")
    return outcome
