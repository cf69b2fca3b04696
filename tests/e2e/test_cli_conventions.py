"""CLI conventions, through the real `coord` console script in a temp git repo against a
real server: `--json` on each command (validated against the API's response models),
exit codes 0/1/2/3, one `--symbol` syntax for claim and conflicts, tables not cut when
piped, and `coord completions install` into a temp HOME."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from coordination.api import schemas
from coordination.api import schemas_requests as rs
from tests.e2e.conftest import Coord, LiveServer, closed_port_url
from tests.support.invariant import assert_server_exclusive
from tests.wiring.repos import make_repo

pytestmark = pytest.mark.integration

ME, OTHER = "alex/cli/main", "bob/codex/1"
COMPLETIONS = Path(__file__).resolve().parents[2] / "scripts" / "completions"


def wired_repo(tmp_path: Path, server: LiveServer) -> tuple[Path, str]:
    """A git work tree whose `.coordination/local.env` points at `server`, with its own repo id."""
    root, _ = make_repo(tmp_path)
    repo_id = "cli/" + secrets.token_hex(4)
    coord_dir = root / ".coordination"
    coord_dir.mkdir(mode=0o700)
    env_file = coord_dir / "local.env"
    env_file.write_text(
        f"COORD_API_URL={server.url}\nCOORD_AUTH_TOKEN={server.token}\nCOORD_REPO_ID={repo_id}\nCOORD_ENGINEER={ME}\n"
    )
    env_file.chmod(0o600)
    return root, repo_id


def as_json(proc: subprocess.CompletedProcess[str], model: type[BaseModel] | None = None) -> Any:
    """stdout is one JSON document (nothing else); with `model`, it validates against it."""
    data = json.loads(proc.stdout)
    if model is not None:
        assert model.model_validate(data).model_dump(mode="json") == data
    return data


def check_exclusive(server: LiveServer) -> None:
    with server.client() as c:
        assert_server_exclusive(c)


def test_json_on_each_command(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, repo_id = wired_repo(tmp_path, live_server)

    made = coord.run("claim", "src/app.ts", "-d", "wip", "--json", cwd=root)
    assert made.returncode == 0, made.stderr
    body = as_json(made, schemas.CreateClaimsOut)
    (mine,) = body["claims"]
    assert mine["pattern"] == "src/app.ts" and mine["engineer"] == ME and body["decisions"][0]["outcome"] == "GRANT"

    listed = coord.run("ls", "--json", cwd=root)
    assert listed.returncode == 0, listed.stderr
    assert [c["id"] for c in as_json(listed, schemas.ClaimListOut)["claims"]] == [mine["id"]]

    safe = coord.run("conflicts", "src/app.ts", "--json", cwd=root)
    assert safe.returncode == 0, safe.stderr
    assert as_json(safe, schemas.ConflictsOut)["safe"] is True

    theirs = live_server.claim(OTHER, "src/other.ts", repo_id=repo_id)["claims"][0]
    held = coord.run("conflicts", "src/other.ts", "--json", cwd=root)
    assert held.returncode == 3
    found = as_json(held, schemas.ConflictsOut)
    assert found["safe"] is False and [c["claim_id"] for c in found["conflicts"]] == [theirs["id"]]
    assert "Conflicts" in held.stderr  # the human table still goes to stderr

    asked = coord.run("request-release", str(theirs["id"]), "-r", "need it", cwd=root)
    assert asked.returncode == 0, asked.stderr
    requests = coord.run("requests", "--json", cwd=root)
    assert requests.returncode == 0, requests.stderr
    (request,) = as_json(requests, rs.ReleaseRequestListOut)["requests"]
    assert request["claim_id"] == theirs["id"] and request["requester"] == ME

    extended = coord.run("extend", str(mine["id"]), "--ttl", "6", "--json", cwd=root)
    assert extended.returncode == 0, extended.stderr
    (answer,) = as_json(extended)
    schemas.ExtendOut.model_validate(answer)
    assert answer["id"] == mine["id"] and answer["expires_at"] > mine["expires_at"]
    check_exclusive(live_server)


def test_json_errors_are_the_api_error_body(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, repo_id = wired_repo(tmp_path, live_server)
    theirs = live_server.claim(OTHER, "src/held.ts", repo_id=repo_id)["claims"][0]

    refused = coord.run("claim", "src/held.ts", "--json", cwd=root)
    assert refused.returncode == 3
    body = as_json(refused, schemas.ConflictOut)
    assert body["error"] == "conflict" and body["conflicts"][0]["claim_id"] == theirs["id"]
    assert "error (409)" in refused.stderr

    # extend: one answer per id, in order; a refused id does not stop the others.
    mine = live_server.claim(ME, "src/mine.ts", repo_id=repo_id)["claims"][0]
    mixed = coord.run("extend", str(theirs["id"]), str(mine["id"]), "--json", cwd=root)
    assert mixed.returncode == 1
    refusal, answer = as_json(mixed)
    schemas.ErrorOut.model_validate(refusal)
    assert refusal["error"] == "forbidden" and answer["id"] == mine["id"]
    assert f"claim {theirs['id']}:" in mixed.stderr

    down = coord.run("ls", "--json", cwd=root, env={"COORD_API_URL": closed_port_url()})
    assert down.returncode == 1
    assert as_json(down, schemas.ErrorOut)["error"] == "unreachable"

    usage = coord.run("conflicts", "src/a.ts", "src/b.ts", "-s", "Router", "--json", cwd=root)
    assert usage.returncode == 2
    assert as_json(usage) == {"error": "usage", "detail": usage.stderr.split("usage error: ", 1)[1].strip()}
    check_exclusive(live_server)


def test_exit_codes(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, repo_id = wired_repo(tmp_path, live_server)
    assert coord.run("ls", cwd=root).returncode == 0
    assert coord.run("claim", "src/a.ts", cwd=root).returncode == 0
    assert coord.run("extend", "999999", cwd=root).returncode == 1  # 404
    assert coord.run("ls", cwd=root, env={"COORD_API_URL": closed_port_url()}).returncode == 1
    assert coord.run("claim", "src/b.ts", "--urgency", "now", cwd=root).returncode == 2
    assert coord.run("claim", cwd=root).returncode == 2
    assert coord.run("ls", "--no-such-option", cwd=root).returncode == 2
    assert coord.run("requests", "--state", "done", cwd=root).returncode == 2
    assert coord.run("extend", "1", "--ttl", "0", cwd=root).returncode == 2
    live_server.claim(OTHER, "src/c.ts", repo_id=repo_id)
    assert coord.run("claim", "src/c.ts", cwd=root).returncode == 3
    assert coord.run("conflicts", "src/c.ts", cwd=root).returncode == 3

    helped = coord.run("--help", cwd=root)
    assert helped.returncode == 0
    text = " ".join(helped.stdout.replace("│", " ").split())
    assert "Exit codes: 0 ok; 1 error" in text and "2 usage" in text and "3 conflict" in text
    check_exclusive(live_server)


def test_claim_and_conflicts_read_symbols_the_same_way(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, repo_id = wired_repo(tmp_path, live_server)
    with live_server.client() as c:
        held = c.post(
            "/claims",
            json={
                "engineer": OTHER,
                "repo_id": repo_id,
                "claims": [{"pattern": "src/router.ts", "symbols": ["Router::a"]}],
            },
        )
        assert held.status_code == 200, held.text

    # `-s Name` applies to the single path given (it used to be dropped: the whole file was checked).
    for spec, code in (("Router::b", 0), ("src/router.ts::Router::b", 0), ("Router::a", 3), ("Router", 3)):
        checked = coord.run("conflicts", "src/router.ts", "-s", spec, cwd=root)
        assert checked.returncode == code, (spec, checked.stdout, checked.stderr)
    assert coord.run("conflicts", "-s", "src/router.ts::Router::a", cwd=root).returncode == 3

    granted = coord.run("claim", "src/router.ts", "-s", "Router::b", "--json", cwd=root)
    assert granted.returncode == 0, granted.stderr
    assert as_json(granted)["claims"][0]["symbols"] == ["Router::b"]

    both = coord.run("claim", "src/x.ts", "src/y.ts", "-s", "src/x.ts::Foo", "--json", cwd=root)
    assert both.returncode == 0, both.stderr
    scopes = {c["pattern"]: c["symbols"] for c in as_json(both)["claims"]}
    assert scopes == {"src/x.ts": ["Foo"], "src/y.ts": []}

    for command in ("claim", "conflicts"):
        ambiguous = coord.run(command, "src/p.ts", "src/q.ts", "-s", "Foo", cwd=root)
        assert ambiguous.returncode == 2, ambiguous.stderr
        assert "path::Foo" in ambiguous.stderr and ambiguous.stdout == ""
    with live_server.client() as c:
        mine = c.get("/claims", params={"repo_id": repo_id, "engineer": ME}).json()["claims"]
    assert not any(c["pattern"] in ("src/p.ts", "src/q.ts") for c in mine)
    check_exclusive(live_server)


def test_long_paths_are_not_cut_when_piped(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, repo_id = wired_repo(tmp_path, live_server)
    deep = "src/" + "/".join(f"module_{i:02d}_with_a_long_name" for i in range(7)) + "/component.tsx"
    assert len(deep) > 150
    assert coord.run("claim", deep, "-d", "a description that is long enough to matter", cwd=root).returncode == 0
    for env in ({}, {"COLUMNS": "80"}):
        listed = coord.run("ls", cwd=root, env=env)
        assert listed.returncode == 0, listed.stderr
        assert deep in listed.stdout, listed.stdout  # on one line: not folded, no ellipsis
        assert "…" not in listed.stdout

    other_deep = deep.replace("component", "other")
    live_server.claim(OTHER, other_deep, repo_id=repo_id)
    refused = coord.run("claim", other_deep, cwd=root)
    assert refused.returncode == 3
    assert refused.stderr.count(other_deep) >= 2  # wanted and scope columns, both whole
    check_exclusive(live_server)


def _bash_complete(script: Path, *words: str) -> list[str]:
    code = f"""
source {script}
COMP_WORDS=({" ".join(repr(w) for w in words)})
COMP_CWORD={len(words) - 1}
_coord
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "-c", code], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


def test_completions_install_into_home(tmp_path: Path, coord: Coord) -> None:
    home = Path(coord.env["HOME"])
    env = {"SHELL": "/bin/bash"}
    first = coord.run("completions", "install", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    bash_file = home / ".local" / "share" / "bash-completion" / "completions" / "coord"
    assert bash_file.read_text() == (COMPLETIONS / "coord.bash").read_text()
    assert f"wrote the bash completions to {bash_file}" in first.stdout
    again = coord.run("completions", "install", "--shell", "bash", cwd=tmp_path)
    assert again.returncode == 0 and f"{bash_file} is up to date" in again.stdout
    assert "extend" in _bash_complete(bash_file, "coord", "ext")

    zsh = coord.run("completions", "install", "--shell", "zsh", cwd=tmp_path)
    assert zsh.returncode == 0, zsh.stderr
    zsh_file = home / ".local" / "share" / "zsh" / "site-functions" / "_coord"
    assert zsh_file.read_text() == (COMPLETIONS / "_coord").read_text()
    zsh_again = coord.run("completions", "install", "--shell", "zsh", cwd=tmp_path)
    assert zsh_again.returncode == 0 and "is up to date" in zsh_again.stdout
    zshrc = (home / ".zshrc").read_text()
    assert zshrc.count(f'fpath=("{zsh_file.parent}" $fpath)') == 1 and "compdef _coord coord" in zshrc

    shown = coord.run("completions", "show", "--shell", "bash", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout == (COMPLETIONS / "coord.bash").read_text()
    unknown = coord.run("completions", "install", cwd=tmp_path, env={"SHELL": "/usr/bin/fish"})
    assert unknown.returncode == 2 and "--shell bash" in unknown.stderr
