"""Reject over-large request bodies before anything reads them, and bodies that arrive too slowly."""

from __future__ import annotations

import asyncio
import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """Pure ASGI middleware: 413 for bodies over `max_bytes`, declared or streamed;
    408 (and the connection closed) for a body not received within `timeout_sec`.

    The timeout covers the whole body, not each chunk, so a client that sends a
    byte a second cannot keep a request (and a connection) open for long.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_sec: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_sec = timeout_sec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send, too_slow=False)
            return
        if (declared is None or declared == b"0") and b"transfer-encoding" not in headers:
            # No body (a GET, a DELETE): nothing to count or to wait for.
            await self.app(scope, receive, send)
            return
        seen = 0
        too_big = False
        too_slow = False
        deadline = time.monotonic() + self.timeout_sec
        body_done = False

        async def counted() -> Message:
            nonlocal seen, too_big, too_slow, body_done
            if body_done:
                return await receive()  # only a disconnect is left to wait for: no deadline
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                too_slow = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            failed = too_big or too_slow
            if failed and not started:
                started = True
                await self._reject(send, too_slow)
                return
            if failed:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not (too_big or too_slow):
                raise
            # The app saw the body end early (a disconnect) and gave up: answer for it.
        if (too_big or too_slow) and not started:
            await self._reject(send, too_slow)

    async def _reject(self, send: Send, too_slow: bool) -> None:
        headers = [(b"content-type", b"application/json")]
        if too_slow:
            status = 408
            detail = {
                "error": "timeout",
                "detail": f"request body not received within {self.timeout_sec:g}s (COORD_BODY_TIMEOUT_SEC)",
            }
            headers.append((b"connection", b"close"))
        else:
            status = 413
            detail = {"error": "too_large", "detail": f"request body larger than {self.max_bytes} bytes"}
        body = json.dumps(detail).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
