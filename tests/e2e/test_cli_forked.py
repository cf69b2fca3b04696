"""The end-to-end tests run `coord` forked from a helper that has imported the CLI
(tests/support/forkserver.py). Here the same commands run both ways, forked and as the
console script on PATH, and must answer alike: exit status, output and errors."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Coord
from tests.support.forkserver import run_cli

COMMANDS = [
    ["--version"],
    ["--help"],
    ["ls"],  # the service cannot be reached: a one-line error, exit status 1
    ["ls", "--json"],
    ["claim"],  # a usage error: exit status 2
    ["claim", "src/app.py", "--ttl", "nonsense"],
    ["status"],
    ["release", "--help"],
]


def _repo(tmp_path: Path, coord: Coord) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    coord.git("init", "-q", cwd=root)
    (root / ".coordination").mkdir()
    (root / ".coordination" / "local.env").write_text(
        "COORD_API_URL=http://127.0.0.1:9\nCOORD_AUTH_TOKEN=very-secret-token\nCOORD_REPO_ID=acme/app\n"
    )
    return root


def _both_ways(
    coord: Coord, root: Path, args: list[str], input: str | None = None
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit status, stdout, stderr) of `coord *args` forked, then exec'd as the console script."""
    answers = []
    for forked in (True, False):
        coord.forked = forked
        proc = coord.run(*args, cwd=root, input=input)
        answers.append((proc.returncode, proc.stdout, proc.stderr))
    return answers[0], answers[1]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_forked_run_answers_as_the_console_script_does(tmp_path: Path, coord: Coord, args: list[str]) -> None:
    if not coord.forked:
        pytest.skip("coord is not installed as a console script here (no fork to compare)")
    forked, executed = _both_ways(coord, _repo(tmp_path, coord), args)
    assert forked == executed


def test_input_reaches_a_forked_run(tmp_path: Path, coord: Coord) -> None:
    """What a test pipes in is the command's stdin, not the helper's."""
    if not coord.forked:
        pytest.skip("coord is not installed as a console script here")
    payload = '{"tool_name": "Edit", "tool_input": {"file_path": "src/app.py"}}'
    # The hook registration older `coord init` versions wrote: the edit gate behind `coord`.
    forked, executed = _both_ways(coord, _repo(tmp_path, coord), ["hook", "claude-pre-tool-use"], payload)
    assert forked == executed


def test_a_forked_run_past_its_timeout_is_killed(tmp_path: Path, coord: Coord) -> None:
    root = _repo(tmp_path, coord)
    # A FIFO nobody writes to: the command never gets its stdin, and never ends by itself.
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_cli(["hook", "claude-pre-tool-use"], coord.env, root, timeout=0.5, stdin=fifo)
    assert time.monotonic() - started < 15
