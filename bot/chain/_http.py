"""One POST to a node, read safely: the body is capped while it streams, a compressed
body is capped after decompression (a gzip bomb is refused, not inflated), and JSON is
parsed in a worker thread so a large answer can't hold up other users' turns.

The cap is on what we keep in memory, so a 160 MB array or a 1 GB gzip bomb costs at
most ``limit`` bytes and the time to read that many.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import httpx

from bot.chain._result import UNREACHABLE, NodeError

# We decompress ourselves (to cap the output), so we only accept what zlib reads.
ACCEPT_ENCODING = "gzip, deflate"
# Parsing a few kilobytes inline is cheaper than a thread hop.
INLINE_PARSE_BYTES = 64 * 1024


class TooLarge(NodeError):
    """The node's answer (after decompression) is over the configured limit."""


def _decompressor(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise ValueError(f"unsupported content-encoding {encoding!r}")


async def read_capped(response: httpx.Response, limit: int, name: str) -> bytes:
    """The response body, decoded, or :class:`TooLarge` as soon as it passes *limit*."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "")
    if not encoding and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"{name} node: answer too large")
    try:
        inflate = _decompressor(encoding)
    except ValueError as exc:
        raise NodeError(f"{name} node: bad answer") from exc
    body = bytearray()
    async for chunk in response.aiter_raw():
        if inflate is None:
            body += chunk
        else:
            # max_length bounds what one compressed chunk may expand to: a 64 KB
            # chunk of a bomb would otherwise become 64 MB before we could look.
            data = chunk
            while data and len(body) <= limit:
                try:
                    body += inflate.decompress(data, limit + 1 - len(body))
                except zlib.error as exc:
                    raise NodeError(f"{name} node: bad answer") from exc
                data = inflate.unconsumed_tail
        if len(body) > limit:
            raise TooLarge(f"{name} node: answer too large")
    return bytes(body)


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any] | None,
    *,
    name: str,
    limit: int,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST *body* as JSON (GET when it is None); the parsed answer. Every failure is a
    :class:`NodeError` whose text names only the chain (never the URL, which may carry
    an API key)."""
    sent = {**(headers or {}), "accept-encoding": ACCEPT_ENCODING}
    method = "GET" if body is None else "POST"
    try:
        async with client.stream(method, url, json=body, headers=sent) as response:
            response.raise_for_status()
            raw = await read_capped(response, limit, name)
    except httpx.HTTPError as exc:
        raise NodeError(f"{name}: {UNREACHABLE}") from exc
    try:
        if len(raw) <= INLINE_PARSE_BYTES:
            return json.loads(raw)
        return await asyncio.to_thread(json.loads, raw)
    except (ValueError, RecursionError) as exc:
        raise NodeError(f"{name} node: bad answer") from exc
