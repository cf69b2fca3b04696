from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordination.core.model import ActiveClaim, ClaimType
from coordination.core.ownership import from_document
from coordination.core.suggestions import conflict_suggestion


def test_owners_and_shared_files() -> None:
    rules = from_document(
        {
            "owners": [
                {"pattern": "src/auth/**", "owners": ["@team-auth"]},
                {"pattern": "docs/**", "owners": "ann"},
            ],
            "shared_files": ["package-lock.json", "src/app/*.tsx"],
        }
    )
    assert rules.owners_for("src/auth/login.ts") == ["@team-auth"]
    assert rules.owners_for("src/**") == ["@team-auth"]
    assert rules.owners_for("docs/x.md") == ["ann"]
    assert rules.owners_for("lib/x") == []
    assert rules.is_shared("package-lock.json")
    assert rules.is_shared("src/app/shell.tsx")
    assert not rules.is_shared("src/app/x/shell.tsx")
    assert not rules.is_shared("src/*.tsx")


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (["a"], "must be a mapping"),
        ({"owner": []}, "unknown top-level"),
        ({"owners": {"a": 1}}, "must be a list"),
        ({"owners": [{"owners": ["x"]}]}, "needs a 'pattern'"),
        ({"owners": [{"pattern": "/abs", "owners": ["x"]}]}, "owners pattern"),
        ({"shared_files": "x"}, "must be a list"),
        ({"shared_files": ["../x"]}, "shared_files entry"),
    ],
)
def test_bad_documents_say_why(doc: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        from_document(doc)


def test_suggestion_names_holder_time_left_and_owners() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    claim = ActiveClaim(
        1,
        "r",
        "bob/claude/1",
        ClaimType.FILE,
        "src/a.ts",
        now + timedelta(minutes=90),
        symbols=("A",),
    )
    text = conflict_suggestion([claim], ["@team"], now)
    assert "bob/claude/1 holds src/a.ts [A] for 90m" in text
    assert "@team" in text and "POST /requests" in text
    assert conflict_suggestion([], [], now) == ""
