"""The live dashboard: one static page that polls the API with the user's token."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard() -> HTMLResponse:
    page = resources.files("coordination.templates").joinpath("dashboard.html").read_text()
    return HTMLResponse(page)
