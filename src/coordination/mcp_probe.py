"""Ask a coord service's `/mcp` endpoint what it serves, with the official MCP client."""

from __future__ import annotations

from typing import Any

import anyio


class ProbeFailed(RuntimeError):
    """The endpoint did not answer an MCP initialize and a tool listing; says why."""


async def _list_tools(url: str, token: str | None, timeout: float) -> list[str]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    from mcp import Client

    statuses: list[int] = []

    async def record(response: Any) -> None:
        statuses.append(int(response.status_code))

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=timeout, event_hooks={"response": [record]})
    try:
        with anyio.fail_after(timeout):
            async with http, Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
                tools = await client.list_tools()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, none is raised raw
        failed = [s for s in statuses if s >= 400]
        if failed:
            raise ProbeFailed(f"HTTP {failed[-1]} from {url}") from None
        raise ProbeFailed(f"{url}: {_reason(exc)}") from None
    return sorted(t.name for t in tools.tools)


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]


def list_tools(url: str, token: str | None, timeout: float = 10.0) -> list[str]:
    """Initialize a session at `url` (the `/mcp` endpoint) and return the tool names."""
    result: list[str] = anyio.run(_list_tools, url, token, timeout)
    return result
