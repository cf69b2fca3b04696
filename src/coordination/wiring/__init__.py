"""Everything that wires an application repo to coord: templates, managed blocks, git."""

__all__ = [
    "editor_hooks",
    "gate_probe",
    "git",
    "guards",
    "init_plan",
    "managed_blocks",
    "repoconfig",
    "templates",
]
