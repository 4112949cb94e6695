"""The API documentation in a real headless Chromium on a network with no internet.

Every request to another host than the server is aborted, as on a store's network without
internet: Swagger UI (``/docs``) and ReDoc (``/redoc``) still render the operations, from
the files this installation serves, and the browser refuses nothing they need: only
ReDoc's attribution logo, an image from its CDN that it hides when it cannot load.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import LiveServer, make_platform
from tests.web.test_browser import (
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def server(tmp_path, request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    platform = make_platform("sqlite", tmp_path, request)
    with LiveServer(platform) as live:
        yield live.url
    platform.close()


def _offline_page(chromium, url: str):  # type: ignore[no-untyped-def]
    """A page whose requests to other hosts fail; the hosts it tried, the errors it logged."""
    context = chromium.new_context(base_url=url)
    tried: list[str] = []
    errors: list[str] = []

    def only_local(route) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(route.request.url).hostname
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, tried, errors


def test_swagger_ui_and_redoc_render_the_operations_without_internet(server, browser):  # noqa: F811
    """Both pages show the operations (reserveStock, its summary) with every other host
    unreachable; no error in the console, nothing they need refused by the policy."""
    expect = playwright_api.expect
    context, page, tried, errors = _offline_page(browser, server)

    page.goto("/docs")
    expect(page.get_by_text("reserveStock", exact=True)).to_be_visible()
    expect(page.locator(".opblock-tag-section").first).to_be_visible()

    page.goto("/redoc")
    expect(page.locator("h2", has_text="Reserve Stock")).to_be_visible()
    expect(page.get_by_role("menuitem", name="inventory")).to_be_visible()
    context.close()

    assert tried == []
    assert [error for error in errors if REDOC_LOGO not in error] == []
