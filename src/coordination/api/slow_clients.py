"""A deadline for a request's headers, which uvicorn does not have.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but waits
for a request's headers forever: a client can open connections and send a
header byte now and then to hold them. This protocol gives each request
`timeout_sec` from the moment the connection is ready for it (connected, or
the previous response finished) until its headers are complete; a slower
client is disconnected. The body's deadline is `BodyLimit`'s.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def header_timeout_protocol(timeout_sec: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class with a header deadline of `timeout_sec`."""
    base: Any = AutoHTTPProtocol

    class HeaderTimeoutProtocol(base):
        header_timeout_sec = timeout_sec

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_timer()  # the next request's headers get a fresh deadline

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(self.header_timeout_sec, self._header_deadline)

        def _disarm_header_timer(self) -> None:
            timer = getattr(self, "_header_timer", None)
            if timer is not None:
                timer.cancel()
                self._header_timer = None

        def _header_deadline(self) -> None:
            self._header_timer = None
            cycle = getattr(self, "cycle", None)
            if cycle is not None and not cycle.response_complete:
                return  # the headers arrived: this request is running (its body has BodyLimit's deadline)
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
