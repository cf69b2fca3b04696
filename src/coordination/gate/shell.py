"""Which files a shell command writes, read with a shell tokenizer (pure, standard library).

`write_targets(command)` splits the command with `shlex` (POSIX mode,
punctuation characters on) into simple commands at `;`, `&&`, `||`, `|`, `&`,
newlines and parentheses, and reports for each one the files it writes:

- redirections: `>`, `>>`, `>|`, `&>`, `&>>`, `<>` (`>&2` and `2>&1` are not files);
- heredoc bodies are data, never commands (`cat > f <<EOF` writes `f` only);
- `tee`, `sed -i`/`perl -i`, `mv` (source and target), `cp`/`install`/`ln`/`rsync`
  (target; a directory target becomes target/<name>), `rm`, `unlink`, `shred`,
  `truncate`, `touch`, `dd of=`;
- `git checkout [<ref>] -- <files>`, `git restore`, `git rm`, `git mv`;
- `python -c` (open(..., "w"/"a"/"x"), Path(...).write_text/write_bytes, os.remove,
  os.rename/replace, shutil.copy/move) read with `ast`, and `node -e`
  (fs.writeFileSync/appendFileSync/unlinkSync/rmSync/renameSync/copyFileSync);
- Codex `apply_patch` envelopes (`*** Update File:` / `*** Add File:` /
  `*** Delete File:` / `*** Move to:`) wherever they appear in the command;
- wrappers are looked through: `sudo`, `env`, `nohup`, `time`, `command`,
  `exec`, `nice`, `timeout N`, and `sh|bash|zsh -c '<script>'`, `eval`.

What cannot be seen is listed in `unseen` rather than guessed: targets built
from variables, command substitution or globs (`> "$OUT"`, `> *.log`), commands
that write files chosen at run time (`git apply`, `git stash pop`, `git reset
--hard`, `git checkout <branch>`, `make`, `npm`, scripts, `xargs`, `find -exec`,
`python script.py`), and code given to interpreters other than `python -c` and
`node -e`.
"""

from __future__ import annotations

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

SEPARATORS = {";", "&&", "||", "|", "|&", "&", "\n", "(", ")", ";;", "{", "}"}
FILE_REDIRECTS = {">", ">>", ">|", "&>", "&>>", "<>"}
DUP_REDIRECTS = {">&", "<&"}
READ_REDIRECTS = {"<", "<<<"}
HEREDOC = {"<<", "<<-"}
WRAPPERS = {"sudo", "env", "nohup", "time", "command", "exec", "nice", "builtin", "doas", "stdbuf"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}
PATCH_PREFIXES = ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ")
# Commands that write files decided at run time: named in `unseen`.
OPAQUE_GIT = {"apply", "am", "stash", "reset", "merge", "pull", "rebase", "cherry-pick", "revert", "switch"}
OPAQUE = {"xargs", "make", "patch", "find", "npm", "npx", "pnpm", "yarn", "cargo", "go", "ruby", "php"}


class ShellWrites:
    """The files a command writes (`targets`) and what it may write unseen (`unseen`)."""

    __slots__ = ("targets", "unseen")

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.unseen: list[str] = []

    def add(self, path: str) -> None:
        if path and path not in self.targets:
            self.targets.append(path)

    def note(self, what: str) -> None:
        if what not in self.unseen:
            self.unseen.append(what)


def patch_paths(text: str) -> list[str]:
    """Target paths of every apply_patch envelope line in `text`."""
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        for prefix in PATCH_PREFIXES:
            if stripped.startswith(prefix):
                path = stripped[len(prefix) :].strip()
                if path and path not in found:
                    found.append(path)
    return found


def write_targets(command: str, is_dir: Callable[[str], bool] | None = None) -> ShellWrites:
    """The files `command` writes (see the module doc). `is_dir` tells a directory
    target of cp/mv/install apart (default: only a trailing `/` means a directory)."""
    out = ShellWrites()
    if not might_write(command):
        return out
    for path in patch_paths(command):
        out.add(path)
    _scan(command, out, is_dir or _slash_dir, depth=0)
    return out


_BREAKS = str.maketrans({ch: " " for ch in ";&|(){}`'\"$\n\t=<"})


def might_write(command: str) -> bool:
    """False only when no word of `command` names a command the parser knows to write
    (or to hide writes) and it has no `>`: such a command is passed without tokenizing."""
    if ">" in command or "*** " in command:
        return True
    for word in command.translate(_BREAKS).split():
        name = word.rsplit("/", 1)[-1]
        if (
            name in _HANDLERS
            or name in SHELLS
            or name in WRAPPERS
            or name in OPAQUE
            or name in ("eval", "timeout", "exec")
            or name.startswith(("python", "node", "perl"))
        ):
            return True
    return False


def _slash_dir(path: str) -> bool:
    return path.endswith("/")


def _strip_heredocs(command: str) -> str:
    """Drop heredoc bodies (the lines after a `<<WORD` up to the line `WORD`)."""
    lines = command.split("\n")
    kept: list[str] = []
    pending: list[tuple[str, bool]] = []
    for line in lines:
        if pending:
            word, dash = pending[0]
            if (line.lstrip("\t") if dash else line) == word:
                pending.pop(0)
            continue
        kept.append(line)
        pending = _heredoc_words(line)
    return "\n".join(kept)


def _heredoc_words(line: str) -> list[tuple[str, bool]]:
    words: list[tuple[str, bool]] = []
    try:
        tokens = _tokens(line)
    except ValueError:
        return words
    for i, tok in enumerate(tokens[:-1]):
        if tok in HEREDOC:
            words.append((tokens[i + 1], tok == "<<-"))
    return words


def _tokens(text: str) -> list[str]:
    import shlex  # imported here: a command that cannot write never pays for it (shlex loads re)

    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _scan(command: str, out: ShellWrites, is_dir: Callable[[str], bool], depth: int) -> None:
    if depth > 4:
        out.note("nested shell scripts")
        return
    try:
        tokens = _tokens(_strip_heredocs(command))
    except ValueError as exc:  # unbalanced quotes: the shell would refuse it too
        out.note(f"unparsable command ({exc})")
        return
    words: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in SEPARATORS or tok == "\n":
            _command(words, out, is_dir, depth)
            words = []
            i += 1
            continue
        if tok in FILE_REDIRECTS or tok in DUP_REDIRECTS:
            if words and words[-1].isdigit():
                words.pop()  # `2>file`: the fd number is not an argument
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            if tok in DUP_REDIRECTS and (target.isdigit() or target == "-"):
                pass
            elif target:
                _target(target, out)
            i += 2
            continue
        if tok in READ_REDIRECTS or tok in HEREDOC:
            if words and words[-1].isdigit():
                words.pop()
            i += 2
            continue
        words.append(tok)
        i += 1
    _command(words, out, is_dir, depth)


def _dynamic(word: str) -> bool:
    return any(ch in word for ch in "$`*?[") or word.startswith("~")


def _target(word: str, out: ShellWrites) -> None:
    if _dynamic(word):
        out.note(f"a target computed at run time ({word})")
    else:
        out.add(word)


def _strip_wrappers(words: list[str]) -> list[str]:
    while words:
        head = words[0]
        if "=" in head and not head.startswith("=") and head.split("=", 1)[0].isidentifier():
            words = words[1:]  # VAR=value prefix
        elif head in WRAPPERS:
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[1:]
        elif head == "timeout":
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[1:]
            words = words[1:]  # the duration
        else:
            break
    return words


def _operands(args: list[str]) -> list[str]:
    """Arguments that are not options (everything after `--` counts)."""
    found: list[str] = []
    rest = False
    for arg in args:
        if rest:
            found.append(arg)
        elif arg == "--":
            rest = True
        elif not arg.startswith("-") or arg == "-":
            found.append(arg)
    return found


def _command(words: list[str], out: ShellWrites, is_dir: Callable[[str], bool], depth: int) -> None:
    words = _strip_wrappers(words)
    if not words:
        return
    name = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if name in SHELLS:
        if "-c" in args[:-1]:
            _scan(args[args.index("-c") + 1], out, is_dir, depth + 1)
        elif _operands(args):
            out.note(f"the script {_operands(args)[0]}")
        return
    if name == "eval":
        _scan(" ".join(args), out, is_dir, depth + 1)
        return
    handler = _HANDLERS.get(name)
    if handler is not None:
        handler(args, out, is_dir)
    elif name in OPAQUE:
        out.note(f"{name} (writes files chosen at run time)")
    elif name.startswith("python") or name == "node":
        out.note(f"{name} running a script")


def _each(paths: list[str], out: ShellWrites) -> None:
    for path in paths:
        _target(path, out)


def _tee(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    _each(_operands(args), out)


def _all_operands(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    _each(_operands(args), out)


def _truncate(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    skip = {"-s", "--size", "-r", "--reference"}
    found, i = [], 0
    while i < len(args):
        if args[i] in skip:
            i += 2
            continue
        if not args[i].startswith("-"):
            found.append(args[i])
        i += 1
    _each(found, out)


def _copy_like(moves: bool) -> Callable[[list[str], ShellWrites, Callable[[str], bool]], None]:
    def handler(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
        target_dir = None
        cleaned: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("-t", "--target-directory") and i + 1 < len(args):
                target_dir = args[i + 1]
                i += 2
                continue
            if arg.startswith("--target-directory="):
                target_dir = arg.split("=", 1)[1]
            elif arg in ("-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group") and i + 1 < len(args):
                i += 2
                continue
            else:
                cleaned.append(arg)
            i += 1
        ops = _operands(cleaned)
        dest: str | None = None
        dest_dir: str | None = None
        if target_dir is not None:
            sources, dest_dir = ops, target_dir
        elif len(ops) >= 2:
            sources = ops[:-1]
            if len(ops) > 2 or is_dir(ops[-1]):
                dest_dir = ops[-1]
            else:
                dest = ops[-1]
        else:
            return
        if moves:
            _each(sources, out)  # a move empties its sources
        if dest is not None:
            _target(dest, out)
        if dest_dir is not None:
            base = dest_dir.rstrip("/") or "/"
            for src in sources:
                name = src.rstrip("/").rsplit("/", 1)[-1]
                _target(f"{base}/{name}" if base != "/" else f"/{name}", out)

    return handler


def _ln(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    ops = _operands(args)
    if len(ops) >= 2 and not is_dir(ops[-1]):
        _target(ops[-1], out)
    elif ops:
        out.note("ln into a directory")


def _sed(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    in_place = any(a == "--in-place" or a.startswith("--in-place=") or _short_flag(a, "i") for a in args)
    if not in_place:
        return
    script_given = False
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-e", "--expression", "-f", "--file"):
            script_given = True
            i += 2
            continue
        if arg.startswith(("--expression=", "--file=")):
            script_given = True
        elif arg == "--":
            files += args[i + 1 :]
            break
        elif not arg.startswith("-"):
            files.append(arg)
        i += 1
    if not script_given and files:
        files = files[1:]  # the first operand is the script
    _each(files, out)


def _perl(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    if not any(_short_flag(a, "i") for a in args):
        if "-e" not in args and _operands(args):
            out.note("perl running a script")
        return
    files: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in ("-e", "-E"):
            i += 2
            continue
        if not args[i].startswith("-"):
            files.append(args[i])
        i += 1
    _each(files, out)


def _short_flag(arg: str, flag: str) -> bool:
    return arg.startswith("-") and not arg.startswith("--") and flag in arg[1:].split(".", 1)[0]


def _dd(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    for arg in args:
        if arg.startswith("of="):
            _target(arg[3:], out)


def _git(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):  # global options: -C dir, -c k=v
        i += 2 if args[i] in ("-C", "-c", "--git-dir", "--work-tree") else 1
    if i >= len(args):
        return
    sub, rest = args[i], args[i + 1 :]
    if sub == "checkout":
        if "--" in rest:
            _each(rest[rest.index("--") + 1 :], out)
        elif _operands(rest):
            out.note("git checkout of a branch or of paths without `--`")
    elif sub == "restore":
        if "--staged" in rest and not any(a in ("--worktree", "-W") for a in rest):
            return
        _each(_operands(rest), out)
    elif sub == "rm":
        if "--cached" not in rest:
            _each(_operands(rest), out)
    elif sub == "mv":
        _copy_like(moves=True)(rest, out, is_dir)
    elif sub in OPAQUE_GIT:
        out.note(f"git {sub} (changes files chosen at run time)")


def _python(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    if "-c" in args[:-1]:
        # Loaded only when a command runs inline code: the gate pays for every import.
        from coordination.gate.inline import python_writes

        code = args[args.index("-c") + 1]
        for path in python_writes(code, out):
            _target(path, out)
    elif _operands(args) and "-m" not in args:
        out.note("python running a script")
    elif "-m" in args:
        out.note("python -m (a module may write files)")


def _node(args: list[str], out: ShellWrites, is_dir: Callable[[str], bool]) -> None:
    for flag in ("-e", "--eval", "-p", "--print"):
        if flag in args[:-1]:
            from coordination.gate.inline import node_writes  # only for inline code, as above

            for path in node_writes(args[args.index(flag) + 1]):
                _target(path, out)
            return
    if _operands(args):
        out.note("node running a script")


_HANDLERS: dict[str, Callable[[list[str], ShellWrites, Callable[[str], bool]], None]] = {
    "tee": _tee,
    "rm": _all_operands,
    "unlink": _all_operands,
    "shred": _all_operands,
    "touch": _all_operands,
    "truncate": _truncate,
    "mv": _copy_like(moves=True),
    "cp": _copy_like(moves=False),
    "install": _copy_like(moves=False),
    "rsync": _copy_like(moves=False),
    "ln": _ln,
    "sed": _sed,
    "gsed": _sed,
    "perl": _perl,
    "dd": _dd,
    "git": _git,
    "python": _python,
    "python3": _python,
    "node": _node,
}
