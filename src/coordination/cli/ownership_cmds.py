"""`coord ownership pull` / `coord ownership push`: the repo's local owners.yaml and the
service's copy, brought together.

The local file (`.coordination/owners.yaml`, or `ownership_file` in
`.coordination/config.toml`) is the one people edit; the service's copy also holds
what coord wrote itself (`# auto-promoted=DATE`, `# coord-promoted=DATE` entries).
`push` uploads the local file (the service keeps coord's entries unless
`--replace-managed`) and writes the stored result back, so both copies are equal
afterwards; `pull` writes the service's copy locally, and refuses when the local file
has rules the service does not (push them first, or `--force`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from coordination import clientenv, ownership_yaml
from coordination.cli import output
from coordination.cli.output import escape
from coordination.client import CoordClient, CoordError

out = output.console()
err = output.console(stderr=True)

ownership_app = typer.Typer(
    name="ownership",
    help="Bring the local owners.yaml and the service's copy together (pull / push).",
    no_args_is_help=True,
    add_completion=False,
)


def _connect(env: clientenv.ClientEnv) -> CoordClient:
    return CoordClient(env.api_url, env.token, session_id=None)


@contextmanager
def _client() -> Iterator[tuple[CoordClient, clientenv.ClientEnv]]:
    env = clientenv.resolve(tool="cli")
    with _connect(env) as client:
        try:
            yield client, env
        except CoordError as exc:
            output.print_error(exc, err)
            raise typer.Exit(output.exit_code_for(exc)) from None


def _local_file(env: clientenv.ClientEnv, given: Path | None) -> Path:
    """`--file`, else the repo config's `ownership_file` under the repo root (the one
    holding `.coordination/local.env`, else the git work tree of the working directory)."""
    if given is not None:
        return given
    from coordination.wiring import git, repoconfig

    root = env.repo_root or git.repo_root(Path.cwd())
    if root is None:
        err.print("coord: not inside a git work tree and no .coordination/local.env found; pass --file")
        raise typer.Exit(2)
    return root / repoconfig.load(root).ownership_file


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    tmp.replace(path)


FILE_OPTION = typer.Option(None, "--file", "-f", help="The local owners.yaml (default: from the repo config).")


@ownership_app.command("pull")
def pull(
    force: bool = typer.Option(False, "--force", help="Overwrite local rules the service does not have."),
    file: Path | None = FILE_OPTION,
) -> None:
    """Write the service's owners.yaml (with coord's own entries) into the local file."""
    with _client() as (client, env):
        path = _local_file(env, file)
        remote = str(client.request("GET", "/config/ownership", params={"repo_id": env.repo_id})["yaml"])
    if not remote.strip():
        out.print(f"the service has no owners.yaml for {escape(env.repo_id)}; {escape(str(path))} left as it is")
        return
    local = path.read_text(encoding="utf-8") if path.exists() else ""
    if local == remote:
        out.print(f"{escape(str(path))} is already the service's copy")
        return
    missing = ownership_yaml.unsynced(local, remote) if local.strip() else []
    if missing and not force:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        err.print(
            f"{escape(str(path))} has rules the service's copy lacks: {escape(shown)}. "
            "Run `coord ownership push` first, or `coord ownership pull --force` to overwrite them."
        )
        raise typer.Exit(1)
    _write(path, remote)
    out.print(f"pulled the service's owners.yaml for {escape(env.repo_id)} into {escape(str(path))}")


@ownership_app.command("push")
def push(
    replace_managed: bool = typer.Option(
        False, "--replace-managed", help="Drop coord-written entries the local file does not list."
    ),
    file: Path | None = FILE_OPTION,
) -> None:
    """Upload the local owners.yaml; coord's own entries are kept unless --replace-managed."""
    with _client() as (client, env):
        path = _local_file(env, file)
        if not path.is_file():
            err.print(f"no {escape(str(path))}: run `coord ownership pull` or `coord init` first")
            raise typer.Exit(1)
        local = path.read_text(encoding="utf-8")
        body = {"repo_id": env.repo_id, "yaml": local, "replace_managed": replace_managed}
        stored = client.request("POST", "/config/ownership", json=body)
    managed = stored.get("managed") or {}
    for entry in managed.get("kept", []):
        out.print(f"kept {escape(entry['key'])}: {escape(entry['pattern'])}  # {escape(entry['mark'])}")
    for entry in managed.get("dropped", []):
        out.print(f"dropped {escape(entry['key'])}: {escape(entry['pattern'])}  # {escape(entry['mark'])}")
    if stored["yaml"] != local:
        _write(path, str(stored["yaml"]))
        out.print(f"{escape(str(path))} updated to the stored copy")
    out.print(f"pushed {escape(str(path))} to {escape(env.repo_id)}")


def register(app: typer.Typer) -> None:
    app.add_typer(ownership_app, name="ownership")
