"""Background loops: each is a one-tick function run on an interval, off for tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("coordination.workers")


async def run_every(name: str, interval_sec: float, tick: Callable[[], Any]) -> None:
    """Call `tick` in a worker thread every `interval_sec` until cancelled; errors are logged, not fatal."""
    while True:
        await asyncio.sleep(interval_sec)
        try:
            result = await asyncio.to_thread(tick)
            if result and (not isinstance(result, dict) or any(result.values())):
                log.info("%s: %s", name, result)
        except Exception:
            log.exception("%s failed; will retry in %ss", name, interval_sec)
