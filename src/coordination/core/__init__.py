"""The pure domain core: decisions, globs, the claim index and book, lifetimes, ownership rules, the
API's vocabulary and limits; no I/O."""

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
    "limits",
    "model",
    "narrowing",
    "ownership",
    "promotion",
    "queue",
    "spelling",
    "suggestions",
    "symbols",
    "validation",
    "vocabulary",
    "webhook_events",
]
