"""Exact symbol sets for realistic files of every supported language."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordination.parsers import UnsupportedLanguage, extract_symbols, language_for
from coordination.parsers.python import extract_tree_sitter

FIXTURES = Path(__file__).parent / "fixtures"


def symbols_of(name: str) -> frozenset[str]:
    return extract_symbols(name, (FIXTURES / name).read_bytes())


ROUTER_TS = {
    # type-level declarations
    "Handler",
    "Request",
    "Response",
    "HttpStatus",
    "TokenKind",
    # module-level bindings, destructuring included
    "DEFAULT_TIMEOUT_MS",
    "isSafeMethod",
    "requestCounter",
    "NODE_ENV",
    "secret",
    # functions: three overload signatures collapse, async generator
    "parseToken",
    "streamChunks",
    "adapt",
    # abstract class
    "BaseRouter",
    "BaseRouter::routes",
    "BaseRouter::register",
    "BaseRouter::normalise",
    # the router
    "Router",
    "Router::VERSION",
    "Router::Middleware",
    "Router::Middleware::wrap",
    "Router::#sessions",
    "Router::failures",
    "Router::onError",
    "Router::constructor",
    "Router::create",
    "Router::size",
    "Router::timeout",
    "Router::register",
    "Router::handleAuth",
    "Router::handleLogout",
    "Router::dispatch",
    "Router::notFound",
    "Router::#verify",
    "Router::#fingerprint",
    # nested namespaces
    "Auth",
    "Auth::HEADER",
    "Auth::bearer",
    "Auth::Scopes",
    "Auth::Scopes::Scope",
    "Auth::Scopes::Checker",
    "Auth::Scopes::Checker::constructor",
    "Auth::Scopes::Checker::allows",
}

DASHBOARD_TSX = {
    "Claim",
    "Props",
    "REFRESH_INTERVAL_MS",
    "ClaimRow",
    "ClaimTable",
    "Badge",
    "useClaims",
    "BoundaryState",
    "ErrorBoundary",
    "ErrorBoundary::state",
    "ErrorBoundary::getDerivedStateFromError",
    "ErrorBoundary::componentDidCatch",
    "ErrorBoundary::reset",
    "ErrorBoundary::render",
    "Dashboard",
}

QUEUE_JS = {
    "sleep",
    "MAX_ATTEMPTS",
    "legacyMode",
    "backoff",
    "withRetry",
    "idGenerator",
    "Job",
    "Job::#nextId",
    "Job::constructor",
    "Job::toJSON",
    "JobQueue",
    "JobQueue::concurrency",
    "JobQueue::#pending",
    "JobQueue::#running",
    "JobQueue::onDrain",
    "JobQueue::size",
    "JobQueue::push",
    "JobQueue::#run",
    "JobQueue::#pump",
    "JobQueue::fromConfig",
    "LegacyWorker",
    "LegacyWorker::start",
    "LegacyWorker::stop",
    "createQueue",
    "version",
    "helpers",
    "default",
    "default::describe",
}

SCHEDULER_PY = {
    "Callback",
    "uvloop",
    "log",
    "DEFAULT_TTL_SECONDS",
    "MAX_LEASES",
    "MIN_TTL",
    "MAX_TTL",
    "__all__",
    "LeaseState",
    "LeaseState::ACTIVE",
    "LeaseState::EXPIRED",
    "LeaseState::RELEASED",
    "Lease",
    "Lease::resource",
    "Lease::holder",
    "Lease::ttl",
    "Lease::tags",
    "Lease::key",
    "Scheduler",
    "Scheduler::instances",
    "Scheduler::clock",
    "Scheduler::Policy",
    "Scheduler::Policy::fair",
    "Scheduler::Policy::allows",
    "Scheduler::Policy::Backoff",
    "Scheduler::Policy::Backoff::base",
    "Scheduler::Policy::Backoff::cap",
    "Scheduler::Policy::Backoff::delay",
    "Scheduler::Policy::Backoff::Jitter",
    "Scheduler::Policy::Backoff::Jitter::spread",
    "Scheduler::Policy::Backoff::Jitter::apply",
    "Scheduler::__init__",
    "Scheduler::ttl",
    "Scheduler::get",
    "Scheduler::normalise",
    "Scheduler::with_defaults",
    "Scheduler::__iter__",
    "Scheduler::acquire",
    "Scheduler::release",
    "renew_all",
    "install_event_loop",
}

STORE_GO = {
    "DefaultTTL",
    "KindFile",
    "KindSymbol",
    "KindModule",
    "ErrNotFound",
    "ErrConflict",
    "now",
    "since",
    "Kind",
    "Kind::String",
    "Claim",
    "Claim::Expired",
    "ClaimID",
    "Reader",
    "Reader::Get",
    "Reader::List",
    "Writer",
    "Writer::Put",
    "Writer::Delete",
    "Store",
    "Store::Close",
    "Number",
    "List",
    "List::Push",
    "List::Len",
    "Memory",
    "Memory::Get",
    "Memory::List",
    "Memory::Put",
    "Memory::Delete",
    "Memory::Close",
    "NewMemory",
    "Sum",
    "init",
}


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("router.ts", ROUTER_TS),
        ("dashboard.tsx", DASHBOARD_TSX),
        ("queue.js", QUEUE_JS),
        ("scheduler.py", SCHEDULER_PY),
        ("store.go", STORE_GO),
    ],
)
def test_fixture_symbols_exact(fixture: str, expected: set[str]) -> None:
    symbols = symbols_of(fixture)
    assert isinstance(symbols, frozenset)
    assert symbols == expected, f"missing {sorted(expected - symbols)}, unexpected {sorted(symbols - expected)}"


@pytest.mark.parametrize("fixture", ["router.ts", "dashboard.tsx", "queue.js", "scheduler.py"])
def test_every_ancestor_is_present(fixture: str) -> None:
    symbols = symbols_of(fixture)
    for symbol in symbols:
        parts = symbol.split("::")
        for depth in range(1, len(parts)):
            assert "::".join(parts[:depth]) in symbols


def test_python_tree_sitter_fallback_agrees_with_ast() -> None:
    source = (FIXTURES / "scheduler.py").read_bytes()
    assert extract_tree_sitter(source) == SCHEDULER_PY


def test_same_content_under_other_extensions() -> None:
    source = (FIXTURES / "router.ts").read_bytes()
    assert extract_symbols("src/router.mts", source) == ROUTER_TS
    assert extract_symbols("types/router.d.ts", source) == ROUTER_TS
    js = (FIXTURES / "queue.js").read_bytes()
    assert extract_symbols("lib/queue.cjs", js) == QUEUE_JS
    assert extract_symbols("lib/queue.mjs", js) == QUEUE_JS


class TestLanguageFor:
    @pytest.mark.parametrize(
        ("path", "language"),
        [
            ("src/auth/router.ts", "typescript"),
            ("src/auth/router.mts", "typescript"),
            ("src/auth/router.cts", "typescript"),
            ("types/index.d.ts", "typescript"),
            ("web/App.tsx", "tsx"),
            ("web/app.js", "javascript"),
            ("web/App.jsx", "javascript"),
            ("web/app.mjs", "javascript"),
            ("web/app.cjs", "javascript"),
            (".eslintrc.js", "javascript"),
            ("pkg/mod.py", "python"),
            ("pkg/mod.pyi", "python"),
            ("cmd/main.go", "go"),
            ("SRC\\Legacy\\Main.GO", "go"),
            ("Router.TS", "typescript"),
        ],
    )
    def test_supported(self, path: str, language: str) -> None:
        assert language_for(path) == language

    @pytest.mark.parametrize(
        "path",
        ["README.md", "Makefile", "src/lib.rs", "app.ts.orig", ".go", "dir.ts/file", "a.pyc", ""],
    )
    def test_unsupported(self, path: str) -> None:
        assert language_for(path) is None

    @pytest.mark.parametrize("path", ["README.md", "src/lib.rs", "Makefile"])
    def test_extract_raises_for_unsupported(self, path: str) -> None:
        with pytest.raises(UnsupportedLanguage):
            extract_symbols(path, b"anything")

    def test_unsupported_language_is_a_value_error(self) -> None:
        assert issubclass(UnsupportedLanguage, ValueError)
