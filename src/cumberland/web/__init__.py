"""The review workbench (FastAPI, server-rendered): an edge over the core, never imported by it."""

from cumberland.web.app import create_app

__all__ = ["create_app"]
