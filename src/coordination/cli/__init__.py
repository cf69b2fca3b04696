"""The `coord` command line."""

__all__ = [
    "api_server",
    "app",
    "claims_cmds",
    "completions_cmd",
    "doctor_cmd",
    "entry",
    "hook_cmds",
    "init_cmd",
    "output",
    "ownership_cmds",
    "requests_cmds",
    "scopes",
    "server_cmds",
    "update_notice",
]
