"""The baseline for `service.py`: one bare FastAPI `async def` route on the uvicorn coord serves with.

    python benchmarks/bare_app.py --port 8099

Same uvicorn, same HTTP protocol class (coord's header-deadline wrapper of uvicorn's
auto protocol) and log level as `coord-api`; nothing else: no middleware, no auth, no database.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

from coordination.api.slow_clients import header_timeout_protocol

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--header-timeout", type=float, default=10.0)
    args = parser.parse_args()
    config = uvicorn.Config(
        app,
        http=header_timeout_protocol(args.header_timeout),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
