"""Symbol extraction for TypeScript, TSX and JavaScript (tree-sitter).

What becomes a symbol:

* top-level functions (plain, ``async``, generators, ``declare``d and overload
  signatures - overloads collapse to one name), classes (``abstract`` too),
  interfaces, type aliases, enums;
* every name bound by a top-level ``const`` / ``let`` / ``var`` declaration,
  destructuring patterns included (``const { a, b } = x`` gives ``a`` and ``b``);
* namespaces and modules, recursively: ``namespace Api { export class Client {} }``
  gives ``Api`` and ``Api::Client``; dotted names nest (``namespace A.B {}`` gives
  ``A`` and ``A::B``); quoted module names (``declare module "x"``) use the string
  content; ``declare global { ... }`` is the namespace ``global``;
* class members as ``Class::member``: methods, getters/setters (one name),
  static members, abstract methods, overload signatures, ``constructor``,
  private ``#names`` (kept with their ``#``), and fields - arrow-function fields
  and plain fields alike; string and numeric member names use their value and
  computed names their source text (``[Symbol.iterator]``);
* class expressions bound to a name recurse: ``const Foo = class { m() {} }``
  gives ``Foo::m`` and ``static Inner = class { m() {} }`` inside ``Outer``
  gives ``Outer::Inner::m``;
* ``export`` wrappers are transparent; ``export default`` of a named function or
  class uses its name, an anonymous default export (function, arrow, class,
  object, call...) is ``default``; ``export default someName`` declares nothing;
* CommonJS: ``exports.x = ...`` and ``module.exports.x = ...`` give ``x`` and
  ``Foo.prototype.m = ...`` gives ``Foo::m``.

Not symbols: imports and re-exports (``const x = require("x")`` included),
other module-level statements, interface and enum members, constructor
parameter properties, index signatures, static blocks, and anything declared
inside a function or method body.  Syntax errors never raise: ``ERROR`` nodes
are walked as if they were transparent, so the declarations tree-sitter could
still recognise are reported.

Recovery: tree-sitter-typescript can lose its way on valid code (an interface
of generic call-signature overloads, as in hono's ``src/types.ts``) and then
swallow every declaration after it into error nodes. When the tree has
errors, the source after the first error is cut at each line that starts a
top-level declaration (``export``, ``interface``, ``type``, ``class``, ... at
column 0) and every piece is parsed on its own; what those parses find is
added. The result is then marked incomplete (``SymbolSet.complete`` False): a
name still missing may be declared in a part no parse could read.
"""

from __future__ import annotations

import re
from typing import Final

import tree_sitter

from .base import MAX_DEPTH, PARSERS, SymbolCollector, SymbolSet, node_text

Scope = tuple[str, ...]

_FUNCTIONS: Final = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_signature",
    }
)
_CLASSES: Final = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_NAMED_TYPES: Final = frozenset({"interface_declaration", "type_alias_declaration", "enum_declaration"})
_MODULES: Final = frozenset({"internal_module", "module"})
_VARIABLES: Final = frozenset({"lexical_declaration", "variable_declaration"})
_MEMBERS_METHODS: Final = frozenset({"method_definition", "method_signature", "abstract_method_signature"})
_MEMBERS_FIELDS: Final = frozenset({"public_field_definition", "field_definition"})
_ANONYMOUS_DEFAULTS: Final = frozenset(
    {"function_expression", "function", "generator_function", "arrow_function", "class"}
)
# ``export default <reference>`` re-exports something declared elsewhere.
_REFERENCES: Final = frozenset({"identifier", "member_expression", "nested_identifier"})


# A line that starts a top-level statement worth re-parsing from.
_RESYNC: Final = re.compile(
    rb"^(?:export|declare|interface|type|class|abstract|function|async|const|let|var|enum|namespace|module)\b",
    re.MULTILINE,
)
MAX_RESYNC_PIECES: Final = 2000


def extract(language: str, source: bytes) -> SymbolSet:
    """Return the canonical symbol paths of a TypeScript/TSX/JavaScript source."""
    tree = PARSERS.parse(language, source)
    out = SymbolCollector()
    _statements(tree.root_node, (), out, 0)
    if not tree.root_node.has_error:
        return out.result()
    for piece in _pieces_after_error(tree.root_node, source):
        _statements(PARSERS.parse(language, piece).root_node, (), out, 0)
    return out.result(complete=False)


def _pieces_after_error(root: tree_sitter.Node, source: bytes) -> list[bytes]:
    """The source after the first error, cut before each top-level declaration line."""
    first = _first_error(root)
    start = first.start_byte if first is not None else 0
    line_start = source.rfind(b"\n", 0, start) + 1
    cuts = [m.start() for m in _RESYNC.finditer(source, line_start)][:MAX_RESYNC_PIECES]
    ends = [*cuts[1:], len(source)] if cuts else []
    return [source[a:b] for a, b in zip(cuts, ends, strict=True)]


def _first_error(root: tree_sitter.Node) -> tree_sitter.Node | None:
    node = root
    while True:
        child = next((c for c in node.children if c.has_error or c.is_error or c.is_missing), None)
        if child is None or child.is_error or child.is_missing:
            return child if child is not None else (node if node is not root else None)
        node = child


def _statements(container: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for node in container.named_children:
        _statement(node, scope, out, depth)


def _statement(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    kind = node.type
    if kind == "export_statement":
        _export(node, scope, out, depth)
    elif kind in _FUNCTIONS or kind in _NAMED_TYPES:
        out.add(scope, node_text(node.child_by_field_name("name")))
    elif kind in _CLASSES:
        _class(node, node_text(node.child_by_field_name("name")), scope, out, depth)
    elif kind in _MODULES:
        _module(node, scope, out, depth)
    elif kind in _VARIABLES:
        _variables(node, scope, out, depth)
    elif kind == "ambient_declaration":
        _ambient(node, scope, out, depth)
    elif kind == "expression_statement":
        _expression_statement(node, scope, out, depth)
    elif kind == "ERROR":
        _statements(node, scope, out, depth + 1)


def _export(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        _statement(declaration, scope, out, depth)
        return
    value = node.child_by_field_name("value")
    if value is None or value.type in _REFERENCES:
        return
    name = node_text(value.child_by_field_name("name")) if value.type in _ANONYMOUS_DEFAULTS else ""
    name = name or "default"
    if value.type == "class":
        _class(value, name, scope, out, depth)
    else:
        out.add(scope, name)


def _class(node: tree_sitter.Node, name: str, scope: Scope, out: SymbolCollector, depth: int) -> None:
    inner = out.add(scope, name)
    if inner == scope:
        return
    body = node.child_by_field_name("body")
    if body is not None:
        _class_body(body, inner, out, depth + 1)


def _class_body(body: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for member in body.named_children:
        kind = member.type
        if kind in _MEMBERS_METHODS:
            out.add(scope, _member_name(member.child_by_field_name("name")))
        elif kind in _MEMBERS_FIELDS:
            name_node = member.child_by_field_name("name") or member.child_by_field_name("property")
            name = _member_name(name_node)
            value = member.child_by_field_name("value")
            if value is not None and value.type == "class":
                _class(value, name, scope, out, depth)
            else:
                out.add(scope, name)
        elif kind == "ERROR":
            _class_body(member, scope, out, depth + 1)


def _member_name(node: tree_sitter.Node | None) -> str:
    if node is None:
        return ""
    if node.type == "string":
        return "".join(node_text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "computed_property_name":
        return "[" + "".join(node_text(c) for c in node.named_children if c.type != "comment") + "]"
    return node_text(node)


def _module(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return
    parts = [_member_name(name_node)] if name_node.type == "string" else node_text(name_node).split(".")
    inner = scope
    for part in parts:
        inner = out.add(inner, part)
    if inner == scope:
        return
    body = node.child_by_field_name("body")
    if body is not None:
        _statements(body, inner, out, depth + 1)


def _ambient(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    # ``declare global { ... }`` has a bare statement block; everything else wraps
    # an ordinary declaration (``declare function``, ``declare namespace`` ...).
    for child in node.named_children:
        if child.type == "statement_block":
            inner = out.add(scope, "global")
            _statements(child, inner, out, depth + 1)
        else:
            _statement(child, scope, out, depth)


def _variables(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    for declarator in node.named_children:
        if declarator.type != "variable_declarator":
            continue
        name_node = declarator.child_by_field_name("name")
        if name_node is None:
            continue
        value = declarator.child_by_field_name("value")
        if _is_require(value):
            continue
        if name_node.type == "identifier" and value is not None and value.type == "class":
            _class(value, node_text(name_node), scope, out, depth)
            continue
        for name in _pattern_names(name_node, 0):
            out.add(scope, name)


def _is_require(value: tree_sitter.Node | None) -> bool:
    """``require("x")`` or ``require("x").y``: a CommonJS import, not a declaration."""
    while value is not None and value.type == "member_expression":
        value = value.child_by_field_name("object")
    if value is None or value.type != "call_expression":
        return False
    function = value.child_by_field_name("function")
    return function is not None and function.type == "identifier" and node_text(function) == "require"


def _pattern_names(node: tree_sitter.Node, depth: int) -> list[str]:
    """Names bound by a declarator's left side (identifier or destructuring pattern)."""
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return [node_text(node)]
    if depth > MAX_DEPTH:
        return []
    if kind == "pair_pattern":
        value = node.child_by_field_name("value")
        return _pattern_names(value, depth + 1) if value is not None else []
    if kind in ("object_assignment_pattern", "assignment_pattern"):
        left = node.child_by_field_name("left")
        return _pattern_names(left, depth + 1) if left is not None else []
    if kind in ("object_pattern", "array_pattern", "rest_pattern"):
        names: list[str] = []
        for child in node.named_children:
            names.extend(_pattern_names(child, depth + 1))
        return names
    return []


def _expression_statement(node: tree_sitter.Node, scope: Scope, out: SymbolCollector, depth: int) -> None:
    for child in node.named_children:
        if child.type in _MODULES:
            _module(child, scope, out, depth)
        elif child.type == "assignment_expression":
            _commonjs(child, scope, out)


def _commonjs(node: tree_sitter.Node, scope: Scope, out: SymbolCollector) -> None:
    """``exports.x = ...``, ``module.exports.x = ...`` and ``Foo.prototype.m = ...``."""
    left = node.child_by_field_name("left")
    if left is None or left.type != "member_expression":
        return
    target = left.child_by_field_name("object")
    prop = left.child_by_field_name("property")
    if target is None or prop is None or prop.type != "property_identifier":
        return
    name = node_text(prop)
    if target.type == "identifier" and node_text(target) == "exports":
        out.add(scope, name)
        return
    if target.type != "member_expression":
        return
    owner = target.child_by_field_name("object")
    owner_prop = node_text(target.child_by_field_name("property"))
    if owner is None or owner.type != "identifier":
        return
    owner_name = node_text(owner)
    if owner_name == "module" and owner_prop == "exports":
        out.add(scope, name)
    elif owner_prop == "prototype":
        out.add(out.add(scope, owner_name), name)
