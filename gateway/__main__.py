"""``python -m gateway``: serve the gateway with uvicorn (host and port from ``DESK_*``)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from common import logs
from common.settings import desk_settings
from gateway.app import create_app


def main() -> None:
    settings = desk_settings()
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument(
        "--actions-url",
        default="http://127.0.0.1:5055",
        help="the action server, health-checked after a bot fallback (empty: never checked)",
    )
    args = parser.parse_args()
    logs.install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings, actions_url=args.actions_url)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        ws="websockets",
        # The app applies X-Forwarded-For itself, from DESK_TRUSTED_PROXIES only
        # (uvicorn's default would believe any local peer).
        proxy_headers=False,
        ws_max_size=64 * 1024,  # like request bodies (gateway/edge.py)
    )


if __name__ == "__main__":
    main()
