"""The HTTP front door: the FastAPI app, its routes, schemas, auth and error mapping."""

__all__ = [
    "app",
    "dashboard",
    "deps",
    "errors",
    "limits",
    "mcp_http",
    "pagination",
    "schemas",
    "schemas_requests",
    "slow_clients",
    "waiting",
]
