"""``/docs`` and ``/openapi.json`` behind the token (or a session), Swagger UI served offline.

The Swagger UI script and stylesheet are the ones the fastapi-offline package ships, served by
this app from an allow-list: the docs page loads nothing from a CDN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response

from bot.api.dashboard.render import headers

_ASSETS = Path(fastapi_offline.__file__).parent / "static"
_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# Swagger UI starts itself from an inline script: allowed here, and still nothing off the host.
_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'"
)


def docs_routes(app: FastAPI, api_guard: list[Any], page_guard: list[Any]) -> None:
    """The schema (401 without the token), the docs page and its assets (login first)."""

    @app.get("/openapi.json", dependencies=api_guard, include_in_schema=False)
    def schema() -> Response:
        """The OpenAPI document of the JSON routes."""
        return Response(json.dumps(app.openapi()), media_type="application/json")

    @app.get("/docs", dependencies=page_guard, include_in_schema=False)
    def docs() -> Response:
        """Swagger UI over /openapi.json, every asset from this server."""
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon.png",
        )
        page.headers.update({**headers(), "Content-Security-Policy": _POLICY})
        return page

    @app.get("/docs/assets/{name}", dependencies=page_guard, include_in_schema=False)
    def asset(name: str) -> Response:
        """One of Swagger UI's files (an allow-list: no path is read from the request)."""
        if name not in _TYPES:
            return Response("not found", status_code=404, media_type="text/plain")
        body = (_ASSETS / name).read_bytes()
        return Response(body, media_type=_TYPES[name], headers={"Cache-Control": "max-age=3600"})
