"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from coordination import __version__, placeholders, webhooks, workers
from coordination.api import dashboard, errors, mcp_http, threads
from coordination.api.limits import BodyLimit
from coordination.api.routes import audit, claims, config, gate, health, metrics, queue, requests
from coordination.config import Settings
from coordination.service import Coordinator
from coordination.store import instance_lock, open_store
from coordination.store.sqlite import SqliteStore


class InsecureConfiguration(RuntimeError):
    pass


def check_auth_settings(settings: Settings) -> None:
    """Refuse a configuration whose API anyone could use: no token, a blank one, or a published placeholder."""
    if settings.auth_token is None:
        if not settings.allow_insecure_no_auth:
            raise InsecureConfiguration(
                "refusing to start without a token: set COORD_AUTH_TOKEN "
                "(or, for a local demo only, COORD_ALLOW_INSECURE_NO_AUTH=true)"
            )
        return
    token = settings.auth_token.get_secret_value()
    if not token.strip():
        raise InsecureConfiguration(
            "refusing to start: COORD_AUTH_TOKEN is blank; set it to a long random string (openssl rand -base64 32)"
        )
    if placeholders.is_placeholder_token(token):
        raise InsecureConfiguration(
            f"refusing to start: COORD_AUTH_TOKEN is the documented placeholder {token.strip()!r}, "
            "which anyone can read in the templates; set it to a long random string (openssl rand -base64 32)"
        )


def begin_shutdown(app: FastAPI) -> None:
    """The server is about to stop: its queue waiters end their entries and get a 503 now,
    while connections are still open (called from the signal handler of `coord-api`)."""
    svc: Coordinator | None = getattr(app.state, "service", None)
    if svc is not None:
        svc.queue.stop()


def create_app(settings: Settings | None = None, service: Coordinator | None = None) -> FastAPI:
    settings = settings or Settings()
    check_auth_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock = instance_lock(settings)
        if lock:
            lock.acquire()
        svc = service
        if svc is None:
            store = open_store(settings)
            store.migrate()
            svc = Coordinator(settings, store)
        if lock:
            # Someone deleting or replacing <db>.lock would let a second server start on the file.
            svc.store.watch(lock.problem)
        # Index every repo's active claims before serving (and so before /readyz says ready):
        # otherwise the first request of each repo pays for it, seconds with tens of thousands.
        await asyncio.to_thread(svc.warm)
        # What start-up loaded (the books, the file list, the app) lives as long as the
        # process: out of the collector's view, a full collection no longer walks it (tens
        # of milliseconds with 10,000 claims, on whichever request triggered it). Unfrozen
        # when the lifespan ends, so a process that runs many apps (the tests) frees them.
        gc.freeze()
        tasks = []
        if isinstance(svc.store, SqliteStore):
            # One writer for the whole file: its writes queue for one thread instead of its lock,
            # and its WAL is copied back by a thread of its own, not inside a request's commit.
            threads.start_writer(svc, settings.db_busy_timeout_sec)
            svc.store.checkpoint_in_background()
        app.state.service = svc
        svc.queue.resume()  # a service handed in may have served (and stopped) an earlier app
        # PostgreSQL: a grant made by another replica wakes this process's waiters at once.
        svc.queue.listen()
        # The routes' calls that are not SQLite writes run in anyio's worker threads (40 by
        # default; api/threads.py). A queue waiter holds one for its whole long-poll (two when
        # it waits through /mcp: the tool's thread and the route's), so leave room for
        # COORD_QUEUE_MAX_WAITERS such waiters plus the 40 threads that serve everything else
        # (the releases the waiters wait for).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, 2 * settings.queue_max_waiters + 40)
        if not settings.disable_background_cleanup:
            tasks.append(asyncio.create_task(workers.run_every("sweep", settings.cleanup_interval_sec, svc.sweep)))
            if settings.auto_demote_interval_sec > 0:
                demote = svc.auto_demote
                tasks.append(
                    asyncio.create_task(workers.run_every("auto-demote", settings.auto_demote_interval_sec, demote))
                )
        delivery = None
        if settings.webhook_url and not settings.disable_background_cleanup:
            delivery = webhooks.WebhookDelivery(settings, svc.store, clock=svc.clock)
            interval = settings.webhook_delivery_interval_sec
            tasks.append(asyncio.create_task(workers.run_every("webhooks", interval, delivery.tick)))
        try:
            async with mcp_running():
                yield
        finally:
            # Waiters still here end their queue entries (503 to their callers) before the store closes.
            svc.queue.stop()
            await asyncio.to_thread(svc.queue.drain, 3.0)
            await asyncio.to_thread(threads.stop_writer, svc)  # the writes already queued finish first
            for task in tasks:
                task.cancel()
            gc.unfreeze()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if delivery:
                delivery.close()
            if service is None:
                svc.store.close()
            if lock:
                lock.release()

    app = FastAPI(
        title="coord",
        version=__version__,
        description="Claims and conflict checks for many coding agents sharing one repo.",
        lifespan=lifespan,
        # Operation ids are the route functions' names (`create_claims`, `list_claims`...):
        # what generated clients and the interactive docs show.
        generate_unique_id_function=lambda route: route.name,
    )
    # Tells this process apart from any other service answering on the same port (`coord start` checks it).
    app.state.instance = settings.instance_id or secrets.token_hex(8)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout_sec=settings.body_timeout_sec)
    _document_400_not_422(app)
    for module in (health, claims, config, gate, audit, requests, queue, metrics, dashboard):
        app.include_router(module.router)
    mcp_running = mcp_http.install(app, require_token=settings.auth_token is not None)
    return app


def _document_400_not_422(app: FastAPI) -> None:
    """The OpenAPI document as the service really behaves: bad input is 400 {error, detail} (never
    422), and routes that need the token say so with a bearer security scheme."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        error = {"$ref": "#/components/schemas/ErrorOut"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault(
                        "400",
                        {
                            "description": "invalid request, with the reason",
                            "content": {"application/json": {"schema": error}},
                        },
                    )
                if "401" in responses:
                    # Routes that answer 401 need the token: say how to send it, so /docs has Authorize.
                    operation["security"] = [{"bearer": []}]
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "the service's COORD_AUTH_TOKEN, as `Authorization: Bearer <token>`",
            }
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
