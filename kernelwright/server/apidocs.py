"""The interactive API docs (`/docs`: Swagger UI, `/redoc`: ReDoc), served from this app with no network.

FastAPI's own docs pages load Swagger UI and ReDoc from a CDN and start them with an inline script: on a machine
without internet `/docs` is blank, and the inline script needs a looser CSP. Here the bundles come from the
`fastapi-offline` package (Swagger UI 5 and ReDoc, served under `/docs-assets`), the pages are two small HTML
files of ours, and Swagger UI is started by `static/apidocs.js` from this origin, so the docs pages keep
`script-src 'self'`. They only add what the bundles need: inline style attributes (Swagger UI sets them) and a
`blob:` worker (ReDoc's search).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_URL, REDOC_URL = "/docs", "/redoc"
DOCS_PATHS = (DOCS_URL, REDOC_URL)
DOCS_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
               "worker-src 'self' blob:; frame-ancestors 'none'")

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — API docs</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"><noscript>The API's description is at
<a href="{openapi}">{openapi}</a>; <a href="{redoc}">{redoc}</a> shows it too.</noscript></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — API reference</title>
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def _fill(template: str, request: Request, app: FastAPI) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    values = {"title": app.title, "assets": root + ASSETS_URL, "openapi": root + (app.openapi_url or ""),
              "redoc": root + REDOC_URL}
    return HTMLResponse(template.format(**{k: escape(v, quote=True) for k, v in values.items()}))


def mount(app: FastAPI) -> None:
    """Serve `/docs` and `/redoc` from this app's own files. `app` is made with `docs_url=None, redoc_url=None`
    (FastAPI's CDN pages off)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return _fill(_SWAGGER, request, app)

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return _fill(_REDOC, request, app)
