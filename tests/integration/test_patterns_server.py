"""Patterns a real server must take without breaking exclusivity or stalling: file names
with glob characters (Next.js routes), patterns too costly to compare, requests too big
to check in one go, and text with control characters. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from coordination import clientenv
from coordination.wiring import guards
from tests.conftest import PG_ENV
from tests.support import databases
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ALEX, BOB, CARA = "alex/claude/1", "bob/codex/1", "cara/cursor/1"
FIXTURES = Path(__file__).resolve().parents[1] / "parsers" / "fixtures"

FILES = {
    "pages/[id].tsx": "export default function Page() {\n  return null\n}\nexport function getStaticProps() {}\n",
    "pages/[[...slug]].tsx": "export function CatchAll() {}\n",
    "pages/i.tsx": "export const index = 1\n",
    "app/(auth)/page.tsx": "export function Login() {}\n",
    "src/a.ts": "export const a = 1\n",
}


@dataclass
class Servers:
    checkout: Server  # COORD_REPO_ROOT: a git checkout holding FILES
    bare: Server  # no checkout: patterns are compared as globs
    files: list[str]


def _git_repo(root: Path) -> list[str]:
    root.mkdir()
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "src" / "types.ts").write_text((FIXTURES / "generic_call_signatures.ts").read_text())
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return sorted([*FILES, "src/types.ts"])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    tmp = tmp_path_factory.mktemp(f"patterns-{request.param}")
    files = _git_repo(tmp / "app")
    dbs: list[tuple[str, str]] = []
    envs: list[dict[str, str]] = []
    for name in ("checkout", "bare"):
        env = {"COORD_MAX_CLAIM_RATIO": "1.0", "COORD_DATABASE_PATH": str(tmp / f"{name}.db")}
        if request.param == "postgres":
            base = os.environ.get(PG_ENV)
            if not base:
                pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
            url, db = databases.fresh_pg_database(base, migrated=True)
            dbs.append((base, db))
            env["COORD_DATABASE_URL"] = url
        envs.append(env)
    envs[0].update({"COORD_REPO_ROOT": str(tmp / "app"), "COORD_LS_FILES_CACHE_TTL_SEC": "0"})
    started = [start_server(tmp, env=env) for env in envs]
    try:
        yield Servers(started[0], started[1], files)
    finally:
        for server in started:
            server.stop()
        for base, db in dbs:
            databases.drop_pg_database(base, db)


def claim(client: httpx.Client, engineer: str, repo: str, *items: str | dict[str, Any], **extra: Any) -> httpx.Response:
    claims = [{"pattern": i} if isinstance(i, str) else i for i in items]
    return client.post("/claims", json={"engineer": engineer, "repo_id": repo, "claims": claims, **extra})


def test_a_literal_path_is_one_file_and_globs_that_match_it_conflict(servers: Servers) -> None:
    repo = "lit/field"
    with servers.bare.client() as c:
        held = claim(c, ALEX, repo, {"pattern": "pages/[id].tsx", "literal": True})
        assert held.status_code == 200, held.text
        assert held.json()["claims"][0]["pattern"] == r"pages/\[id\].tsx"
        # Every spelling of a path that file matches is refused while alex holds it.
        for other in ("pages/?id?.tsx", r"pages/\[id\].tsx", r"pages/\[id].tsx", "pages/*.tsx"):
            resp = claim(c, BOB, repo, other)
            assert resp.status_code == 409, (other, resp.text)
            assert [e["claim_id"] for e in resp.json()["conflicts"]] == [held.json()["claims"][0]["id"]]
        # Without a checkout an unescaped pattern stays a glob: [id] is one character.
        glob = claim(c, BOB, repo, "pages/[id].tsx")
        assert glob.status_code == 200 and glob.json()["claims"][0]["pattern"] == "pages/[id].tsx"
        # The holder's own refresh finds its claim under any spelling of the path.
        again = claim(c, ALEX, repo, r"pages/\[id].tsx")
        assert again.status_code == 200 and again.json()["decisions"][0]["refreshed"] is True
        # A path that is no repo path stays refused, with the reason.
        bad = claim(c, ALEX, repo, {"pattern": "pages\\[id].tsx", "literal": True})
        assert bad.status_code == 400 and "backslash" in bad.json()["detail"]
        assert_server_exclusive(c, repo)


def test_a_pattern_that_is_a_tracked_file_name_is_that_file(servers: Servers) -> None:
    repo = "lit/tracked"
    with servers.checkout.client() as c:
        held = claim(c, ALEX, repo, "pages/[id].tsx", "app/(auth)/page.tsx")
        assert held.status_code == 200, held.text
        body = held.json()
        assert [x["pattern"] for x in body["claims"]] == [r"pages/\[id\].tsx", "app/(auth)/page.tsx"]
        assert "literal path pages/[id].tsx" in body["decisions"][0]["note"]
        for other in ("pages/?id?.tsx", "pages/[[]id].tsx*", "app/*/page.tsx", "app/(auth)/*"):
            resp = claim(c, BOB, repo, other)
            assert resp.status_code in (400, 409), (other, resp.text)
            if resp.status_code == 400:  # `[[]` is no valid class; the point is it never gets granted
                continue
            assert resp.json()["conflicts"][0]["engineer"] == ALEX
        assert claim(c, BOB, repo, "pages/i.tsx").status_code == 200  # another file
        # Next.js optional catch-all: not even a valid glob, yet a tracked file.
        slug = claim(c, BOB, repo, "pages/[[...slug]].tsx")
        assert slug.status_code == 200, slug.text
        assert slug.json()["claims"][0]["pattern"] == r"pages/\[\[...slug\]\].tsx"
        assert claim(c, CARA, repo, {"pattern": "pages/[[...slug]].tsx", "literal": True}).status_code == 409
        checked = c.get(
            "/conflicts", params={"repo_id": repo, "engineer": CARA, "paths": ["pages/[id].tsx", "pages/i.tsx"]}
        ).json()
        assert sorted(e["engineer"] for e in checked["conflicts"]) == [ALEX, BOB]
        assert_server_exclusive(c, repo, files=servers.files)


def test_symbol_claims_work_on_route_files(servers: Servers) -> None:
    repo = "lit/symbols"
    with servers.checkout.client() as c:
        page = claim(c, ALEX, repo, {"pattern": "pages/[id].tsx", "symbols": ["Page"]})
        assert page.status_code == 200, page.text
        beside = claim(c, BOB, repo, {"pattern": "pages/[id].tsx", "literal": True, "symbols": ["getStaticProps"]})
        assert beside.status_code == 200, beside.text
        assert beside.json()["decisions"][0]["outcome"] == "AUTO_COEXIST"
        unknown = claim(c, BOB, repo, {"pattern": "pages/[id].tsx", "symbols": ["Nope"]})
        assert unknown.status_code == 400 and "unknown symbol" in unknown.json()["detail"]
        whole = claim(c, CARA, repo, r"pages/\[id\].tsx")
        assert whole.status_code == 409
        assert sorted(e["engineer"] for e in whole.json()["conflicts"]) == [ALEX, BOB]
        assert_server_exclusive(c, repo, files=servers.files)
    with servers.bare.client() as c:  # no checkout: only the language is checked
        resp = claim(c, ALEX, repo, {"pattern": "app/(auth)/[slug]/page.tsx", "literal": True, "symbols": ["Page"]})
        assert resp.status_code == 200, resp.text
        narrowed = claim(c, BOB, repo, {"pattern": r"app/(auth)/\[slug\]/page.tsx", "symbols": ["Other"]})
        assert narrowed.status_code == 200 and narrowed.json()["decisions"][0]["outcome"] == "AUTO_COEXIST"
        assert_server_exclusive(c, repo)


def test_verify_answers_per_path_and_never_refuses_the_batch(servers: Servers) -> None:
    repo = "lit/verify"
    with servers.checkout.client() as c:
        held = claim(c, ALEX, repo, "pages/[id].tsx").json()["claims"][0]
        paths = ["pages/[id].tsx", "pages/i.tsx", "src\\odd.ts", "../up.ts", "bad\x1b[31m.ts", "app/(auth)/page.tsx"]
        resp = c.post("/claims/verify", json={"repo_id": repo, "engineer": BOB, "paths": paths})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert [(e["path"], e["claim_id"]) for e in body["theirs"]] == [("pages/[id].tsx", held["id"])]
        assert [u["path"] for u in body["unchecked"]] == ["src\\odd.ts", "../up.ts", "bad\x1b[31m.ts"]
        assert all(u["reason"] for u in body["unchecked"])
        assert_server_exclusive(c, repo, files=servers.files)


def _env(server: Server, repo: str, engineer: str) -> clientenv.ClientEnv:
    return clientenv.ClientEnv(
        api_url=server.url,
        token=server.token,
        token_source="test",
        repo_id=repo,
        repo_id_source="test",
        engineer=engineer,
        engineer_source="test",
        session_id="push-check",
    )


def test_pre_push_check_blocks_on_held_route_files_and_on_paths_it_cannot_check(servers: Servers) -> None:
    repo = "lit/push"
    with servers.checkout.client() as c:
        assert claim(c, ALEX, repo, "pages/[id].tsx").status_code == 200
    env = _env(servers.checkout, repo, BOB)
    held = guards.verify_paths(["pages/[id].tsx", "src/a.ts"], env, what="push", strict=False)
    assert held.exit_code == 1 and any("pages/[id].tsx: held by alex" in line for line in held.lines), held.lines
    odd = guards.verify_paths(["src/a.ts", "src\\odd.ts"], env, what="push", strict=False)
    assert odd.exit_code == 1 and any("could not be checked" in line for line in odd.lines), odd.lines
    # A request the service refuses is no reason to let the push through unchecked.
    refused = guards.verify_paths(["src/a.ts"], _env(servers.checkout, repo, "not a name!"), what="push", strict=False)
    assert refused.exit_code == 1 and any("refused the claim check" in line for line in refused.lines)
    clean = guards.verify_paths(["src/a.ts", "pages/i.tsx"], env, what="push", strict=False)
    assert clean.exit_code == 0, clean.lines


# -- pattern complexity (9.2) and request size (9.3) ------------------------------


ADVERSARIAL = [
    ("**/" * 100 + "a", "**/" * 99 + "b/a"),
    ("*a" * 500, "*a" * 499 + "*b"),
    (".*" * 500, ".*" * 499 + "x"),
    ("{1..200}" + "*" * 40 + "x", "*" * 40 + "{1..200}y"),
]


@pytest.mark.parametrize(("first", "second"), ADVERSARIAL)
def test_patterns_too_costly_to_compare_answer_400_at_once(servers: Servers, first: str, second: str) -> None:
    repo = "complex/caps"
    with servers.bare.client() as c:
        started = time.monotonic()
        resp = claim(c, ALEX, repo, first)
        assert resp.status_code == 400 and "too complex" in resp.json()["detail"], resp.text
        assert claim(c, BOB, repo, second).status_code == 400
        assert time.monotonic() - started < 5  # seconds to minutes each before the caps
        assert_server_exclusive(c, repo)


def test_a_valid_pair_over_the_search_budget_is_refused_not_decided_for_seconds(servers: Servers) -> None:
    repo = "complex/budget"
    held, asked = "*a" * 16 + "a" * 900, "a" * 900 + "*a" * 15 + "*b"
    with servers.bare.client() as c:
        assert claim(c, ALEX, repo, held).status_code == 200
        resp = claim(c, BOB, repo, asked)
        assert resp.status_code == 400, resp.text
        assert "too complex" in resp.json()["detail"] and "search budget" in resp.json()["detail"]
        check = c.get("/conflicts", params={"repo_id": repo, "engineer": BOB, "paths": [asked]})
        assert check.status_code == 400 and "too complex" in check.json()["detail"]
        assert claim(c, BOB, repo, "src/ok.ts").status_code == 200  # the repo is not stalled
        assert_server_exclusive(c, repo)


def test_conflicts_takes_at_most_the_claim_item_limit_of_paths(servers: Servers) -> None:
    repo = "big/conflicts"
    with servers.checkout.client() as c:
        ok = c.get("/conflicts", params={"repo_id": repo, "paths": [f"src/f{i}/*.ts" for i in range(100)]})
        assert ok.status_code == 200, ok.text
        over = c.get("/conflicts", params={"repo_id": repo, "paths": [f"src/f{i}/*.ts" for i in range(101)]})
        assert over.status_code == 400 and "at most 100 paths" in over.json()["detail"]
        assert over.json()["field"] == "paths"
        mixed = c.get(
            "/conflicts",
            params={"repo_id": repo, "paths": ["src/a.ts"] * 60, "symbols": ["src/types.ts::Hono"] * 41},
        )
        assert mixed.status_code == 400


# -- control characters (9.4) -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "ok\x1b[31m red"),
        ("description", "nul\x00"),
        ("branch", "feat\x00x"),
        ("branch", "main\x1b]0;title\x07"),
        ("engineer", "alex\x1b[2J"),
        ("session_id", "s\x00"),
        ("repo_id", "r\u202e"),
    ],
)
def test_control_characters_are_refused_with_the_field_named(servers: Servers, field: str, value: str) -> None:
    body: dict[str, Any] = {"engineer": ALEX, "repo_id": "ctl/repo", "claims": [{"pattern": "src/a.ts"}]}
    body[field] = value
    with servers.bare.client() as c:
        resp = c.post("/claims", json=body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"] == "invalid" and field in resp.json()["detail"]
        assert "control character" in resp.json()["detail"]


@pytest.mark.parametrize(
    "item",
    [
        {"pattern": "src/\u202egnp.ts"},
        {"pattern": "src/\u2066a.ts"},
        {"pattern": "src/a\x9b.ts"},
        {"pattern": "src/a.ts", "symbols": ["Foo\x1b[0m"]},
        {"pattern": "src/a.ts", "symbols": ["Foo\u200f"]},
    ],
)
def test_control_and_bidi_characters_in_patterns_and_symbols_are_refused(
    servers: Servers, item: dict[str, Any]
) -> None:
    with servers.bare.client() as c:
        resp = claim(c, ALEX, "ctl/items", item)
        assert resp.status_code == 400, resp.text
        detail = resp.json()["detail"]
        assert "control character" in detail and ("pattern" in detail or "symbols" in detail)


def test_free_text_keeps_newlines_and_tabs_and_release_requests_refuse_controls(servers: Servers) -> None:
    repo = "ctl/text"
    with servers.bare.client() as c:
        ok = claim(c, ALEX, repo, "src/a.ts", description="line one\n\tline two", branch="feat/x")
        assert ok.status_code == 200, ok.text
        assert ok.json()["claims"][0]["description"] == "line one\n\tline two"
        claim_id = ok.json()["claims"][0]["id"]
        ask = {"repo_id": repo, "requester": BOB, "claim_id": claim_id, "reason": "need it\x1b[5m now"}
        resp = c.post("/requests", json=ask)
        assert resp.status_code == 400 and "reason" in resp.json()["detail"], resp.text
        ask["reason"] = "need it\nnow"
        opened = c.post("/requests", json=ask)
        assert opened.status_code == 200, opened.text
        answer = {"engineer": ALEX, "answer": "deny", "note": "no\u202e"}
        refused = c.post(f"/requests/{opened.json()['id']}/respond", json=answer)
        assert refused.status_code == 400 and "note" in refused.json()["detail"], refused.text
        heartbeat = c.post("/sessions/s1/heartbeat", json={"engineer": "a\x1bb"})
        assert heartbeat.status_code == 400 and "engineer" in heartbeat.json()["detail"]
        assert_server_exclusive(c, repo)


# -- parse errors (9.5) ---------------------------------------------------------------


def test_symbols_after_a_parse_error_are_claimable(servers: Servers) -> None:
    repo = "parse/recover"
    with servers.checkout.client() as c:
        # Declared after the interface whose call signatures trip the parser.
        late = claim(c, ALEX, repo, {"pattern": "src/types.ts", "symbols": ["Hono", "Hono::route", "Schema"]})
        assert late.status_code == 200, late.text
        assert late.json()["decisions"][0]["note"] is None
        # A name no parse could find is accepted with a note, not refused as unknown.
        unseen = claim(c, BOB, repo, {"pattern": "src/types.ts", "symbols": ["NotDeclaredAnywhere"]})
        assert unseen.status_code == 200, unseen.text
        assert "could not verify" in unseen.json()["decisions"][0]["note"]
        assert_server_exclusive(c, repo, files=servers.files)
