"""Cursor pagination on the list endpoints: every item exactly once across pages, while the list changes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

REPO = "acme/app"


def claim(client: TestClient, engineer: str, pattern: str) -> int:
    response = client.post("/claims", json={"engineer": engineer, "repo_id": REPO, "claims": [{"pattern": pattern}]})
    assert response.status_code == 200, response.text
    return int(response.json()["claims"][0]["id"])


def next_link(response: object) -> str | None:
    header = response.headers.get("link")  # type: ignore[attr-defined]
    if not header:
        return None
    found = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert found, header
    return found.group(1)


def test_claims_pages_list_each_claim_once_while_claims_come_and_go(client: TestClient) -> None:
    original = [claim(client, f"eng{i}/cli/1", f"f{i}.txt") for i in range(30)]
    seen: list[int] = []
    released: set[int] = set()
    url: str | None = f"/claims?repo_id={REPO}&limit=7"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        ids = [c["id"] for c in body["claims"]]
        assert ids == sorted(ids, reverse=True)  # newest first
        seen += ids
        link = next_link(response)
        assert (link is None) == (body["next_cursor"] is None)
        url = link
        pages += 1
        # The list changes between pages: new claims arrive, a claim seen already is released.
        claim(client, f"new{pages}/cli/1", f"new{pages}.txt")
        done = ids[0]
        assert client.delete(f"/claims/{done}", params={"engineer": f"eng{original.index(done)}/cli/1"}).is_success
        released.add(done)
    assert len(seen) == len(set(seen)), "an item was listed twice"
    assert set(original) <= set(seen), "a claim active through the whole walk was skipped"
    assert pages == 5  # 30 claims, 7 per page


def test_the_last_page_has_no_cursor_and_no_link(client: TestClient) -> None:
    claim(client, "alex/cli/1", "a.txt")
    response = client.get("/claims", params={"limit": 5})
    assert response.json()["next_cursor"] is None and "link" not in response.headers
    full = client.get("/claims", params={"limit": 1})
    assert full.json()["next_cursor"] is None  # exactly one claim: nothing after it


def test_a_cursor_we_did_not_make_is_a_400(client: TestClient) -> None:
    for bad in ("nope", "djE6LTE", "x" * 65, "djE6YWJj"):
        response = client.get("/claims", params={"cursor": bad})
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["error"] == "invalid"


def test_events_pages_follow_the_link_in_id_order(client: TestClient) -> None:
    for i in range(12):
        claim(client, f"eng{i}/cli/1", f"e{i}.txt")
    seen: list[int] = []
    url: str | None = "/events?limit=5"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        seen += [e["id"] for e in response.json()["events"]]
        url = next_link(response)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 12
