"""The shell completion scripts shipped with coord (`coord completions install`)."""

__all__: list[str] = []
