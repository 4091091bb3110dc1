"""Rasa's REST channel as a client, with a short timeout and one clear failure type."""

from __future__ import annotations

from typing import Any

import httpx

from connectors._message import InboundMessage, OutboundMessage


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer usefully in time."""


class RasaClient:
    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        actions_url: str | None = None,
    ) -> None:
        self._endpoint = f"{url.rstrip('/')}/webhooks/rest/webhook"
        self._actions_health = f"{actions_url.rstrip('/')}/health" if actions_url else None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def actions_down(self) -> bool:
        """Whether the action server fails its health check (asked only after a fallback)."""
        if self._actions_health is None:
            return False
        try:
            response = await self._client.get(self._actions_health, timeout=2.0)
        except httpx.HTTPError:
            return True
        return response.status_code != 200

    async def send(self, message: InboundMessage) -> list[OutboundMessage]:
        body: dict[str, Any] = {
            "sender": message.conversation_id,
            "message": message.text,
            "metadata": {
                **message.metadata,
                "channel": message.channel,
                **({"language": message.language} if message.language else {}),
            },
        }
        try:
            response = await self._client.post(self._endpoint, json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa did not answer: {exc!r}") from exc
        if not isinstance(replies, list):
            raise RasaUnavailable(f"Rasa answered with {type(replies).__name__}, not a list")
        return [OutboundMessage.from_rasa(r) for r in replies if isinstance(r, dict)]

    async def close(self) -> None:
        await self._client.aclose()
