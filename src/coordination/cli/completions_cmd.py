"""`coord completions install|show`: the shell completions shipped in the package.

`install` writes the script where the shell finds it without further setup:

- bash: `$BASH_COMPLETION_USER_DIR/completions/coord`, else
  `${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/coord`, the user
  directory bash-completion loads on demand;
- zsh: `${XDG_DATA_HOME:-~/.local/share}/zsh/site-functions/_coord`, plus a marked
  block in `${ZDOTDIR:-~}/.zshrc` that puts that directory on `$fpath` (zsh has no
  per-user completion directory of its own).

Running it again changes nothing when everything is in place; it says what it did.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import typer

from coordination.cli import output
from coordination.cli.output import escape

out = output.console()
err = output.console(stderr=True)

SHELLS = ("bash", "zsh")
SCRIPT_NAMES = {"bash": "coord.bash", "zsh": "_coord"}
ZSHRC_MARK = "# coord shell completions (added by `coord completions install`)"

completions_app = typer.Typer(
    name="completions",
    help="Shell completions for bash and zsh: install them, or print them.",
    no_args_is_help=True,
    add_completion=False,
)

SHELL_OPTION = typer.Option(None, "--shell", help="bash or zsh (default: from $SHELL).")


def script(shell: str) -> str:
    """The completion script shipped with this version of coord."""
    return resources.files("coordination.completions").joinpath(SCRIPT_NAMES[shell]).read_text(encoding="utf-8")


def _shell(given: str | None) -> str:
    shell = given or Path(os.environ.get("SHELL", "")).name
    if shell not in SHELLS:
        hint = f"--shell {given!r} is not supported" if given else f"cannot tell the shell from SHELL={shell!r}"
        output.usage_error(f"{hint}; use --shell bash or --shell zsh", err)
    return shell


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def target(shell: str) -> Path:
    """Where `install` writes the script for `shell`."""
    if shell == "bash":
        user_dir = os.environ.get("BASH_COMPLETION_USER_DIR")
        base = Path(user_dir) if user_dir else _data_home() / "bash-completion"
        return base / "completions" / "coord"
    return _data_home() / "zsh" / "site-functions" / "_coord"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def _zshrc() -> Path:
    return Path(os.environ.get("ZDOTDIR") or Path.home()) / ".zshrc"


def _zsh_block(directory: Path) -> str:
    return (
        f"\n{ZSHRC_MARK}\n"
        f'fpath=("{directory}" $fpath)\n'
        "autoload -Uz _coord && (( $+functions[compdef] )) && compdef _coord coord\n"
    )


def _ensure_zshrc(directory: Path) -> str:
    rc = _zshrc()
    text = rc.read_text(encoding="utf-8") if rc.is_file() else ""
    if ZSHRC_MARK in text:
        return f"{rc} already puts {directory} on $fpath"
    with rc.open("a", encoding="utf-8") as fh:
        fh.write(_zsh_block(directory))
    return f"added {directory} to $fpath in {rc}"


@completions_app.command("install")
def install(shell: str | None = SHELL_OPTION) -> None:
    """Write the completion script to your completion directory (idempotent)."""
    chosen = _shell(shell)
    path = target(chosen)
    if _write_if_changed(path, script(chosen)):
        out.print(f"wrote the {chosen} completions to {escape(str(path))}")
    else:
        out.print(f"{escape(str(path))} is up to date")
    if chosen == "zsh":
        out.print(escape(_ensure_zshrc(path.parent)))
        out.print("open a new shell to use them")
    else:
        out.print(
            "bash-completion loads them in new shells; without bash-completion, "
            f"add `source {escape(str(path))}` to ~/.bashrc"
        )


@completions_app.command("show")
def show(shell: str | None = SHELL_OPTION) -> None:
    """Print the completion script (to install it somewhere else yourself)."""
    typer.echo(script(_shell(shell)), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(completions_app, name="completions")
