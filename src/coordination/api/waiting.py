"""Run a long-polling service call in a worker thread while watching its HTTP connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from fastapi import Request

from coordination.service import Presence

T = TypeVar("T")


async def while_connected(request: Request, call: Callable[[Presence], T]) -> T:
    """`call(presence)` in a worker thread; `presence.leave()` as soon as the client disconnects.

    The request body has been read, so the next message the server delivers for
    this request is `http.disconnect`: the client closed the connection (or its
    own timeout fired) before the answer.
    """
    presence = Presence()

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                presence.leave("the caller closed the connection before the answer")
                return

    watcher = asyncio.ensure_future(watch())
    try:
        return await anyio.to_thread.run_sync(call, presence)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
