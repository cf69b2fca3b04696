"""Symbol extraction for Go (tree-sitter).

What becomes a symbol:

* top-level functions (``init`` included, once);
* methods as ``Type::Method`` for value, pointer and generic receivers:
  ``func (s Server) A()``, ``func (s *Server) B()`` and ``func (l *List[T]) Push()``
  give ``Server::A``, ``Server::B`` and ``List::Push``.  The receiver type need not
  be declared in the same file (Go spreads a type's methods over a package), it
  still appears as the ancestor ``Server``;
* type declarations - structs, interfaces, definitions and aliases, grouped
  ``type ( ... )`` blocks included;
* interface methods as ``Iface::Method`` (embedded interfaces and type-set
  elements are not symbols);
* every name bound by top-level ``const`` and ``var`` declarations, grouped
  blocks and multi-name specs included.

Not symbols: the blank identifier ``_``, imports, struct fields, anything inside
function bodies.  Syntax errors never raise; ``ERROR`` nodes are walked as if
they were transparent.
"""

from __future__ import annotations

import tree_sitter

from .base import MAX_DEPTH, PARSERS, SymbolCollector, SymbolSet, node_text

Scope = tuple[str, ...]


def extract(source: bytes) -> SymbolSet:
    """Return the canonical symbol paths of a Go source file."""
    tree = PARSERS.parse("go", source)
    out = SymbolCollector()
    _top_level(tree.root_node, out, 0)
    return out.result(complete=not tree.root_node.has_error)


def _top_level(container: tree_sitter.Node, out: SymbolCollector, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for node in container.named_children:
        kind = node.type
        if kind == "function_declaration":
            _add(out, (), node_text(node.child_by_field_name("name")))
        elif kind == "method_declaration":
            _method(node, out)
        elif kind == "type_declaration":
            _types(node, out)
        elif kind in ("const_declaration", "var_declaration"):
            _values(node, out, depth)
        elif kind == "ERROR":
            _top_level(node, out, depth + 1)


def _add(out: SymbolCollector, scope: Scope, name: str) -> Scope:
    if name == "_":
        return scope
    return out.add(scope, name)


def _method(node: tree_sitter.Node, out: SymbolCollector) -> None:
    receiver_type = _receiver_type(node.child_by_field_name("receiver"))
    name = node_text(node.child_by_field_name("name"))
    if not receiver_type or not name:
        return
    _add(out, _add(out, (), receiver_type), name)


def _receiver_type(receiver: tree_sitter.Node | None) -> str:
    """``(s *Server)``, ``(s Server)``, ``(*Server)``, ``(l *List[T])`` all name the type."""
    if receiver is None:
        return ""
    for param in receiver.named_children:
        if param.type != "parameter_declaration":
            continue
        node = param.child_by_field_name("type")
        while node is not None:
            if node.type == "type_identifier":
                return node_text(node)
            if node.type == "generic_type":
                node = node.child_by_field_name("type")
            elif node.type in ("pointer_type", "parenthesized_type"):
                node = node.named_children[0] if node.named_children else None
            else:
                return ""
        return ""
    return ""


def _types(node: tree_sitter.Node, out: SymbolCollector) -> None:
    for spec in node.named_children:
        if spec.type not in ("type_spec", "type_alias"):
            continue
        scope = _add(out, (), node_text(spec.child_by_field_name("name")))
        if not scope:
            continue
        body = spec.child_by_field_name("type")
        if body is not None and body.type == "interface_type":
            for element in body.named_children:
                if element.type == "method_elem":
                    _add(out, scope, node_text(element.child_by_field_name("name")))


def _values(node: tree_sitter.Node, out: SymbolCollector, depth: int) -> None:
    for child in node.named_children:
        if child.type in ("const_spec", "var_spec"):
            # The grammar also tags the separating commas with the ``name`` field.
            for name_node in child.children_by_field_name("name"):
                if name_node.type == "identifier":
                    _add(out, (), node_text(name_node))
        elif child.type == "var_spec_list" and depth <= MAX_DEPTH:
            _values(child, out, depth + 1)
