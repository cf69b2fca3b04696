"""Which files inline interpreter code writes: `python -c` (read with `ast`) and `node -e`
(read with a small JavaScript tokenizer). Pure, standard library; used by `shell`."""

from __future__ import annotations

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from coordination.gate.shell import ShellWrites

__all__ = ["node_writes", "python_writes"]

_WRITE_MODES = set("wax+")
_PY_PATH_METHODS = {"write_text", "write_bytes", "unlink", "touch", "rename", "replace"}
_PY_FUNCS = {
    ("os", "remove"): (0,),
    ("os", "unlink"): (0,),
    ("os", "rename"): (0, 1),
    ("os", "replace"): (0, 1),
    ("shutil", "copy"): (1,),
    ("shutil", "copy2"): (1,),
    ("shutil", "copyfile"): (1,),
    ("shutil", "move"): (0, 1),
}


def python_writes(code: str, out: ShellWrites | None = None) -> list[str]:
    """Literal paths a `python -c` program writes (open for writing, pathlib writes,
    os/shutil file operations). Anything not a string literal is noted as unseen."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        if out is not None:
            out.note("python -c code that does not parse")
        return []
    found: list[str] = []

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if out is not None:
            out.note("python -c writing to a computed path")
        return None

    def add(node: ast.AST) -> None:
        value = literal(node)
        if value and value not in found:
            found.append(value)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and node.args:
            mode_node = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "mode":
                    mode_node = kw.value
            mode = mode_node.value if isinstance(mode_node, ast.Constant) else "r"
            if isinstance(mode, str) and _WRITE_MODES & set(mode):
                add(node.args[0])
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if func.attr in _PY_PATH_METHODS and isinstance(owner, ast.Call) and owner.args:
                callee = owner.func
                callee_name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if callee_name in ("Path", "PurePath", "PosixPath"):
                    add(owner.args[0])
                    if func.attr in ("rename", "replace") and node.args:
                        add(node.args[0])
            elif isinstance(owner, ast.Name):
                positions = _PY_FUNCS.get((owner.id, func.attr))
                for pos in positions or ():
                    if pos < len(node.args):
                        add(node.args[pos])
    return found


_NODE_FUNCS = {
    "writeFileSync": (0,),
    "writeFile": (0,),
    "appendFileSync": (0,),
    "appendFile": (0,),
    "unlinkSync": (0,),
    "rmSync": (0,),
    "renameSync": (0, 1),
    "copyFileSync": (1,),
    "cpSync": (1,),
    "createWriteStream": (0,),
}


def node_writes(code: str) -> list[str]:
    """Literal paths a `node -e` program writes through `fs` calls, read with a small
    JavaScript tokenizer (identifiers, punctuation and string literals)."""
    tokens = _js_tokens(code)
    found: list[str] = []
    for i, tok in enumerate(tokens):
        positions = _NODE_FUNCS.get(tok)
        if positions is None or i + 1 >= len(tokens) or tokens[i + 1] != "(":
            continue
        args = _js_args(tokens, i + 2)
        for pos in positions:
            if pos < len(args) and args[pos] and args[pos][0] == "'":
                path = args[pos][1:]
                if path not in found:
                    found.append(path)
    return found


def _js_tokens(code: str) -> list[str]:
    """Identifiers, single punctuation characters, and strings as `'` + value."""
    tokens: list[str] = []
    i = 0
    while i < len(code):
        ch = code[i]
        if ch in "'\"`":
            j, buf = i + 1, []
            while j < len(code) and code[j] != ch:
                if code[j] == "\\" and j + 1 < len(code):
                    j += 1
                buf.append(code[j])
                j += 1
            value = "".join(buf)
            tokens.append("'" + value if ch != "`" or "${" not in value else "`")
            i = j + 1
        elif ch.isalnum() or ch in "_$":
            j = i
            while j < len(code) and (code[j].isalnum() or code[j] in "_$"):
                j += 1
            tokens.append(code[i:j])
            i = j
        elif ch.isspace():
            i += 1
        else:
            tokens.append(ch)
            i += 1
    return tokens


def _js_args(tokens: list[str], start: int) -> list[str]:
    """The first token of each top-level argument of the call opened before `start`
    (the whole argument when it is a single string literal, else '')."""
    args: list[str] = []
    depth = 0
    current: list[str] = []
    for tok in tokens[start:]:
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            if depth == 0:
                break
            depth -= 1
        if tok == "," and depth == 0:
            args.append(current[0] if len(current) == 1 else "")
            current = []
            continue
        current.append(tok)
    args.append(current[0] if len(current) == 1 else "")
    return args
