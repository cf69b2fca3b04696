"""Control and bidirectional-override characters: refused in every text a request carries.

Its own module, with nothing but `re`, so the API's schemas (which the CLI loads for
`--json`) check texts without importing the glob engine that `core.validation` needs.
"""

from __future__ import annotations

import re

__all__ = ["control_problem"]

# C0 and C1 control characters (ESC starts ANSI sequences; NUL ends C strings)
# and the Unicode bidirectional controls that reorder how text is displayed
# (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069). Refused in every
# text a request carries: they reach terminals, logs and the dashboard.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Free text (a claim's description) may keep its line breaks and tabs.
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def control_problem(field: str, value: str, multiline: bool = False) -> str | None:
    """Why `value` may not be stored: a control or bidi character (newline and tab allowed
    when `multiline`); None when it is clean. The one definition every text field uses."""
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value)
    if found is None:
        return None
    allowed = " (newline and tab are allowed)" if multiline else ""
    subject = f"{field} contains" if field else "contains"
    return (
        f"{subject} the control character U+{ord(found.group()):04X} at position {found.start()}; "
        f"control and bidirectional-override characters are not allowed{allowed}"
    )
