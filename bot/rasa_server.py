"""``python -m bot.rasa_server ARGS``: the ``rasa`` command, with fixes applied.

The turn-length fixes (``bot.event_types``, ``bot.history``, ``bot.action_payload``; the
tracker store ``bot.tracker_cache`` is named in the endpoints files) keep most of a turn's cost
from growing with the conversation. And:

Rasa 3.6 checks the action-response JSON schema *itself* against the
meta-schema on every custom-action call (``jsonschema.validate``). py-spy put
that at 66% of the Rasa server's CPU on an FAQ turn (docs/benchmarks.md). The
responses are still validated against the same schema; the schema is just
checked once.

The server parses one message per language (bot/warm.py's ``SAMPLES``) once its model
is loaded and before it accepts connections: the first parse of each language builds
its spaCy pipeline and warms the featurizers (2.0 s for Chinese), which a user's first
turn would otherwise wait for.
"""

from __future__ import annotations

import logging
import sys
import time
from functools import lru_cache, wraps
from typing import Any

import jsonschema
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.shared.constants import DOCS_BASE_URL

from bot import action_payload, event_types, history
from bot.warm import SAMPLES
from common import logs

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
    except jsonschema.ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. See {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


async def warm(agent: Agent) -> float:
    """Parse :data:`SAMPLES` (NLU only: no tracker, no action); the seconds it took."""
    started = time.monotonic()
    if agent.is_ready():
        for text in SAMPLES:
            await agent.parse_message(text)
    return time.monotonic() - started


def _warm_after_load(load: Any) -> Any:
    @wraps(load)
    async def load_then_warm(*args: Any, **kwargs: Any) -> Agent:
        agent = await load(*args, **kwargs)
        log.info("NLU warmed up in %.1f s", await warm(agent))
        return agent

    return load_then_warm


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    if not hasattr(rasa.core.run.load_agent_on_start, "__wrapped__"):
        # Sanic runs it before the server starts listening: no turn waits for a build.
        rasa.core.run.load_agent_on_start = _warm_after_load(rasa.core.run.load_agent_on_start)
    event_types.install()
    history.install()
    action_payload.install()


def main() -> None:
    logs.install()  # Rasa's own handlers are added later: masking is per record
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
