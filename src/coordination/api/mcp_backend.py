"""The tool backend `/mcp` calls: each tool call runs the route an HTTP caller would.

Loaded with the MCP SDK on the first `/mcp` request (`mcp_http.McpEndpoint`), so a
service that no editor reaches over HTTP never imports httpx or the HTTP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.from_thread
import httpx
from starlette.types import ASGIApp

from coordination import __version__
from coordination.api.deps import SESSION_HEADER
from coordination.client import CoordClient

if TYPE_CHECKING:
    from coordination.mcp_scope import CallScope, Context

__all__ = ["ENGINEER_HEADER", "LOOPBACK_URL", "REPO_HEADER", "LoopbackTransport", "ServiceBackend"]

LOOPBACK_URL = "http://coord.in-process"
REPO_HEADER = "x-coord-repo"
ENGINEER_HEADER = "x-coord-engineer"


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
        from coordination.mcp_scope import CallScope

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
