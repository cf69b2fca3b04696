"""The MCP tools' parameter and result types: the API's vocabulary and limits, and its response models.

Parameters read `core.vocabulary` and `core.limits`, so a tool states the same
choices and bounds as the HTTP API; results are the API's own response schemas
(`api.schemas`), plus a few envelopes that only the tools answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from coordination.api import schemas
from coordination.api import schemas_requests as rs
from coordination.core import limits as lim
from coordination.core.vocabulary import Answer, ClaimType, RequestState, Role, Urgency

__all__ = [
    "AnswerArg",
    "Branch",
    "ClaimIds",
    "ClaimTypeArg",
    "Description",
    "ExtendClaimsOut",
    "MyRequestsOut",
    "Note",
    "Paths",
    "Pattern",
    "Patterns",
    "Reason",
    "RequestStateArg",
    "RoleArg",
    "Symbols",
    "Ticket",
    "TtlHours",
    "UrgencyArg",
    "WaitSeconds",
    "WhoamiOut",
]

# -- parameter types: the API's vocabulary and limits (core.vocabulary, core.limits) ---------


def _choice(enum: type[StrEnum]) -> WithJsonSchema:
    """An enum parameter spelled inline (`{"type": "string", "enum": [...]}`), as clients read best."""
    return WithJsonSchema({"type": "string", "enum": [member.value for member in enum]})


ClaimTypeArg = Annotated[ClaimType, _choice(ClaimType)]
UrgencyArg = Annotated[Urgency, _choice(Urgency)]
AnswerArg = Annotated[Answer, _choice(Answer)]
RoleArg = Annotated[Role, _choice(Role)]
RequestStateArg = Annotated[RequestState, _choice(RequestState)]
Paths = Annotated[list[str], Field(max_length=lim.MAX_ITEMS)]
Patterns = Annotated[list[str], Field(max_length=lim.MAX_ITEMS, description="at most this many items in all")]
Pattern = Annotated[str, Field(max_length=lim.MAX_PATTERN_LENGTH)]
Symbols = Annotated[
    list[Annotated[str, Field(max_length=lim.MAX_SYMBOL_LENGTH)]], Field(max_length=lim.MAX_SYMBOLS_PER_CLAIM)
]
ClaimIds = Annotated[list[int], Field(max_length=lim.MAX_RELEASE_IDS)]
WaitSeconds = Annotated[
    float,
    Field(
        ge=0, le=lim.MAX_WAIT_SECONDS, description=f"seconds to wait in the claim queue, at most {lim.MAX_WAIT_SECONDS}"
    ),
]
Description = Annotated[str, Field(max_length=lim.MAX_DESCRIPTION_LENGTH)]
Branch = Annotated[str, Field(max_length=lim.MAX_BRANCH_LENGTH)]
Reason = Annotated[str, Field(min_length=1, max_length=lim.MAX_REASON_LENGTH)]
Note = Annotated[str, Field(max_length=lim.MAX_NOTE_LENGTH)]
TtlHours = Annotated[float, Field(description=schemas.TTL_HELP)]
Ticket = Annotated[
    str,
    Field(max_length=lim.MAX_TICKET_LENGTH, description="the queue.ticket of an answer that is still waiting"),
]


# -- output models (the API's own response schemas, plus a few envelopes) ----------


class ExtendClaimsOut(BaseModel):
    extended: list[schemas.ExtendOut] = Field(description="each claim with its new expiry")


class MyRequestsOut(BaseModel):
    requests: list[rs.ReleaseRequestOut] | None = Field(None, description="release requests (when queued is false)")
    queue: list[rs.QueueEntryOut] | None = Field(None, description="your claim-queue entries (when queued is true)")


class WhoamiOut(BaseModel):
    transport: Literal["stdio", "http"]
    version: str
    api_url: str | None = Field(None, description="the service this bridge talks to (stdio)")
    repo_id: str | None
    engineer: str | None
    session_id: str | None
    model_config = ConfigDict(extra="allow")
