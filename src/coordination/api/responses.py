"""Answers already validated into their response model, serialized once.

A route that returns a model (or a dict) with `response_model=` set has FastAPI
validate the value against that model again and then serialize it. The two
busiest routes (`POST /claims`, `DELETE /claims/{id}`) build their response
model from the service's typed result themselves, so they hand FastAPI the
finished JSON instead: the same bytes (no aliases in `api.schemas`; checked by
tests/api/test_typed_results_http.py), one validation fewer per request. The
`response_model=` on the route still documents the answer in the OpenAPI.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel

__all__ = ["typed_json"]


def typed_json(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the response body (`application/json`), serialized by pydantic once."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
