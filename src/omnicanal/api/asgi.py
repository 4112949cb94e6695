"""The ASGI application that ``uvicorn`` (``omnicanal serve``) loads."""

from omnicanal.api.app import create_app

app = create_app()
