"""Live events for open pages and consoles: an in-process hub, bridged across gateway
processes over Redis, and a WebSocket stream per client.

Every event is about rows already committed, so a client that misses one catches
up from the database (a ``resync`` event tells it to).
"""

from events.fanout import RedisFanout
from events.hub import DESK, RESYNC, Bridge, Event, EventHub, chat_topic
from events.stream import first_message_token, refuse, stream_events

__all__ = [
    "DESK",
    "RESYNC",
    "Bridge",
    "Event",
    "EventHub",
    "RedisFanout",
    "chat_topic",
    "first_message_token",
    "refuse",
    "stream_events",
]
