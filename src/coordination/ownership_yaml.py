"""owners.yaml in and out, comments preserved (ruamel round-trip)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from coordination.core.ownership import Ownership, from_document

MAX_YAML_BYTES = 256 * 1024


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise ValueError(f"owners.yaml is not valid YAML: {exc}") from exc


def parse(text: str) -> Ownership:
    if len(text.encode()) > MAX_YAML_BYTES:
        raise ValueError(f"owners.yaml larger than {MAX_YAML_BYTES} bytes")
    return from_document(load(text))


def dump(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()
