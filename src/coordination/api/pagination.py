"""Cursor pagination for list endpoints: `next_cursor` in the body and a `Link: rel="next"` header.

A cursor is opaque to clients: the id of the last item of the page, versioned and
base64url-encoded. Lists are ordered by id, so a page never repeats an item of an
earlier page and never skips one that existed through the whole walk, however the
list changes between requests (an item that ends meanwhile is simply not listed).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import Request, Response

from coordination.core.limits import MAX_CURSOR_LENGTH, MAX_ID
from coordination.errors import Invalid

_PREFIX = "v1:"

# A listed item: a row dict with an "id", or a record with an `id` attribute.
Row = TypeVar("Row")


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).rstrip(b"=").decode()


def decode(cursor: str | None) -> int | None:
    """The id a cursor points past, or None without one; a cursor we did not make is a 400."""
    if cursor is None or cursor == "":
        return None
    problem = Invalid("invalid cursor: pass back the next_cursor of the previous page unchanged", field="cursor")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise problem
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise problem from None
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise problem
    value = int(text[len(_PREFIX) :])
    if not 0 <= value <= MAX_ID:
        raise problem
    return value


def page(request: Request, response: Response, rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
    """Cut `rows` (fetched with `limit + 1`) to one page; set the Link header when there is more."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last: Any = items[-1]
    cursor = encode(int(last["id"] if isinstance(last, dict) else last.id))
    nxt = request.url.include_query_params(cursor=cursor)
    response.headers["Link"] = f'<{nxt.path}?{nxt.query}>; rel="next"'
    return items, cursor
