"""The agent console: a static page served by the gateway at ``/console``."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"

__all__ = ["STATIC"]
