"""Language corner cases and malformed input."""

from __future__ import annotations

import pytest

from coordination.parsers import extract_symbols


def ts(source: str, path: str = "mod.ts") -> frozenset[str]:
    return extract_symbols(path, source.encode())


def py(source: str) -> frozenset[str]:
    return extract_symbols("mod.py", source.encode())


def go(source: str) -> frozenset[str]:
    return extract_symbols("mod.go", ("package mod\n" + source).encode())


class TestTypeScript:
    def test_member_name_forms(self) -> None:
        source = """
        class Bag {
          'quoted-name'() {}
          42() {}
          [ Symbol.iterator ]() {}
          static { init(); }
          [key: string]: unknown;
          constructor(private readonly store: Map<string, number>) {}
        }
        """
        assert ts(source) == {
            "Bag",
            "Bag::quoted-name",
            "Bag::42",
            "Bag::[Symbol.iterator]",
            "Bag::constructor",
        }

    def test_method_overloads_abstract_and_declare(self) -> None:
        source = """
        export abstract class Shape {
          declare readonly kind: string;
          abstract area(): number;
          scale(by: number): Shape;
          scale(x: number, y: number): Shape;
          scale(x: number, y?: number): Shape { return this; }
        }
        """
        assert ts(source) == {"Shape", "Shape::kind", "Shape::area", "Shape::scale"}

    def test_export_default_forms(self) -> None:
        assert ts("export default function named() {}") == {"named"}
        assert ts("export default class Named { m() {} }") == {"Named", "Named::m"}
        assert ts("export default abstract class A { m() {} }") == {"A", "A::m"}
        assert ts("export default function () {}") == {"default"}
        assert ts("export default async () => {}") == {"default"}
        assert ts("export default class { m() {} }") == {"default", "default::m"}
        assert ts("export default { data() { return {}; } };") == {"default"}
        assert ts("const Router = 1;\nexport default Router;") == {"Router"}

    def test_class_expressions_bound_to_names_recurse(self) -> None:
        source = """
        export const Widget = class Internal {
          static Part = class {
            static Piece = class { render() {} };
            mount() {}
          };
        };
        """
        assert ts(source) == {
            "Widget",
            "Widget::Part",
            "Widget::Part::mount",
            "Widget::Part::Piece",
            "Widget::Part::Piece::render",
        }

    def test_namespaces_modules_and_ambient_declarations(self) -> None:
        source = """
        namespace A.B.C { export function f() {} }
        declare namespace Lib { function g(): void; const h: number; }
        declare module "express-serve-static-core" { interface Request { user?: string } }
        declare global { interface Window { coord: unknown } }
        declare function ambient(x: number): void;
        declare const VERSION: string;
        module Legacy { export class Old {} }
        """
        assert ts(source, "types.d.ts") == {
            "A",
            "A::B",
            "A::B::C",
            "A::B::C::f",
            "Lib",
            "Lib::g",
            "Lib::h",
            "express-serve-static-core",
            "express-serve-static-core::Request",
            "global",
            "global::Window",
            "ambient",
            "VERSION",
            "Legacy",
            "Legacy::Old",
        }

    def test_destructuring_declarations(self) -> None:
        source = "const { a, b: { c }, d = 1, ...rest } = obj;\nlet [x, , y = 2, ...zs] = arr;"
        assert ts(source) == {"a", "c", "d", "rest", "x", "y", "zs"}

    def test_imports_reexports_and_statements_are_not_symbols(self) -> None:
        source = """
        import fs from "node:fs";
        import * as path from "node:path";
        export { readFile } from "node:fs/promises";
        export * from "./other";
        const http = require("node:http");
        const { join } = require("node:path");
        const get = require("lodash").get;
        console.log(fs, path);
        app.listen(3000);
        config.port = 8080;
        """
        assert ts(source) == frozenset()

    def test_locals_inside_function_bodies_are_not_symbols(self) -> None:
        source = """
        function outer() {
          const inner = () => 1;
          class Local { m() {} }
          return inner;
        }
        class C { m() { function helper() {} } }
        """
        assert ts(source) == {"outer", "C", "C::m"}

    def test_commonjs_members(self) -> None:
        source = """
        function Stack() { this.items = []; }
        Stack.prototype.push = function (x) { this.items.push(x); };
        exports.create = () => new Stack();
        module.exports.VERSION = "1";
        module.exports = { Stack };
        """
        assert extract_symbols("stack.js", source.encode()) == {
            "Stack",
            "Stack::push",
            "create",
            "VERSION",
        }

    def test_decorators(self) -> None:
        source = """
        @Component({ selector: "app" })
        export class AppComponent {
          @Input() title = "";
          @HostListener("click") onClick() {}
        }
        """
        assert ts(source) == {"AppComponent", "AppComponent::title", "AppComponent::onClick"}

    def test_jsx_in_javascript(self) -> None:
        source = "export const App = () => <div>{items.map((i) => <Item key={i} />)}</div>;\n"
        assert extract_symbols("App.jsx", source.encode()) == {"App"}

    def test_partial_tree_after_syntax_error(self) -> None:
        source = """
        export class Router {
          handleAuth(req) { if ( }
          handleLogout(req) { return 1; }
        }
        export function after() {}
        """
        symbols = ts(source)
        assert {"Router", "Router::handleAuth", "after"} <= symbols


class TestPython:
    def test_assignment_forms(self) -> None:
        source = """
A = B = 1
C, (D, *E) = 1, (2, 3, 4)
[F, G] = 5, 6
H: int = 7
I: str
obj.attr = 8
items[0] = 9
A += 1
import os
from sys import path as sys_path
"""
        assert py(source) == {"A", "B", "C", "D", "E", "F", "G", "H", "I"}

    def test_nested_functions_are_not_symbols(self) -> None:
        source = """
def outer():
    def inner():
        class Local:
            pass
    X = 1
    return inner

class C:
    def m(self):
        def helper(): ...
        self.value = 1
"""
        assert py(source) == {"outer", "C", "C::m"}

    def test_conditional_definitions_count_at_their_level(self) -> None:
        source = """
import sys
if sys.version_info >= (3, 12):
    def compat(): ...
elif sys.platform == "win32":
    def compat(): ...
else:
    compat = None
try:
    import ujson as json
except ImportError:
    import json
finally:
    LOADED = True
with open(__file__) as fh:
    HEADER = fh.readline()

class K:
    if sys.platform == "linux":
        def only_linux(self): ...
"""
        assert py(source) == {"compat", "LOADED", "HEADER", "K", "K::only_linux"}

    def test_syntax_error_recovers_with_tree_sitter(self) -> None:
        source = """
X = 1

def broken(:
    pass

class After:
    def ok(self):
        return 1
"""
        symbols = py(source)
        assert {"X", "After", "After::ok"} <= symbols

    def test_newer_syntax_falls_back_and_still_extracts(self) -> None:
        # PEP 695 syntax is handled even where the running ast cannot parse it.
        source = """
type Pair[T] = tuple[T, T]
type Alias = int

class Box[T]:
    item: T
    def get[U](self, default: U) -> T | U: ...

def first[T](xs: list[T]) -> T: ...
"""
        assert py(source) == {"Pair", "Alias", "Box", "Box::item", "Box::get", "first"}

    def test_encoding_cookie_and_bom(self) -> None:
        latin1 = "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\ndef f(): ...\n".encode("latin-1")
        assert extract_symbols("m.py", latin1) == {"NAME", "f"}
        assert extract_symbols("m.py", b"\xef\xbb\xbfX = 1\n") == {"X"}


class TestGo:
    def test_receiver_forms(self) -> None:
        source = """
type Tree[K comparable, V any] struct{}
type S struct{}
func (t *Tree[K, V]) Insert(k K, v V) {}
func (t Tree[K, V]) Size() int { return 0 }
func (S) Value() {}
func (*S) Pointer() {}
func (s (S)) Paren() {}
func (o Other) Elsewhere() {}
"""
        assert go(source) == {
            "Tree",
            "Tree::Insert",
            "Tree::Size",
            "S",
            "S::Value",
            "S::Pointer",
            "S::Paren",
            "Other",
            "Other::Elsewhere",
        }

    def test_blank_identifiers_and_imports_are_skipped(self) -> None:
        source = """
import "fmt"
import (
    "os"
    str "strings"
)
var _ = fmt.Sprintf
const _, Keep = 1, 2
func _() {}
"""
        assert go(source) == {"Keep"}

    def test_interface_embeds_and_type_sets(self) -> None:
        source = """
type ReadCloser interface {
    io.Reader
    Closer
    Close() error
}
type Ordered interface { ~int | ~string }
"""
        assert go(source) == {"ReadCloser", "ReadCloser::Close", "Ordered"}

    def test_partial_tree_after_syntax_error(self) -> None:
        source = """
func Good() {}
func Broken( {
type After struct{}
func (a After) Method() {}
"""
        assert "Good" in go(source)


MALFORMED: list[bytes] = [
    b"",
    b"\n\n\n",
    b"\x00\x01\x02\xff\xfe",
    b"\xff\xfe\xfd not utf-8 \x80\x81",
    b"class { { { ( [ ",
    b"}}}}}])))",
    b"(" * 50_000,
    b"[" * 50_000,
    b"namespace A { " * 3_000,
    b"class A:\n" + b"".join(b"    " * i + b"class A:\n" for i in range(1, 300)),
    b"def f(:\n\tpass\n" * 50,
    b"func (((( {",
    "export const caf\u00e9 = '\u2603';\n".encode(),
]


@pytest.mark.parametrize("path", ["a.ts", "a.tsx", "a.js", "a.py", "a.go"])
@pytest.mark.parametrize("source", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_input_never_raises(path: str, source: bytes) -> None:
    symbols = extract_symbols(path, source)
    assert isinstance(symbols, frozenset)
    assert all(isinstance(symbol, str) and symbol for symbol in symbols)


def test_deep_namespace_nesting_is_bounded_not_fatal() -> None:
    source = "namespace N { " * 1_000 + "export const x = 1;" + " }" * 1_000
    symbols = ts(source)
    assert "N" in symbols
    assert max(symbol.count("::") for symbol in symbols) < 1_000
