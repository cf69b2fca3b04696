"""`/mcp`: the coord MCP tools served by the service itself over streamable HTTP.

- Same tools as `coord-mcp` (`coordination.mcp_tools`), served by the official MCP SDK
  in stateless mode: no MCP session lives in one process, so any replica behind a load
  balancer answers any request.
- Auth: the API's bearer token (`Authorization: Bearer <COORD_AUTH_TOKEN>`, constant-time
  compare); without it every request is a 401 `{error, detail}` before MCP sees it.
- Who is calling: the tool arguments `repo_id` / `engineer`, else the headers
  `X-Coord-Repo`, `X-Coord-Engineer`; `X-Coord-Session` names the session, and every
  request carrying it counts as that session's activity, like any other API call.
- Each tool call runs the same route an HTTP caller would, in-process (an httpx transport
  wired to this app), so validation, errors and auth are the API's own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.from_thread
import anyio.to_thread
import httpx
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from coordination import __version__, mcp_tools
from coordination.api.deps import SESSION_HEADER, check_bearer
from coordination.client import CoordClient
from coordination.errors import Unauthorized
from coordination.mcp_tools import CallScope, Context

MCP_PATH = "/mcp"
REPO_HEADER = "x-coord-repo"
ENGINEER_HEADER = "x-coord-engineer"
LOOPBACK_URL = "http://coord.in-process"
LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]


class LoopbackTransport(httpx.BaseTransport):
    """A sync httpx transport that hands each request to an ASGI app in this process.

    Used from the worker threads MCP runs sync tools in: the request is awaited on the
    event loop (`anyio.from_thread.run`), the thread blocks until the answer is read.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> httpx.Response:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return anyio.from_thread.run(send)


def _header(ctx: Context, name: str) -> str | None:
    request = getattr(ctx.request_context, "request", None)
    headers = getattr(request, "headers", None)
    value = headers.get(name) if headers is not None else None
    return value.strip() or None if isinstance(value, str) else None


class ServiceBackend:
    """The tool backend of `/mcp`: scope from the request headers, calls into this app."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = LoopbackTransport(app)

    def scope(self, ctx: Context) -> CallScope:
        authorization = _header(ctx, "authorization") or ""
        _, _, token = authorization.partition(" ")
        # The session is sent in the bodies that take one; the /mcp request itself already
        # counted as its activity, so the in-process calls carry no session header.
        client = CoordClient(LOOPBACK_URL, token.strip() or None, None, transport=self._transport)
        return CallScope(
            client=client,
            repo_id=_header(ctx, REPO_HEADER),
            engineer=_header(ctx, ENGINEER_HEADER),
            session_id=_header(ctx, SESSION_HEADER),
            engineer_hint="send the X-Coord-Engineer header",
        )

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]:
        return scope.client.heartbeat(scope.session_id, engineer=scope.engineer, repo_id=repo_id)

    def whoami(self, scope: CallScope) -> dict[str, Any]:
        return {
            "transport": "http",
            "version": __version__,
            "repo_id": scope.repo_id,
            "repo_id_source": "X-Coord-Repo" if scope.repo_id else None,
            "engineer": scope.engineer,
            "engineer_source": "X-Coord-Engineer" if scope.engineer else None,
            "session_id": scope.session_id,
            "token": "set" if scope.client.sends_token else "unset",
        }


class McpEndpoint:
    """ASGI endpoint: bearer auth and session activity, then the SDK's session manager."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = self._app.state.service
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            check_bearer(service, headers.get("authorization"))
        except Unauthorized as exc:
            response = JSONResponse(exc.body(), status_code=exc.status, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        session_id = headers.get(SESSION_HEADER)
        if session_id:
            await anyio.to_thread.run_sync(service.note_activity, session_id)
        await self._app.state.mcp_session_manager.handle_request(scope, receive, send)


def install(app: FastAPI, require_token: bool) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """Add `/mcp` to `app`; returns the context manager the app's lifespan must enter."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = mcp_tools.build_server(ServiceBackend(app))
    # Building an SDK server configures the root logger (a rich console handler). The
    # service logs through uvicorn's configuration (text or JSON, COORD_LOG_JSON): undo it,
    # or every log line would also be printed in the SDK's format.
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    app.router.routes.append(Route(MCP_PATH, endpoint=McpEndpoint(app), include_in_schema=False))

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        from mcp.server.transport_security import TransportSecuritySettings

        # With a token, DNS rebinding cannot reach the tools (the page has no token); a local
        # demo without one only answers requests addressed to this machine.
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=not require_token,
            allowed_hosts=LOCAL_HOSTS,
            allowed_origins=[f"http://{h}" for h in LOCAL_HOSTS],
        )
        # A fresh session manager per lifespan (the SDK runs each one once).
        server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, transport_security=security)
        manager = server.session_manager
        app.state.mcp_session_manager = manager
        async with manager.run():
            yield

    return running
