"""Slow clients: a body or headers dribbled a byte a second are cut off; everyone else is served meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

TIMEOUT_SEC = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COORD_BODY_TIMEOUT_SEC": str(TIMEOUT_SEC), "COORD_HEADER_TIMEOUT_SEC": str(TIMEOUT_SEC)}
    srv = start_server(tmp_path_factory.mktemp("slow"), env=env)
    try:
        yield srv
    finally:
        srv.stop()


class Dribbler:
    """A raw socket that sends `head` at once, then one byte of `tail` a second; records how it ended."""

    def __init__(self, server: Server, head: bytes, tail: bytes) -> None:
        host, port = server.url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.sock.sendall(head)
        self.started = time.monotonic()
        self.tail = tail
        self.answer = b""
        self.ended: float | None = None
        self._stop = threading.Event()
        self._sender = threading.Thread(target=self._send, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._sender.start()
        self._reader.start()

    def _send(self) -> None:
        for byte in self.tail:
            if self._stop.wait(1.0):
                return
            try:
                self.sock.send(bytes([byte]))
            except OSError:
                return

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                self.answer += chunk
        except OSError:
            pass
        self.ended = time.monotonic()
        self._stop.set()

    def wait(self, limit: float) -> float | None:
        """Seconds from the first bytes until the server closed the connection (None: still open)."""
        self._reader.join(timeout=limit)
        self._stop.set()
        self.sock.close()
        return None if self.ended is None else self.ended - self.started


def test_a_dribbled_body_is_cut_off_while_others_are_served(server: Server) -> None:
    head = (
        b"POST /claims HTTP/1.1\r\nHost: coord\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {server.token}\r\nContent-Length: 1000\r\n\r\n".encode()
    )
    slow = [Dribbler(server, head, b'{"engineer": "slow/a/1", "claims": [' + b" " * 900) for _ in range(8)]
    served: list[float] = []
    with server.client() as client:
        while time.monotonic() - slow[0].started < TIMEOUT_SEC - 0.5:
            t0 = time.monotonic()
            resp = client.post("/claims", json={"engineer": "fast/a/1", "claims": [{"pattern": f"f{len(served)}.py"}]})
            assert resp.status_code == 200, resp.text
            assert client.get("/healthz").status_code == 200
            served.append(time.monotonic() - t0)
        for d in slow:
            took = d.wait(limit=TIMEOUT_SEC + 10)
            assert took is not None, "the server kept a dribbling client's connection open"
            assert took < TIMEOUT_SEC + 3, took
            assert d.answer.startswith(b"HTTP/1.1 408"), d.answer[:200]
            assert b"COORD_BODY_TIMEOUT_SEC" in d.answer
        # A server stuck behind the dribblers would answer only when their bodies time out
        # (TIMEOUT_SEC); well under that, with room for a loaded machine, means served beside them.
        assert served and max(served) < 0.75 * TIMEOUT_SEC, served
        assert_server_exclusive(client)


def test_dribbled_headers_are_cut_off(server: Server) -> None:
    slow = [Dribbler(server, b"GET /claims HTTP/1.1\r\nHost: coord\r\n", b"X-Slow: " + b"a" * 60) for _ in range(8)]
    with server.client() as client:
        assert client.get("/healthz").status_code == 200
    for d in slow:
        took = d.wait(limit=TIMEOUT_SEC + 10)
        assert took is not None, "the server kept a client sending headers slowly connected"
        assert took < TIMEOUT_SEC + 3, took


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    silent = Dribbler(server, b"", b"")
    took = silent.wait(limit=TIMEOUT_SEC + 10)
    assert took is not None and took < TIMEOUT_SEC + 3, took


def test_a_normal_keep_alive_connection_still_works(server: Server) -> None:
    with server.client() as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(0.3)
