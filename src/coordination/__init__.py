"""coord: claims and conflict checks for many coding agents sharing one repo."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`__version__`: the installed distribution's version (pyproject.toml is the one
    place it is written). Looked up on first use, so the edit gate, which imports this
    package on every hook call, never pays for `importlib.metadata`."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("coord")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        version = "0+unknown"
    globals()["__version__"] = version
    return version
