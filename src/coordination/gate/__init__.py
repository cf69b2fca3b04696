"""`coord-gate`: the editor gate that runs before and after an agent edits files (standard library only)."""

__all__ = [
    "dialects",
    "fastjson",
    "run",
    "shell",
]
