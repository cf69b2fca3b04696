from __future__ import annotations

import pytest

from coordination.wiring import managed_blocks as mb


def test_append_to_empty_and_to_user_text() -> None:
    assert mb.upsert("", "body", mb.HASH) == f"{mb.HASH.begin}\nbody\n{mb.HASH.end}\n"
    out = mb.upsert("user line", "body", mb.HASH)
    assert out.startswith("user line\n\n" + mb.HASH.begin)


def test_replace_in_place_keeps_user_text_byte_for_byte() -> None:
    before = "# Title\n\nintro  \n"
    after = "\n## Mine\ntrailing text without newline"
    text = before + mb.render_block("old", mb.MARKDOWN) + after
    out = mb.upsert(text, "new body", mb.MARKDOWN)
    assert out == before + mb.render_block("new body", mb.MARKDOWN) + after
    assert mb.block_body(out) == "new body\n"


def test_idempotent() -> None:
    once = mb.upsert("a\nb\n", "x\ny", mb.MARKDOWN)
    assert mb.upsert(once, "x\ny", mb.MARKDOWN) == once


def test_unbalanced_markers_raise() -> None:
    with pytest.raises(mb.BlockError):
        mb.upsert("<!-- coord:begin -->\nno end\n", "x", mb.MARKDOWN)
    with pytest.raises(mb.BlockError):
        mb.upsert("# coord:end\n", "x", mb.HASH)


def test_remove() -> None:
    text = "a\n" + mb.render_block("x", mb.HASH) + "b\n"
    assert mb.remove(text) == "a\nb\n"
    assert mb.remove("plain\n") == "plain\n"


def test_marker_mentions_in_prose_are_not_markers() -> None:
    text = "We use coord:begin markers in docs.\n"
    assert mb.find_block(text) is None
