"""Running an MCP tool's blocking API call: in a worker thread, with progress notifications while it waits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context

__all__ = ["PROGRESS_EVERY_SEC", "to_thread", "with_progress"]

log = logging.getLogger("coord.mcp")

PROGRESS_EVERY_SEC = 2.0


async def to_thread(fn: Callable[[], Any]) -> Any:
    """Run a blocking API call in a worker thread (the in-process transport needs one)."""
    return await anyio.to_thread.run_sync(fn)


async def with_progress(ctx: Context, fn: Callable[[], Any], total: float | None) -> Any:
    """`fn()` in a worker thread; meanwhile a progress notification every PROGRESS_EVERY_SEC.

    The SDK sends them only when the call carried a progressToken, so clients that
    reset their timeout on progress keep waiting. Progress is the seconds waited
    by this call; `total` the wait asked for, when known.
    """
    done = anyio.Event()
    started = time.monotonic()

    async def tick() -> None:
        while not done.is_set():
            with anyio.move_on_after(PROGRESS_EVERY_SEC):
                await done.wait()
            if done.is_set():
                return
            waited = round(time.monotonic() - started, 1)
            try:
                await ctx.report_progress(waited, total, f"waiting in the claim queue ({waited:g}s)")
            except Exception:  # noqa: BLE001 - a lost notification must not end the wait
                log.debug("progress notification failed", exc_info=True)

    failed: list[Exception] = []
    result: Any = None
    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        try:
            result = await anyio.to_thread.run_sync(fn)
        except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
            failed.append(exc)  # (inside it a ToolError would reach the client wrapped in a group)
        finally:
            done.set()
    if failed:
        raise failed[0]
    return result
