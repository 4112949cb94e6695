"""Swagger UI (``/docs``) and ReDoc (``/redoc``) served from this installation.

A store's network often has no internet: pages that load their scripts from a CDN stay
blank there. The scripts, styles and favicon come from the ``fastapi-offline`` package's
files instead (Swagger UI's bundle and CSS, ReDoc's standalone bundle), mounted under
``/docs/static``; the pages are FastAPI's own, pointed at them.

Their Content-Security-Policy names our own origin only. Swagger UI starts from one inline
script, allowed by its hash rather than by 'unsafe-inline'; both draw inline styles (React's
and ReDoc's styled-components), ReDoc runs its search in a worker made from a blob.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "STATIC_PATH", "docs_policy", "install"]

STATIC_PATH = "/docs/static"
ASSETS = Path(str(files("fastapi_offline") / "static"))
"""Swagger UI's and ReDoc's files, as the installed ``fastapi-offline`` ships them."""
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(script_hashes: list[str]) -> str:
    """The Content-Security-Policy of a documentation page: our origin only, and the inline
    scripts whose hashes are given."""
    scripts = " ".join(["'self'", *(f"'sha256-{digest}'" for digest in script_hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    body = bytes(page.body).decode()
    hashes = [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in _INLINE_SCRIPT.findall(body)
    ]
    page.headers["content-security-policy"] = docs_policy(hashes)
    return page


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from the installed assets (the app is built with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(STATIC_PATH, StaticFiles(directory=ASSETS), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} API",
                swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
                # No badge fetched from validator.swagger.io.
                swagger_ui_parameters={"validatorUrl": None, "displayOperationId": True},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} API",
                redoc_js_url=f"{root}{STATIC_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )
