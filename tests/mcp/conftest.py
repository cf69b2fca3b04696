from tests.e2e.conftest import live_server  # noqa: F401  (re-exported fixture)
