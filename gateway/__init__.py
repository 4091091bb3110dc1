"""The gateway: one ASGI app for the web chat, the agent desk and the metrics."""

from gateway.app import create_app

__all__ = ["create_app"]
