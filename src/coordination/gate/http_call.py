"""The edit gate's one HTTP round trip: POST JSON to the service, decode the answer (standard library only).

A plain-socket HTTP/1.1 POST for `http://` (http.client pulls in the email package)
and `http.client` only for `https://`; any failure is a `CallFailed` with a reason
the agent can read.
"""

from __future__ import annotations

from coordination.gate import fastjson

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from coordination.gate.context import Context

__all__ = ["CallFailed", "call", "split_url"]


class CallFailed(Exception):
    pass


def call(ctx: Context, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST `body` as JSON; the decoded answer (2xx) or CallFailed with a readable reason."""
    scheme, host, port, prefix = split_url(ctx.api_url)
    data = fastjson.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"}
    if ctx.token:
        headers["Authorization"] = f"Bearer {ctx.token}"
    if ctx.session:
        headers["X-Coord-Session"] = ctx.session
    try:
        if scheme == "https":
            import http.client

            conn = http.client.HTTPSConnection(host, port, timeout=timeout)
            conn.request("POST", prefix + path, body=data, headers=headers)
            resp = conn.getresponse()
            status, raw = resp.status, resp.read()
            conn.close()
        else:
            status, raw = _plain_post(host, port, prefix + path, data, headers, timeout)
    except OSError as exc:
        raise CallFailed(f"coord unreachable at {ctx.api_url} ({exc.__class__.__name__}: {exc})") from None
    try:
        answer = fastjson.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status >= 300:
        hint = " Check COORD_AUTH_TOKEN (`coord doctor`)." if status in (401, 403) else ""
        detail = answer.get("detail") or raw[:200].decode(errors="replace")
        raise CallFailed(f"coord answered {status} {answer.get('error', '')}: {detail}.{hint}")
    return answer


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path prefix) of `http[s]://host[:port][/prefix]`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    hostport, _, prefix = rest.partition("/")
    host, port = hostport, 443 if scheme == "https" else 80
    if hostport.startswith("["):  # [::1]:8080
        host, _, tail = hostport[1:].partition("]")
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif ":" in hostport:
        name, _, num = hostport.rpartition(":")
        if num.isdigit():
            host, port = name, int(num)
    return scheme.lower(), host or "127.0.0.1", port, ("/" + prefix).rstrip("/")


def _plain_post(
    host: str, port: int, path: str, data: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """HTTP/1.1 POST over a plain socket (http.client pulls in the email package: ~10 ms)."""
    import _socket  # `socket` itself imports enum (~5 ms); the C module is all we need

    # An ASCII host as bytes: a str host makes getaddrinfo load the idna codec (~5 ms).
    address = host.encode("ascii") if host.isascii() else host
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    error: OSError | None = None
    sock = None
    for family, kind, proto, _name, sockaddr in _socket.getaddrinfo(address, port, 0, _socket.SOCK_STREAM):
        candidate = _socket.socket(family, kind, proto)
        try:
            candidate.settimeout(timeout)
            candidate.connect(sockaddr)
        except OSError as exc:
            candidate.close()
            error = exc
            continue
        sock = candidate
        break
    if sock is None:
        raise error or OSError(f"no address for {host}")
    chunks = []
    try:
        sock.sendall(head.encode("latin-1") + b"\r\n" + data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    raw = b"".join(chunks)
    header, _, body = raw.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise OSError(f"not an HTTP answer from {host}:{port}") from None
    if any(line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower() for line in lines[1:]):
        body = _dechunk(body)
    return status, body


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)
