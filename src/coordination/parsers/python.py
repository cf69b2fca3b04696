"""Symbol extraction for Python.

What becomes a symbol:

* top-level functions (``async`` too) and classes, decorated or not - stacked
  definitions of one name (``@property`` / ``@x.setter``, ``@overload``) collapse
  to that name;
* methods as ``Class::method`` and nested classes to any depth
  (``Outer::Inner::Deep::method``);
* names bound by module-level assignments (``X = 1``, ``A = B = 2``,
  ``A, B = 1, 2``, ``X: int = 1``, a bare ``X: int``, ``type X = int``) and by
  class-level ones as ``Class::attr`` (dataclass fields, ``__slots__``...);
* definitions inside ``if`` / ``try`` / ``with`` blocks at module or class level
  (``if TYPE_CHECKING:``, ``try: ... except ImportError:``) count as if they were
  written at that level.

Not symbols: imports, augmented assignments, assignments to attributes or
subscripts, anything inside a function body.

The standard library's :mod:`ast` is used first.  When it cannot parse the file
(a syntax error, or syntax newer than the running interpreter) the same rules
are applied to a tree-sitter parse, which recovers from errors, so this never
raises on bad input.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable

import tree_sitter

from .base import MAX_DEPTH, PARSERS, SymbolCollector, SymbolSet, node_text

Scope = tuple[str, ...]

# CPython 3.11's AST constructor keeps its recursion depth in shared state:
# two threads parsing at once can fail with "AST constructor recursion depth
# mismatch" (SystemError). Parsing one file at a time avoids it.
_AST_LOCK = threading.Lock()


def extract(source: bytes) -> SymbolSet:
    """Return the canonical symbol paths of a Python source file."""
    try:
        with _AST_LOCK:
            module = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return extract_tree_sitter(source)
    out = SymbolCollector()
    _ast_body(module.body, (), out, 0)
    return out.result()


# -- ast --------------------------------------------------------------------


def _ast_body(body: Iterable[ast.stmt], scope: Scope, out: SymbolCollector, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(scope, stmt.name)
        elif isinstance(stmt, ast.ClassDef):
            _ast_body(stmt.body, out.add(scope, stmt.name), out, depth + 1)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in _ast_target_names(target):
                    out.add(scope, name)
        elif isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name):
                out.add(scope, stmt.target.id)
        elif isinstance(stmt, ast.If):
            _ast_body(stmt.body, scope, out, depth + 1)
            _ast_body(stmt.orelse, scope, out, depth + 1)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            _ast_body(stmt.body, scope, out, depth + 1)
            for handler in stmt.handlers:
                _ast_body(handler.body, scope, out, depth + 1)
            _ast_body(stmt.orelse, scope, out, depth + 1)
            _ast_body(stmt.finalbody, scope, out, depth + 1)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            _ast_body(stmt.body, scope, out, depth + 1)
        elif type(stmt).__name__ == "TypeAlias":  # Python 3.12+: ``type X = ...``
            alias_name = getattr(stmt, "name", None)
            if isinstance(alias_name, ast.Name):
                out.add(scope, alias_name.id)


def _ast_target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _ast_target_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        names: list[str] = []
        for element in target.elts:
            names.extend(_ast_target_names(element))
        return names
    return []


# -- tree-sitter fallback -----------------------------------------------------

# Compound statements and clauses whose blocks count as the enclosing level.
_TRANSPARENT = frozenset(
    {
        "block",
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "ERROR",
    }
)
_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"})


def extract_tree_sitter(source: bytes) -> SymbolSet:
    """The same rules as :func:`extract`, on an error-tolerant tree-sitter parse."""
    tree = PARSERS.parse("python", source)
    out = SymbolCollector()
    _ts_statements(tree.root_node, (), out, 0)
    # Only used when ast.parse failed: the file does not parse, so the set may miss names.
    return out.result(complete=False)


def _ts_statements(container: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for node in container.named_children:
        _ts_statement(node, scope, out, depth)


def _ts_statement(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    kind = node.type
    if kind == "decorated_definition":
        definition = node.child_by_field_name("definition")
        if definition is not None:
            _ts_statement(definition, scope, out, depth)
    elif kind == "function_definition":
        out.add(scope, node_text(node.child_by_field_name("name")))
    elif kind == "class_definition":
        inner = out.add(scope, node_text(node.child_by_field_name("name")))
        body = node.child_by_field_name("body")
        if inner != scope and body is not None:
            _ts_statements(body, inner, out, depth + 1)
    elif kind == "expression_statement":
        for child in node.named_children:
            if child.type == "assignment":
                _ts_assignment(child, scope, out)
    elif kind == "type_alias_statement":
        left = node.child_by_field_name("left")
        if left is not None:
            for child in left.named_children:
                if child.type == "identifier":
                    out.add(scope, node_text(child))
                elif child.type == "generic_type" and child.named_children:
                    out.add(scope, node_text(child.named_children[0]))
    elif kind in _TRANSPARENT:
        _ts_statements(node, scope, out, depth + 1)


def _ts_assignment(node: tree_sitter.Node, scope: Scope, out: SymbolCollector) -> None:
    # ``A = B = 1`` nests: assignment(left=A, right=assignment(left=B, right=1)).
    current: tree_sitter.Node | None = node
    hops = 0
    while current is not None and current.type == "assignment" and hops <= MAX_DEPTH:
        left = current.child_by_field_name("left")
        if left is not None:
            for name in _ts_target_names(left, 0):
                out.add(scope, name)
        current = current.child_by_field_name("right")
        hops += 1


def _ts_target_names(node: tree_sitter.Node, depth: int) -> list[str]:
    if node.type == "identifier":
        return [node_text(node)]
    if node.type in _PATTERNS and depth <= MAX_DEPTH:
        names: list[str] = []
        for child in node.named_children:
            names.extend(_ts_target_names(child, depth + 1))
        return names
    return []
