"""The pure domain core: decisions, globs, the claim index and book, lifetimes, ownership rules; no I/O."""

__all__ = [
    "book",
    "carves",
    "decisions",
    "drift",
    "files",
    "globs",
    "identity",
    "index",
    "lifetimes",
    "model",
    "narrowing",
    "ownership",
    "promotion",
    "queue",
    "spelling",
    "suggestions",
    "symbols",
    "validation",
    "webhook_events",
]
