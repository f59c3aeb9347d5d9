"""Entry point for ASGI servers: ``uvicorn --factory docsvc.asgi:app_from_env``."""

from __future__ import annotations

from fastapi import FastAPI

from docsvc.app import create_app
from docsvc.config import Settings


def app_from_env() -> FastAPI:
    return create_app(Settings())
