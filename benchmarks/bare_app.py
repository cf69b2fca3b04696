"""The baselines for `service.py`, on the uvicorn coord serves with.

    python benchmarks/bare_app.py --port 8099

- `GET /`: one bare FastAPI `async def` route; no middleware, no auth, no database.
- `POST /claims` and `DELETE /claims/{id}`: the framework's share of coord's claim and
  release, without coord: the same request and response models, query and path
  parameters, a bearer-token dependency and coord's body-limit middleware, answering
  a fixed claim (a new id each time) and `{"released": [id]}`. Nothing is stored.

Same uvicorn, same HTTP protocol class (coord's header-deadline wrapper of uvicorn's
auto protocol) and log level as `coord-api`.
"""

from __future__ import annotations

import argparse
import hmac
import itertools
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Query, Request

from coordination.api import schemas
from coordination.api.deps import IdPath
from coordination.api.limits import BodyLimit
from coordination.api.slow_clients import header_timeout_protocol
from coordination.core.limits import MAX_ENGINEER_LENGTH, MAX_ID

TOKEN = b"bench-token"
app = FastAPI()
app.add_middleware(BodyLimit, max_bytes=1 << 20, timeout_sec=30.0)
_ids = itertools.count(1)


@app.get("/")
async def root() -> dict[str, str]:
    return {"status": "ok"}


async def bearer(request: Request) -> None:
    presented = request.headers.get("authorization", "").partition(" ")[2].encode()
    hmac.compare_digest(presented, TOKEN)


def _answer(body: schemas.CreateClaimsIn) -> dict[str, Any]:
    """What coord answers a granted claim of one file: a claim, its decision, no notices."""
    claim_id, item = next(_ids), body.claims[0]
    at = "2026-12-01T12:00:00.000000Z"
    claim = {
        "id": claim_id, "repo_id": body.repo_id, "engineer": body.engineer, "session_id": body.session_id,
        "branch": None, "description": None, "type": item.type, "pattern": item.pattern, "symbols": [],
        "narrowable": True, "carved": [], "coexists_with": [], "state": "active", "created_at": at,
        "expires_at": at, "ended_at": None, "fence": claim_id,
    }  # fmt: skip
    decision = {
        "pattern": item.pattern, "type": item.type, "outcome": "GRANT", "claim_id": claim_id, "refreshed": False,
        "coexists_with": [], "narrowed": [], "note": None,
    }  # fmt: skip
    return {"claims": [claim], "decisions": [decision], "pending_requests": [], "queue": None}


@app.post("/claims", response_model=schemas.CreateClaimsOut, dependencies=[Depends(bearer)])
async def claim(body: schemas.CreateClaimsIn) -> schemas.CreateClaimsOut:
    return schemas.CreateClaimsOut.model_validate(_answer(body))


@app.delete("/claims/{claim_id}", response_model=schemas.ReleaseOut, dependencies=[Depends(bearer)])
async def release(
    claim_id: IdPath,
    engineer: Annotated[str, Query(max_length=MAX_ENGINEER_LENGTH)],
    force: bool = False,
    if_fence: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> dict[str, Any]:
    del engineer, force, if_fence
    return {"released": [claim_id]}


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
