"""The official MCP client over streamable HTTP, pointed at a real server's `/mcp`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx2

if TYPE_CHECKING:
    from mcp import Client


def headers(
    token: str | None, repo: str | None = None, engineer: str | None = None, session: str | None = None
) -> dict[str, str]:
    out = {}
    if token is not None:
        out["Authorization"] = f"Bearer {token}"
    for name, value in (("X-Coord-Repo", repo), ("X-Coord-Engineer", engineer), ("X-Coord-Session", session)):
        if value is not None:
            out[name] = value
    return out


@asynccontextmanager
async def mcp_http(
    url: str,
    token: str | None,
    repo: str | None = None,
    engineer: str | None = None,
    session: str | None = None,
    statuses: list[int] | None = None,
) -> AsyncIterator[Client]:
    """`url` is the service's base URL; the client talks to `<url>/mcp`. `statuses`
    collects the HTTP status of every answer."""
    # The SDK is imported here, not at the top: every test process collects the modules
    # that use this helper, only one runs them, and the import costs most of a second.
    from mcp.client.streamable_http import streamable_http_client

    from mcp import Client

    async def record(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    http = httpx2.AsyncClient(
        headers=headers(token, repo, engineer, session), timeout=30, event_hooks={"response": [record]}
    )
    async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
        yield client


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    data = result.structured_content
    assert isinstance(data, dict), result
    return data


def text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
