"""owners.yaml reading bounds: the libyaml first pass and the round-trip composer refuse
the same input with the same reason, so a server without libyaml answers alike."""

from __future__ import annotations

import pytest

from coordination import ownership_yaml

HOSTILE = {
    "version: &a [x, x]\nb: [*a, *a]\n": "anchors (&a)",
    "shared_files: *nowhere\n": "aliases (*nowhere)",
    "owners:\n" + "".join(" " * i + "- \n" for i in range(1, 40)): "nested more than 20",
    "shared_files:\n" + "".join(f"  - f{i}.ts\n" for i in range(10_001)): "more than 10000 values",
}


@pytest.mark.parametrize("text", sorted(HOSTILE))
@pytest.mark.parametrize("libyaml", [True, False])
def test_each_pass_refuses_alike(text: str, libyaml: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not libyaml:
        monkeypatch.setattr(ownership_yaml, "_fast_precheck", lambda text: None)
    with pytest.raises(ValueError, match="owners.yaml") as refused:
        ownership_yaml.parse(text)
    assert HOSTILE[text] in str(refused.value)


def test_the_bounds_leave_real_files_alone() -> None:
    text = "version: 1\nowners:\n  - pattern: src/**\n    owners: [alex]\nshared_files:\n  - 'a&b.json'  # &x *y\n"
    rules = ownership_yaml.parse(text)
    assert rules.shared_files == ("a&b.json",) and rules.owners[0].owners == ("alex",)


def test_dump_keeps_the_list_indentation_it_was_read_with() -> None:
    for text in ("shared_files:\n  - a.json\n", "shared_files:\n- a.json\n", "shared_files:\n    - a.json\n"):
        doc = ownership_yaml.document(text)
        ownership_yaml.append(doc, "shared_files", "b.json")
        indent = text.split("\n")[1].split("-")[0]
        assert ownership_yaml.dump(doc, like=text) == text + f"{indent}- b.json\n"
