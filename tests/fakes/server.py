"""The HTTP server every fake runs on: a daemon thread on a free loopback port."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer(ThreadingHTTPServer):
    """A local stand-in for a remote API. The standard listen backlog of 5 would turn
    50 simultaneous clients into 1-second SYN retries, measuring the fake, not us."""

    request_queue_size = 256
    daemon_threads = True


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[LocalServer, str]:
    """Start *handler* on a free port; returns the server and its base URL."""
    server = LocalServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
