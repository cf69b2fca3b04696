"""How many examples a property test tries, under the hypothesis profile in use.

Each property test names its count for a thorough run: `examples(300)`. That many run
under `pytest --hypothesis-profile=thorough`; the default profile (`fast`, what
`make check` and `make test-fast` use) runs a fifth of it, at least 10, so the whole
suite stays quick while every property still meets many cases on every run. The
profiles are registered in tests/conftest.py.
"""

from __future__ import annotations

from hypothesis import settings

THOROUGH = 100  # the thorough profile's max_examples: counts are written against it


def examples(thorough: int) -> int:
    """`thorough` scaled by the active profile's max_examples (100 thorough, 20 fast)."""
    return max(10, thorough * settings.default.max_examples // THOROUGH)
