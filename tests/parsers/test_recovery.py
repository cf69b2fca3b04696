"""Valid code that trips tree-sitter: recover the declarations after the error, and say
"could not verify" (never "unknown") for a name a parse with errors could not see."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordination import parsers, symbol_check
from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Invalid
from coordination.parsers.base import PARSERS
from coordination.repo_files import RepoFiles

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = (FIXTURES / "generic_call_signatures.ts").read_bytes()
AFTER_THE_INTERFACE = {
    "Schema",
    "MiddlewareHandlerInterface",
    "Hono",
    "Hono::route",
    "Hono::basePath",
    "VERSION",
    "createApp",
    "Method",
}


def test_the_fixture_really_trips_the_parser() -> None:
    assert PARSERS.parse("typescript", SOURCE).root_node.has_error


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_declarations_after_the_error_are_recovered(language: str) -> None:
    found = parsers.extract_symbols("src/types.ts" if language == "typescript" else "src/types.tsx", SOURCE)
    assert {"Env", "HandlerInterface"} | AFTER_THE_INTERFACE <= found
    assert found.complete is False


def test_a_clean_parse_is_complete() -> None:
    found = parsers.extract_symbols("src/ok.ts", b"export class A { m() {} }\nexport type B = string\n")
    assert found == {"A", "A::m", "B"} and found.complete is True


def test_python_and_go_parses_with_errors_are_incomplete() -> None:
    assert parsers.extract_symbols("x.py", b"def ok():\n    pass\ndef broken(:\n").complete is False
    assert parsers.extract_symbols("x.go", b"package x\nfunc A() {}\nfunc (\n").complete is False
    assert parsers.extract_symbols("x.go", b"package x\nfunc A() {}\n").complete is True


def _repo(tmp_path: Path, name: str, source: bytes) -> RepoFiles:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / name).write_bytes(source)
    return RepoFiles(tmp_path, None, 10.0)


def test_an_unseen_symbol_in_a_file_with_errors_is_accepted_with_a_note(tmp_path: Path) -> None:
    files = _repo(tmp_path, "types.ts", SOURCE)
    assert symbol_check.check(ClaimItem(ClaimType.FILE, "src/types.ts", ("Hono::route",)), files) is None
    note = symbol_check.check(ClaimItem(ClaimType.FILE, "src/types.ts", ("NotThere",)), files)
    assert note is not None and note.startswith("could not verify NotThere in src/types.ts")


def test_an_unknown_symbol_in_a_clean_file_is_still_refused(tmp_path: Path) -> None:
    files = _repo(tmp_path, "ok.ts", b"export class Hono { route() {} }\n")
    with pytest.raises(Invalid, match="unknown symbol"):
        symbol_check.check(ClaimItem(ClaimType.FILE, "src/ok.ts", ("Hono::rout",)), files)
