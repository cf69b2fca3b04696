"""What the CLI prints and how it exits: consoles, `--json`, exit codes.

Exit codes of every command that talks to the service:

- 0: done (for `coord conflicts`: safe);
- 1: error (the API refused with a 4xx/5xx other than 409, or it cannot be reached);
- 2: usage (bad arguments or options, before anything is sent);
- 3: conflict (the API answered 409, or `coord conflicts` found one).

With `--json`, stdout holds exactly one JSON document: the API's answer, validated
and dumped through the API's own response model (`coordination.api.schemas`), or on
an error the API's error body (`{"error", "detail", ...}`). Messages still go to
stderr, and the exit code is the same as without `--json`.

Every command imports this module, so it imports nothing heavy itself: rich (20-30 ms)
when something is printed through a console or a table is made, pydantic when a
`--json` answer is dumped, and the HTTP client not at all.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console
    from rich.table import Table

    from coordination.client import CoordError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFLICT = 3

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 error (the service refused or cannot be reached); "
    "2 usage (bad arguments); 3 conflict (someone else holds the scope, HTTP 409). "
    "With --json, stdout holds only the API's JSON answer (or its error body)."
)

#: Width used when the output is not a terminal: wide enough that no path is cut or folded.
UNLIMITED_WIDTH = 100_000
JSON_OPTION_HELP = "Print the API's JSON answer on stdout (errors: the API's error body)."


@functools.cache
def _console_class() -> type[Console]:
    """The rich console class, defined on first use (rich is imported only by a command that prints)."""
    from rich.console import Console, ConsoleDimensions

    class _Console(Console):
        """A console whose width follows the real terminal, and is unlimited when piped.

        Rich falls back to 80 columns (or $COLUMNS) when the output is not a terminal,
        which folds or cuts long paths in `coord ls | grep`; here a pipe gets no limit.
        The stream is looked up at each print, so a test runner's capture is honoured.
        """

        def __init__(self, stderr: bool = False) -> None:
            super().__init__(stderr=stderr, highlight=False)

        @property
        def size(self) -> ConsoleDimensions:
            if not self.is_terminal:
                return ConsoleDimensions(UNLIMITED_WIDTH, 25)
            return super().size

        @size.setter
        def size(self, new_size: tuple[int, int]) -> None:
            self._width, self._height = new_size

    return _Console


class LazyConsole:
    """A command module's console (`out`, `err`): the rich console is made on the first
    print, so a command that prints only JSON, or nothing, never imports rich."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        """`Console.print`: markup, tables, `end=`."""
        if self._console is None:
            self._console = _console_class()(stderr=self.stderr)
        self._console.print(*objects, **options)


def console(stderr: bool = False) -> LazyConsole:
    return LazyConsole(stderr=stderr)


def escape(text: str) -> str:
    """`text` with rich markup escaped, so brackets in paths and patterns print as they are."""
    from rich.markup import escape as escape_markup  # rich only once something is printed with it

    return escape_markup(text)


def table(title: str, columns: tuple[str, ...]) -> Table:
    """A table whose cells fold instead of being cut with an ellipsis."""
    from rich.table import Table  # rich only when a table is printed

    result = Table(title=title)
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def dump(model: type[BaseModel], body: Any) -> Any:
    """`body` as the API's `model` dumps it (one definition of the shape).

    If the body does not validate (a server of another version), it is passed through
    as it came and the mismatch is reported on stderr.
    """
    from pydantic import ValidationError  # only a --json answer is dumped

    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        print(
            f"coord: warning: the answer does not match {model.__name__} ({where}: {first.get('msg')}); "
            "printed as received",
            file=sys.stderr,
        )
        return body


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def exit_code_for(exc: CoordError) -> int:
    return EXIT_CONFLICT if exc.status == 409 else EXIT_ERROR


def error_body(exc: CoordError) -> dict[str, Any]:
    """The API's error body (`ErrorOut`/`ConflictOut`), or one built for a transport failure."""
    from coordination.api import schemas

    body = exc.body if isinstance(exc.body, dict) and "error" in exc.body else None
    if body is None:
        body = {"error": exc.error, "detail": exc.detail}
    model: type[BaseModel] = schemas.ConflictOut if exc.status == 409 and "conflicts" in body else schemas.ErrorOut
    return dict(dump(model, body))


def print_error(exc: CoordError, err: LazyConsole) -> None:
    err.print(f"[red]error[/red] ({exc.status or 'no response'}): {escape(exc.detail)}")


def fail(exc: CoordError, as_json: bool) -> NoReturn:
    """After the caller reported `exc` on stderr: with --json its body on stdout; exit 1 or 3."""
    if as_json:
        emit_json(error_body(exc))
    raise typer.Exit(exit_code_for(exc))


def usage_error(message: str, err: LazyConsole, as_json: bool = False) -> NoReturn:
    """A bad argument found before anything is sent: exit 2."""
    err.print(f"[red]usage error[/red]: {escape(message)}")
    if as_json:
        emit_json({"error": "usage", "detail": message})
    raise typer.Exit(EXIT_USAGE)
