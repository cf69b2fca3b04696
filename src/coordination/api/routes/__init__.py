"""The HTTP routes, one module per resource."""

__all__ = [
    "audit",
    "claims",
    "config",
    "gate",
    "health",
    "metrics",
    "queue",
    "requests",
]
