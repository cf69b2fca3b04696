"""Every fixed limit the service enforces, defined once.

The API schemas (and so the OpenAPI document), the MCP tool parameters, the CLI
options, the service's own checks and docs/api-reference.md ("Limits") all read
these numbers; tests check that they agree. Limits an operator sets (a claim's
largest TTL, files per claim, ...) are settings (`coordination.config`), with
their defaults here when the core needs them too.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CLAIMS_PAGE",
    "DEFAULT_MAX_TTL_HOURS",
    "EVENTS_PAGE",
    "MAX_ALTERNATIVES",
    "MAX_BRANCH_LENGTH",
    "MAX_CURSOR_LENGTH",
    "MAX_DAYS",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ENGINEER_LENGTH",
    "MAX_EXPANDED_LENGTH",
    "MAX_EXPANDED_WILDCARDS",
    "MAX_GATE_PATHS",
    "MAX_GLOBSTARS",
    "MAX_ID",
    "MAX_INSTANCE_ID_LENGTH",
    "MAX_ITEMS",
    "MAX_NOTE_LENGTH",
    "MAX_OWNERS_YAML_BYTES",
    "MAX_OWNERS_YAML_DEPTH",
    "MAX_OWNERS_YAML_NODES",
    "MAX_PATTERN_LENGTH",
    "MAX_PROMOTE_PATTERN_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_RELEASE_IDS",
    "MAX_REPO_ID_LENGTH",
    "MAX_SESSION_ID_LENGTH",
    "MAX_SYMBOLS_PER_CLAIM",
    "MAX_SYMBOL_LENGTH",
    "MAX_TICKET_LENGTH",
    "MAX_TOOL_NAME_LENGTH",
    "MAX_VERIFY_PATHS",
    "MAX_WAIT_SECONDS",
    "MAX_WEBHOOK_HOURS",
    "MAX_WILDCARDS",
    "QUEUE_PAGE",
    "REQUESTS_PAGE",
    "Page",
]


@dataclass(frozen=True, slots=True)
class Page:
    """A list route's page size: `default` items unless `limit` says otherwise, at most `maximum`."""

    default: int
    maximum: int


# -- identities -------------------------------------------------------------------
MAX_ENGINEER_LENGTH = 200  # engineer ids (`alex/claude/main`)
MAX_REPO_ID_LENGTH = 200
MAX_SESSION_ID_LENGTH = 64
MAX_ID = 2**63 - 1  # claim, request, queue and event ids are 64-bit in both databases

# -- a claim request (POST /claims) -------------------------------------------------
MAX_ITEMS = 100  # claim items per request; paths and symbols together per GET /conflicts
MAX_WAIT_SECONDS = 900  # wait_seconds: how long a request may wait in the claim queue
MAX_TICKET_LENGTH = 40  # characters of a `resume` ticket (`q<queue id>-<12 hex>`)
MAX_BRANCH_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 4000
DEFAULT_MAX_TTL_HOURS = 72.0  # COORD_MAX_TTL_HOURS's default; ttl_hours must be > 0 and at most that

# -- patterns (core.globs): a pattern the engine can decide in bounded time ------------
MAX_PATTERN_LENGTH = 1024  # characters of a pattern
MAX_ALTERNATIVES = 256  # brace alternatives (`{a,b}`) a pattern expands to
MAX_WILDCARDS = 16  # per alternative: '*', '?', classes and '**' segments
MAX_GLOBSTARS = 8  # '**' segments per alternative, before consecutive ones are merged
MAX_EXPANDED_LENGTH = 2048  # characters of all brace alternatives together
MAX_EXPANDED_WILDCARDS = 128  # wildcards of all brace alternatives together

# -- symbols (core.symbols) ---------------------------------------------------------
MAX_SYMBOLS_PER_CLAIM = 200
MAX_SYMBOL_LENGTH = 512

# -- other request bodies -------------------------------------------------------------
MAX_RELEASE_IDS = 1000  # claim_ids per POST /claims/release
MAX_VERIFY_PATHS = 10_000  # paths per POST /claims/verify
MAX_GATE_PATHS = 200  # paths per POST /gate/edit and /gate/written
MAX_TOOL_NAME_LENGTH = 40  # the editor tool named in POST /gate/edit
MAX_REASON_LENGTH = 2000  # a release request's reason
MAX_NOTE_LENGTH = 2000  # a holder's note with its answer
MAX_OWNERS_YAML_BYTES = 262_144  # an uploaded owners.yaml, UTF-8 encoded (256 KiB)
MAX_OWNERS_YAML_DEPTH = 20  # nesting levels in it
MAX_OWNERS_YAML_NODES = 10_000  # YAML nodes (mappings, lists, scalars) in it
MAX_PROMOTE_PATTERN_LENGTH = 1000  # the pattern of POST /config/ownership/promote
MAX_INSTANCE_ID_LENGTH = 128  # COORD_INSTANCE_ID

# -- reading ----------------------------------------------------------------------------
MAX_DAYS = 365  # `days` of the auto-resolution and hotspot reports (and auto-promote windows)
MAX_WEBHOOK_HOURS = 168  # `hours` of the webhook delivery report
MAX_CURSOR_LENGTH = 64  # a `cursor` (next_cursor of the previous page)
CLAIMS_PAGE = Page(default=1000, maximum=10_000)  # GET /claims
REQUESTS_PAGE = Page(default=200, maximum=1000)  # GET /requests
QUEUE_PAGE = Page(default=200, maximum=1000)  # GET /queue
EVENTS_PAGE = Page(default=1000, maximum=100_000)  # GET /events
