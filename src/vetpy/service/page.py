"""The triage page at ``/``: a static page whose script calls the API with the token the user enters.

The page itself holds no data, so it is served without a token; everything it shows comes from
``/v1/triage`` with ``Authorization: Bearer`` (the token is kept in the tab's ``sessionStorage``, never in a
URL or a cookie, so it is not logged and not sent to other sites). A strict Content-Security-Policy allows
only the page's own script and style, and the script writes package data as text, never as HTML (names,
file paths and snippets come from possibly hostile archives).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

_FILES = {
    "triage.js": "text/javascript; charset=utf-8",
    "triage.css": "text/css; charset=utf-8",
}
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _read(name: str) -> bytes:
    return (resources.files("vetpy.service") / "static" / name).read_bytes()


@router.get("/")
def index() -> Response:
    return Response(_read("triage.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in _FILES:
        raise HTTPException(404, "not found")
    return Response(_read(name), media_type=_FILES[name], headers=_HEADERS)
