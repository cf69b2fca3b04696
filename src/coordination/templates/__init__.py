"""Data files shipped with coord (read with importlib.resources)."""

__all__: list[str] = []
