"""Start `coord-api` processes by forking one that has already imported the server.

A `coord-api` start spends about two thirds of its CPU (some 0.45 s of 0.7 s) importing
FastAPI, SQLAlchemy, uvicorn and coord itself, and the suite starts a few hundred servers.
This module runs one helper process per test worker (`python -m tests.support.forkserver`)
that imports `coordination.cli.api_server` once, starts no thread, reads no setting, and
then forks on request. The child takes the test's environment, working directory and log
file, and calls the same `main()` the console script calls: it reads its settings, takes
the instance lock, migrates, and serves on its own port. It is a real process with its own
pid, so SIGTERM and SIGKILL tests hold, and the worker sees it through `ForkedProcess`,
which answers like `subprocess.Popen` (the helper reaps it and keeps its exit code).

The same helper runs `coord` commands for the end-to-end tests (`run_cli`): a `coord`
run is about 0.35 s of CPU, nearly all of it imports (Typer, pydantic-settings, httpx,
rich), and the suite runs a few hundred. The child takes the test's arguments,
environment, working directory and input, writes its output to files the worker reads,
and calls the console script's `main()`. The hooks that git runs, and the tests of what
a start imports, still exec the real script.

What a fork cannot give is a fresh interpreter: an environment read when Python starts
(`LD_PRELOAD` for libfaketime, `PYTHON*` variables) would be missed, so `start_server`
execs a new process for those, and for everything when `COORD_TEST_FORKSERVER=0` is set.

The protocol is one JSON object per line on the helper's stdin and stdout:
`{"spawn": {"env": {...}, "cwd": "...", "log": "..."}}` -> `{"pid": N}`;
`{"cli": {"argv": [...], "env": {...}, "cwd": "...", "stdin": "..." | null, "stdout": "...",
"stderr": "..."}}` -> `{"pid": N}`; `{"status": N}` -> `{"returncode": int | null}`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Set when Python starts, so a forked child cannot take them from the test's environment.
STARTUP_ONLY = ("LD_PRELOAD", "FAKETIME", "PYTHON")


def wants_fresh_interpreter(env: dict[str, str]) -> bool:
    if os.environ.get("COORD_TEST_FORKSERVER", "1") == "0":
        return True
    return any(
        key.startswith(STARTUP_ONLY) and os.environ.get(key) != value
        for key, value in env.items()
        if key != "PYTHONDONTWRITEBYTECODE"
    )


class ForkedProcess:
    """A server forked by the helper, with the part of `subprocess.Popen` the tests use."""

    def __init__(self, launcher: Launcher, pid: int) -> None:
        self._launcher = launcher
        self.pid = pid
        self.returncode: int | None = None
        self.args = ["coord-api"]

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._launcher.returncode(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(0.01)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Launcher:
    """The worker's end of one helper process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "tests.support.forkserver"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=Path(__file__).resolve().parents[2],
                )
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the server fork helper exited")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the server fork helper could not start a server: {answer['error']}")
        return answer

    def close(self) -> None:
        """Stop the helper (and so any server still running) and reap it."""
        with self._lock:
            if self._proc is not None:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None

    def spawn(self, env: dict[str, str], cwd: Path, log: Path) -> ForkedProcess:
        answer = self._ask({"spawn": {"env": env, "cwd": str(cwd), "log": str(log)}})
        return ForkedProcess(self, int(answer["pid"]))

    def run_cli(
        self, argv: list[str], env: dict[str, str], cwd: Path, stdin: Path | None, stdout: Path, stderr: Path
    ) -> ForkedProcess:
        spec = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(stdout), "stderr": str(stderr)}
        answer = self._ask({"cli": {**spec, "stdin": None if stdin is None else str(stdin)}})
        process = ForkedProcess(self, int(answer["pid"]))
        process.args = argv
        return process

    def returncode(self, pid: int) -> int | None:
        code = self._ask({"status": pid})["returncode"]
        return None if code is None else int(code)


LAUNCHER = Launcher()
atexit.register(LAUNCHER.close)


def run_cli(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    input: str | None = None,
    timeout: float = 60,
    stdin: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(["coord", *args], ..., capture_output=True, text=True)`, forked by the
    helper. `stdin` names a file (or FIFO) to read instead of `input`."""
    argv = [str(Path(sys.executable).parent / "coord"), *args]
    with tempfile.TemporaryDirectory(prefix="coord-cli-") as tmp:
        base = Path(tmp)
        if input is not None:
            stdin = base / "stdin"
            stdin.write_text(input)
        process = LAUNCHER.run_cli(argv, env, cwd, stdin, base / "stdout", base / "stderr")
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            raise subprocess.TimeoutExpired(["coord", *args], timeout) from None
        return subprocess.CompletedProcess(
            ["coord", *args], code, (base / "stdout").read_text(), (base / "stderr").read_text()
        )


# The helper's side -------------------------------------------------------------------------


def _forked(run: Callable[[], None], exit_funcs: bool) -> None:
    """In a forked child: `run()`, then exit with the status its console script would give
    (with `exit_funcs`, after the `atexit` functions, as a normal interpreter exit runs them)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setpgid(0, 0)  # a signal to the helper's group does not reach it; a timeout kills its group
        run()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): printed to stderr, status 1, as Python does
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            if exit_funcs:
                atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _redirect(stdin: str, stdout: str, stderr: str, flags: int) -> None:
    """Point fds 0, 1 and 2 at these files (`flags` for the two outputs)."""
    for fd, path, how in ((0, stdin, os.O_RDONLY), (1, stdout, flags), (2, stderr, flags)):
        opened = os.open(path, how, 0o644)
        os.dup2(opened, fd)
        os.close(opened)


def _take(env: dict[str, str], cwd: str, argv: list[str]) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = argv


def _server(spec: dict[str, Any]) -> None:
    """Become `coord-api` as its console script would start it."""
    _redirect(os.devnull, spec["log"], spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    _take(spec["env"], spec["cwd"], ["coord-api"])
    from coordination.cli.api_server import main

    main()


def _cli(spec: dict[str, Any]) -> None:
    """Run `coord` as its console script would."""
    _redirect(spec["stdin"] or os.devnull, spec["stdout"], spec["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    # The helper's stdin may hold read-ahead of its own protocol: a new reader on fd 0.
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    _take(spec["env"], spec["cwd"], list(spec["argv"]))
    # A console script's `__main__`, not the helper's (`python -m ...`): click names the
    # program in its usage lines from it.
    main_module = types.ModuleType("__main__")
    main_module.__file__ = sys.argv[0]
    sys.modules["__main__"] = main_module
    from coordination.cli.entry import main

    main()


# What each request forks: the function the child runs, and whether it runs `atexit`'s functions.
_CHILDREN: dict[str, tuple[Callable[[dict[str, Any]], None], bool]] = {
    "spawn": (_server, False),
    "cli": (_cli, True),
}


def _serve() -> None:
    # Everything the server imports, once; nothing that starts a thread or reads settings.
    import coordination.api.app  # noqa: F401
    import coordination.api.slow_clients  # noqa: F401
    import coordination.cli.api_server  # noqa: F401
    import coordination.store  # noqa: F401

    with contextlib.suppress(ImportError):
        import psycopg  # noqa: F401
    # And what a `coord` command imports (the modules of every command: none reads a setting).
    import coordination.cli.app as cli_app
    import coordination.cli.entry  # noqa: F401
    import coordination.client  # noqa: F401
    import coordination.client_settings  # noqa: F401

    for name in cli_app.MODULES:
        importlib.import_module(f"coordination.cli.{name}")

    exited: dict[int, int] = {}
    children: set[int] = set()

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            exited[pid] = os.waitstatus_to_exitcode(status)

    try:
        for line in sys.stdin:
            message = json.loads(line)
            reap()
            kind = next((k for k in _CHILDREN if k in message), None)
            answer: dict[str, Any]
            if kind is not None:
                run, exit_funcs = _CHILDREN[kind]
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    _forked(functools.partial(run, message[kind]), exit_funcs)
                children.add(pid)
                answer = {"pid": pid}
            elif "status" in message:
                answer = {"returncode": exited.get(int(message["status"]))}
            else:
                answer = {"error": f"unknown request {message!r}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        # The worker is gone: leave no server behind it.
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


if __name__ == "__main__":
    _serve()
