"""Issue 17, item 3: a recovery phrase sent two or three words at a time, alternately
through the two gateways, leaves no word of any piece in Rasa's tracker store (the
SQL tracker on the cluster's PostgreSQL, shared by both Rasa servers). Every event of
the conversation is read, whole, and searched for every word of every piece."""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any

import httpx
import pytest

from tests.support import cluster as c
from tests.support.clients import Visitor, client
from tests.support.cluster import Running
from tests.support.randomness import recovery_phrase, seeded
from tests.support.scale import database

pytestmark = pytest.mark.e2e

_WORD = re.compile(r"\w+")


def tracker_events(url: str, conversation: str) -> list[str]:
    """Every event Rasa stored for *conversation*, as the JSON text it stored."""
    found = c.rows(url, "SELECT data FROM events WHERE sender_id = :s ORDER BY id", s=conversation)
    return [str(row[0]) for row in found]


def words_in(events: list[str]) -> set[str]:
    return {w.lower() for event in events for w in _WORD.findall(event)}


def pieces(words: list[str]) -> list[str]:
    """Two words, then three, then two…, as a user copying a phrase a few at a time."""
    out: list[str] = []
    k = 0
    while k < len(words):
        size = 2 + len(out) % 2
        out.append(" ".join(words[k : k + size]))
        k += size
    return out


def phrase_avoiding(rng: random.Random, bits: int, seen: set[str]) -> list[str]:
    """A random phrase none of whose words the tracker already holds (the bot's greeting,
    the event's own keys): any of its words found there later came from a piece."""
    while True:
        words = recovery_phrase(rng, bits=bits).split()
        if not seen & set(words):
            return words


async def _visitor(http: httpx.AsyncClient, urls: list[str]) -> Visitor:
    visitor = Visitor(urls, 0)
    opened = await http.post(f"{urls[0]}/webchat/api/visitors", json={"language": "en"})
    opened.raise_for_status()
    visitor.user_id, visitor.token = opened.json()["user_id"], opened.json()["token"]
    return visitor


def test_no_word_of_a_phrase_sent_in_pieces_across_two_gateways_reaches_rasas_tracker(
    running: Running,
) -> None:
    group, gateways, _ = running
    url = database(group)
    rng = seeded("fragment-tracker")
    urls = [g.url for g in gateways]

    async def run() -> list[dict[str, Any]]:
        sent = []
        async with client() as http:
            for bits in (128, 256):  # 12 and 24 words
                visitor = await _visitor(http, urls)
                # An ordinary message first: the conversation's tracker exists and is read.
                await visitor.say(http, "how do I back up my wallet")
                before = tracker_events(url, visitor.conversation)
                words = phrase_avoiding(rng, bits, words_in(before))
                replies = []
                for n, piece in enumerate(pieces(words)):
                    visitor.home = n % 2  # alternately, as a load balancer would
                    result = await visitor.say(http, piece)
                    replies.append(" ".join(r["text"] or "" for r in result["replies"]))
                sent.append(
                    {"visitor": visitor, "words": words, "before": before, "replies": replies}
                )
        return sent

    for conversation in asyncio.run(run()):
        visitor, words = conversation["visitor"], conversation["words"]
        events = tracker_events(url, visitor.conversation)
        leaked = sorted(set(words) & words_in(events))
        assert not leaked, (len(words), leaked)
        said = [json.loads(e).get("text") for e in events if json.loads(e)["event"] == "user"]
        assert said == ["how do I back up my wallet"], said  # the ordinary one got through
        # Each piece was answered: the piece warning, or the phrase's once it added up.
        for reply in conversation["replies"]:
            assert "part of a recovery phrase" in reply or "Stop" in reply, reply
        assert any("Stop" in reply for reply in conversation["replies"])
