"""A small synchronous client for the coord HTTP API.

Every method maps to one HTTP call and returns the decoded JSON body. Any
non-2xx answer raises `CoordError` carrying the status, the API's error code and
its human-readable detail; a transport failure (service down, DNS, timeout)
raises `CoordUnreachable` (a `CoordError` with status 0).

    from coordination.client import CoordClient
    from coordination import clientenv

    client = CoordClient.from_env(clientenv.resolve())
    client.create_claims(engineer="alex/claude/main", claims=[file_claim("src/a.ts")])

The token is only ever placed in the Authorization header; it is never logged,
never part of `repr()`, and never sent when it is a placeholder (`set-me`).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx

from coordination import __version__, clientenv
from coordination.core.limits import CLAIMS_PAGE

JSON = dict[str, Any]

DEFAULT_TIMEOUT = 10.0
# Claims per `GET /claims` call when `list_claims` reads every page: the most the API answers.
LIST_PAGE = CLAIMS_PAGE.maximum
MAX_WAIT_SECONDS = 900.0  # the API's largest wait_seconds


class CoordError(Exception):
    """The API answered with an error (or could not be reached: status 0)."""

    def __init__(self, status: int, error: str, detail: str, body: Any = None) -> None:
        super().__init__(f"{status} {error}: {detail}" if status else f"{error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.body: Any = body if body is not None else {}

    @property
    def conflicts(self) -> list[JSON]:
        """The blocking claims of a 409, else an empty list."""
        if isinstance(self.body, dict):
            found = self.body.get("conflicts")
            if isinstance(found, list):
                return [c for c in found if isinstance(c, dict)]
        return []

    @property
    def suggestion(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("suggestion"), str):
            return str(self.body["suggestion"])
        return None


class CoordUnreachable(CoordError):
    """The service could not be reached at all (connection refused, timeout, DNS)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(0, "unreachable", f"cannot reach coord at {url}: {reason}")
        self.url = url


def claim_item(pattern: str, type: str = "file", symbols: Sequence[str] | None = None, literal: bool = False) -> JSON:
    """One entry of the `claims` list of `POST /claims` (`literal`: the pattern is a path, as written)."""
    item: JSON = {"type": type, "pattern": pattern}
    if symbols:
        item["symbols"] = list(symbols)
    if literal:
        item["literal"] = True
    return item


def _no_tls() -> ssl.SSLContext:
    """The TLS settings of a client whose service URL is plain `http://`: verification on and no
    certificate authority loaded, so it can never complete a TLS handshake. httpx's default loads
    the CA bundle for every client (20-40 ms of each CLI command) whether or not TLS is used."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _proxied() -> bool:
    """A proxy from the environment (httpx follows them) may itself be reached over TLS."""
    return any(os.environ.get(name) for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"))


class CoordClient:
    """Synchronous API client. One instance may be reused; call `close()` when done."""

    def __init__(
        self,
        base_url: str = clientenv.DEFAULT_API_URL,
        token: str | None = None,
        session_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session_id = session_id
        headers = {"User-Agent": f"coord/{__version__}", "Accept": "application/json"}
        if token and not clientenv.is_placeholder("COORD_AUTH_TOKEN", token):
            headers["Authorization"] = f"Bearer {token}"
        if session_id:
            headers["X-Coord-Session"] = session_id
        plain = self.base_url.startswith("http://") and not _proxied()  # (a given transport has its own)
        verify: ssl.SSLContext | bool = _no_tls() if plain else True
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport, verify=verify
        )

    @classmethod
    def from_env(
        cls,
        env: clientenv.ClientEnv,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> CoordClient:
        return cls(env.api_url, env.token, env.session_id, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"CoordClient(base_url={self.base_url!r}, session_id={self.session_id!r})"

    def __enter__(self) -> CoordClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def set_session(self, session_id: str) -> None:
        """Send `session_id` as X-Coord-Session from now on."""
        self.session_id = session_id
        self._http.headers["X-Coord-Session"] = session_id

    @property
    def sends_token(self) -> bool:
        return "Authorization" in self._http.headers

    # -- plumbing ---------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request; return decoded JSON or raise `CoordError`."""
        kwargs: dict[str, Any] = {}
        if json is not None:
            kwargs["json"] = json
        if params is not None:
            kwargs["params"] = params
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise CoordUnreachable(self.base_url, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise CoordUnreachable(self.base_url, _short_reason(exc)) from None
        return _decode(response)

    # -- health -----------------------------------------------------------

    def healthz(self, timeout: float | None = None) -> JSON:
        """`GET /healthz` -> {"status": "ok"} (no token needed)."""
        return dict(self.request("GET", "/healthz", timeout=timeout))

    def readyz(self, timeout: float | None = None) -> JSON:
        """`GET /readyz` -> {"status": "ready", ...}; 503 raises CoordError."""
        return dict(self.request("GET", "/readyz", timeout=timeout))

    def auth_check(self, timeout: float | None = None) -> JSON:
        """`GET /auth/check` -> {"ok": true, "version": ...}; 401 when the token is wrong."""
        return dict(self.request("GET", "/auth/check", timeout=timeout))

    # -- claims -----------------------------------------------------------

    def create_claims(
        self,
        *,
        engineer: str,
        claims: Sequence[JSON],
        repo_id: str = "default",
        session_id: str | None = None,
        branch: str | None = None,
        description: str | None = None,
        ttl_hours: float | None = None,
        wait_seconds: float | None = None,
        urgency: str | None = None,
        resume: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """`POST /claims` (all-or-nothing). 409 raises CoordError with `.conflicts`.

        `session_id` defaults to this client's session. A wait longer than the
        service's per-call cap answers with `queue.state == "waiting"` and a
        `queue.ticket`; pass it as `resume` to keep waiting (`claims` may then be
        empty), or use `wait_for_claims`, which does it until the wait is over.
        """
        body: JSON = {
            "engineer": engineer,
            "repo_id": repo_id,
            "session_id": session_id if session_id is not None else self.session_id,
            "branch": branch,
            "description": description,
            "claims": list(claims),
            "ttl_hours": ttl_hours,
        }
        if wait_seconds is not None:
            body["wait_seconds"] = wait_seconds
        if urgency is not None:
            body["urgency"] = urgency
        if resume is not None:
            body["resume"] = resume
            if not body["claims"]:
                del body["claims"]  # the ticket's scope is used
        if (wait_seconds or resume) and timeout is None:
            timeout = float(wait_seconds or MAX_WAIT_SECONDS) + DEFAULT_TIMEOUT
        return dict(self.request("POST", "/claims", json=body, timeout=timeout))

    def wait_for_claims(self, on_waiting: Callable[[JSON], None] | None = None, **kwargs: Any) -> JSON:
        """`create_claims`, resuming its ticket until the queue grants it or the wait ends.

        Each call waits at most the service's COORD_MAX_CALL_WAIT_SEC; `on_waiting`
        sees every intermediate answer (`queue.state == "waiting"`). The last answer
        is a grant; an ended wait raises CoordError (409) as `create_claims` does.
        """
        body = self.create_claims(**kwargs)
        while isinstance(body.get("queue"), dict) and body["queue"].get("state") == "waiting":
            if on_waiting is not None:
                on_waiting(body)
            resumed = {k: kwargs[k] for k in ("engineer", "repo_id", "session_id") if k in kwargs}
            body = self.create_claims(claims=[], resume=str(body["queue"]["ticket"]), **resumed)
        return body

    def list_claims(
        self,
        *,
        repo_id: str | None = None,
        engineer: str | None = None,
        session_id: str | None = None,
        pattern: str | None = None,
        active: bool = True,
        limit: int | None = None,
    ) -> list[JSON]:
        """`GET /claims` with filters: every matching Claim object, page after page (the API
        answers at most `LIST_PAGE` per call and a `next_cursor` while there are more); with
        `limit`, only the newest `limit` of them (one call)."""
        params = _params(
            repo_id=repo_id,
            engineer=engineer,
            session_id=session_id,
            pattern=pattern,
            active="true" if active else "false",
            limit=str(LIST_PAGE if limit is None else limit),
        )
        if limit is not None:
            body = self.request("GET", "/claims", params=params)
            return list(body.get("claims", [])) if isinstance(body, dict) else []
        claims: list[JSON] = []
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            body = self.request("GET", "/claims", params={**params, **({"cursor": cursor} if cursor else {})})
            if not isinstance(body, dict):
                return claims
            claims.extend(body.get("claims", []))
            cursor = body.get("next_cursor")
            if not cursor or cursor in seen:  # the last page (a cursor seen before would loop)
                return claims
            seen.add(cursor)

    def get_claim(self, claim_id: int) -> JSON:
        """`GET /claims/{id}`."""
        return dict(self.request("GET", f"/claims/{int(claim_id)}"))

    def release_claim(
        self, claim_id: int, engineer: str, *, force: bool = False, if_fence: int | None = None
    ) -> list[int]:
        """`DELETE /claims/{id}?engineer=E` -> released ids.

        `engineer` is the one releasing: 403 unless it is the holder's exact id or
        `force` is set (then the audit names `engineer` as the actor). With
        `if_fence`, 409 unless the claim's fence is still that value.
        """
        params: JSON = {"engineer": engineer}
        if force:
            params["force"] = "true"
        if if_fence is not None:
            params["if_fence"] = int(if_fence)
        body = self.request("DELETE", f"/claims/{int(claim_id)}", params=params)
        return _ids(body)

    def release_claims(
        self,
        *,
        engineer: str,
        repo_id: str = "default",
        session_id: str | None = None,
        pattern: str | None = None,
        claim_ids: Iterable[int] | None = None,
        force: bool = False,
    ) -> list[int]:
        """`POST /claims/release` -> released ids.

        Releases `engineer`'s own claims (all of them in the repo, or those of a
        session, on a pattern, or with these ids). `force` matches every
        engineer's claims instead and needs a session, pattern or ids.
        """
        body: JSON = {"repo_id": repo_id, "engineer": engineer}
        if session_id is not None:
            body["session_id"] = session_id
        if pattern is not None:
            body["pattern"] = pattern
        if claim_ids is not None:
            body["claim_ids"] = [int(i) for i in claim_ids]
        if force:
            body["force"] = True
        return _ids(self.request("POST", "/claims/release", json=body))

    def extend_claim(
        self,
        claim_id: int,
        *,
        engineer: str,
        ttl_hours: float | None = None,
        force: bool = False,
        if_fence: int | None = None,
    ) -> JSON:
        """`POST /claims/{id}/extend` -> the updated Claim (same holder rules as `release_claim`;
        `ttl_hours` None: the service's default)."""
        body: JSON = {"engineer": engineer, "ttl_hours": ttl_hours}
        if force:
            body["force"] = True
        if if_fence is not None:
            body["if_fence"] = int(if_fence)
        return dict(self.request("POST", f"/claims/{int(claim_id)}/extend", json=body))

    # -- sessions, conflicts, verify ----------------------------------------

    def heartbeat(
        self,
        session_id: str | None = None,
        *,
        engineer: str | None = None,
        repo_id: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """`POST /sessions/{id}/heartbeat` -> {"session_id", "last_seen", "active_claims"}."""
        sid = session_id or self.session_id
        if not sid:
            raise ValueError("heartbeat needs a session id")
        body = {k: v for k, v in {"engineer": engineer, "repo_id": repo_id}.items() if v}
        return dict(self.request("POST", f"/sessions/{sid}/heartbeat", json=body, timeout=timeout))

    def conflicts(
        self,
        *,
        paths: Sequence[str],
        repo_id: str = "default",
        engineer: str | None = None,
        symbols: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """`GET /conflicts` -> {"safe", "safe_to_proceed", "has_conflicts", "conflicts", ...}.

        `symbols` use the `path::Symbol` form (`src/x.ts::Router::handleAuth`).
        """
        params: list[tuple[str, str]] = [("repo_id", repo_id)]
        if engineer:
            params.append(("engineer", engineer))
        params += [("paths", p) for p in paths]
        params += [("symbols", s) for s in symbols or ()]
        return dict(self.request("GET", "/conflicts", params=params, timeout=timeout))

    def verify(
        self,
        *,
        paths: Sequence[str],
        engineer: str,
        repo_id: str = "default",
        timeout: float | None = None,
    ) -> JSON:
        """`POST /claims/verify` -> {"ours": [...], "theirs": [...]} for changed paths."""
        body = {"repo_id": repo_id, "engineer": engineer, "paths": list(paths)}
        return dict(self.request("POST", "/claims/verify", json=body, timeout=timeout))

    def gate_written(
        self,
        *,
        engineer: str,
        repo_id: str,
        paths: Sequence[str],
        source: str,
        timeout: float | None = None,
    ) -> JSON:
        """`POST /gate/written`: record writes to files other people hold (`unclaimed-write`)."""
        body = {"engineer": engineer, "repo_id": repo_id, "paths": list(paths), "source": source}
        return dict(self.request("POST", "/gate/written", json=body, timeout=timeout))


def _params(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def _ids(body: Any) -> list[int]:
    if isinstance(body, dict) and isinstance(body.get("released"), list):
        return [int(i) for i in body["released"]]
    return []


def _short_reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _decode(response: httpx.Response) -> Any:
    try:
        body: Any = response.json() if response.content else {}
    except ValueError:
        body = {"raw": response.text[:500]}
    if response.is_success:
        return body
    error = "http_error"
    detail = response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        error = str(body.get("error") or error)
        raw_detail = body.get("detail")
        if isinstance(raw_detail, str) and raw_detail:
            detail = raw_detail
        elif raw_detail is not None:
            detail = _flatten_detail(raw_detail)
    if response.status_code == 401 and error == "http_error":
        error = "unauthorized"
    raise CoordError(response.status_code, error, detail, body)


def _flatten_detail(detail: Any) -> str:
    """FastAPI 422 `detail` lists -> one readable line."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)
