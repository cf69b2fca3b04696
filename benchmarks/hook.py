"""Edit gate benchmark: wall time of one hook call, beside curl and `python3 -c pass`.

Starts the real server (SQLite), wires a throwaway repo the way `coord init`
does (local.env, config.toml, the `.coordination/bin/coord-gate` launcher), has
another engineer hold one file, then times, one call after another, in the same run:

- gate deny:  the launcher fed a Claude Code PreToolUse Edit of the held file;
- gate allow: the launcher fed an Edit of a file this session already holds
  (the claim is refreshed: the normal case of an agent editing its own files);
- gate shell: a Bash command that writes nothing (`ls src`: no HTTP call);
- curl:       the same single `POST /gate/edit` the gate sends;
- python:     `python3 -c pass`, the floor of any Python hook.

    python benchmarks/hook.py [--calls 100]

Prints a table (p50/p99 in ms), then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOKEN = "bench-token"
REPO = "bench/app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


CPU: dict[str, float] = {}


def timed(
    argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path, calls: int, name: str = ""
) -> tuple[list[float], bytes]:
    """Wall ms per call; the mean CPU ms of the child (user + system) goes to CPU[name]."""
    import resource

    times, last = [], b""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(calls):
        start = time.perf_counter()
        proc = subprocess.run(argv, input=stdin, env=env, cwd=cwd, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
        last = proc.stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    CPU[name] = round(used / calls * 1000, 1)
    return times, last


def wire(root: Path, url: str) -> Path:
    from coordination.wiring import editor_hooks, init_plan

    (root / "src").mkdir(parents=True)
    for name in ("a.ts", "b.ts"):
        (root / "src" / name).write_text("x\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    coord = root / ".coordination"
    (coord / "bin").mkdir(parents=True)
    (coord / "local.env").write_text(
        f"COORD_API_URL={url}\nCOORD_AUTH_TOKEN={TOKEN}\nCOORD_REPO_ID={REPO}\nCOORD_PERSON=alex\n"
    )
    (coord / "config.toml").write_text('mode = "local"\n[hook]\non_edit = "claim"\nttl_hours = 4\n')
    launcher = root / editor_hooks.LAUNCHER
    launcher.write_text(editor_hooks.launcher_text(sys.executable, init_plan.gate_search_path()))
    launcher.chmod(0o755)
    return launcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    curl = shutil.which("curl")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "COORD_AUTH_TOKEN": TOKEN,
            "COORD_PORT": str(port),
            "COORD_HOST": "127.0.0.1",
            "COORD_DATABASE_PATH": str(Path(tmp) / "coord.db"),
            "COORD_LOG_LEVEL": "warning",
            "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
            "COORD_NO_UPDATE_CHECK": "1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "coordination.cli.api_server"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
            root = Path(tmp) / "app"
            launcher = wire(root, url)
            held = {"engineer": "bob/claude/main", "repo_id": REPO, "claims": [{"pattern": "src/a.ts"}]}
            httpx.post(f"{url}/claims", json=held, headers=headers, timeout=5).raise_for_status()
            bare = {"PATH": "/usr/bin:/bin", "HOME": tmp, "CLAUDE_PROJECT_DIR": str(root)}
            session = "0b8e2c1e-0000-4d2a-9f1e-1a2b3c4d5e6f"

            def payload(tool_name: str, tool_input: dict[str, str]) -> bytes:
                return json.dumps(
                    {
                        "session_id": session,
                        "cwd": str(root),
                        "hook_event_name": "PreToolUse",
                        "tool_name": tool_name,
                        "tool_input": tool_input,
                    }
                ).encode()

            gate = [str(launcher), "claude", "pre-tool-use"]
            deny_in = payload("Edit", {"file_path": str(root / "src/a.ts"), "old_string": "x", "new_string": "y"})
            allow_in = payload("Edit", {"file_path": str(root / "src/b.ts"), "old_string": "x", "new_string": "y"})
            shell_in = payload("Bash", {"command": "ls src"})
            results: dict[str, list[float]] = {}
            results: dict[str, list[float]] = {}

            def curl_argv(path: str) -> list[str]:
                assert curl is not None
                body = json.dumps(
                    {
                        "engineer": "alex/claude/main",
                        "repo_id": REPO,
                        "session_id": session,
                        "paths": [path],
                        "branch": "main",
                        "tool": "claude",
                        "mode": "claim",
                    }
                )
                return [
                    curl, "-s", "-X", "POST", f"{url}/gate/edit", "-H", f"Authorization: Bearer {TOKEN}",
                    "-H", "Content-Type: application/json", "-H", f"X-Coord-Session: {session}", "--data", body,
                ]  # fmt: skip

            # interleaved rounds, so a load spike on the machine hits every series alike
            rounds = 5
            per = max(args.calls // rounds, 1)
            series = [
                ("gate deny", gate, deny_in, b'"deny"'),
                ("curl deny", curl_argv("src/a.ts") if curl else None, b"", b'"deny"'),
                ("gate allow", gate, allow_in, None),
                ("curl allow", curl_argv("src/b.ts") if curl else None, b"", b'"allow"'),
                ("gate read-only shell", gate, shell_in, None),
                ("python3 -c pass", ["python3", "-c", "pass"], b"", None),
            ]
            cpu_total: dict[str, float] = {}
            for _ in range(rounds):
                for name, argv, stdin, expect in series:
                    if argv is None:
                        continue
                    times, out = timed(argv, stdin, bare, root, per, name)
                    if expect is not None:
                        assert expect in out, (name, out)
                    elif name == "gate allow":
                        assert out.strip() == b"", out
                    results.setdefault(name, []).extend(times)
                    cpu_total[name] = cpu_total.get(name, 0.0) + CPU[name] / rounds
        finally:
            server.terminate()
            server.wait(timeout=10)
    summary: dict[str, dict[str, float]] = {
        name: {"p50_ms": round(pct(v, 50), 1), "p99_ms": round(pct(v, 99), 1), "cpu_ms": round(cpu_total[name], 1)}
        for name, v in results.items()
    }
    print(f"{'call':<22} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8}   ({args.calls} calls each, 5 interleaved rounds)")
    for name, row in summary.items():
        print(f"{name:<22} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['cpu_ms']:>8}")
    for kind in ("allow", "deny"):
        if f"curl {kind}" in summary:
            ratio = summary[f"gate {kind}"]["p50_ms"] / summary[f"curl {kind}"]["p50_ms"]
            print(f"gate {kind} p50 / curl {kind} p50: {ratio:.2f}x (target <= 3x)")
            summary[f"ratio_{kind}_to_curl"] = {"p50": round(ratio, 2)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
