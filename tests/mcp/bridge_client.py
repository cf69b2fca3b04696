"""Drive a real `coord-mcp` process over stdio with the official MCP client."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp import ClientSession

BIN = Path(sys.executable).parent


def coord_mcp_command() -> tuple[str, list[str]]:
    script = BIN / "coord-mcp"
    if script.exists():
        return str(script), []
    found = shutil.which("coord-mcp")
    if found:
        return found, []
    return sys.executable, ["-m", "coordination.mcp_bridge"]


def _python_path() -> dict[str, str]:
    """Keep PYTHONPATH, so the bridge imports the same source tree as the tests."""
    value = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": value} if value else {}


@asynccontextmanager
async def bridge(cwd: Path, env: dict[str, str]) -> AsyncIterator[ClientSession]:
    # The SDK is imported where a bridge starts: every test process collects the modules
    # that use this helper, and the import costs most of a second.
    from mcp.client.stdio import stdio_client

    from mcp import ClientSession, StdioServerParameters

    command, args = coord_mcp_command()
    params = StdioServerParameters(
        command=command,
        args=args,
        cwd=str(cwd),
        env={"COORD_NO_UPDATE_CHECK": "1", "PATH": f"{BIN}:/usr/bin:/bin", **_python_path(), **env},
    )
    with open(cwd.parent / "bridge-stderr.log", "a") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def payload(result: Any) -> dict[str, Any]:
    """The JSON a tool returned (structured content, else the first text block)."""
    if getattr(result, "structured_content", None):
        data = result.structured_content
        return data.get("result", data) if isinstance(data, dict) else {"result": data}
    text = result.content[0].text if result.content else "{}"
    try:
        return json.loads(text)
    except ValueError:
        return {"text": text}


def text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
