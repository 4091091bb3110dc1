"""The gateway: one ASGI app that assembles every part, and the router that decides
where each user message goes (``gateway.router``). ``python -m gateway`` serves it."""

from gateway.app import create_app

__all__ = ["create_app"]
