"""What the router takes in: a user message as the guard leaves it, before it is stored."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from common.language import DEFAULT_LANGUAGE, Language, detect_language, normalise_language
from common.messages import InboundMessage
from common.phones import Masked
from guard import Verdict

if TYPE_CHECKING:
    from gateway.router import Router


def guarded(
    router: Router, message: InboundMessage
) -> tuple[InboundMessage, Language, Verdict, Masked]:
    """The message as the guard leaves it, its language, the guard's verdict, and its
    call-back numbers (held once it is stored: ``Callbacks.keep``)."""
    guard, inbox, callbacks = router.guard, router.inbox, router.answers.callbacks
    # The guard first: past this line the original text exists nowhere, only the
    # redacted one is stored, logged, sent to Rasa or shown to an agent.
    conversation = message.conversation_id
    verdict = guard.inspect(
        conversation,
        message.text,
        hash_expected=lambda: inbox.asked_for_hash(conversation),
    )
    title = guard.scrub(message.title) if message.title else None
    file = message.attachment
    if file is not None:  # a file named with a phrase or a key is a leak too
        named = guard.check_name(file.name)
        file = replace(file, name=named.text)
        verdict.secrets = sorted({*verdict.secrets, *named.secrets})
    # Then call-back numbers: only their last four digits go on (handoff.callbacks).
    numbers = callbacks.mask(conversation, verdict.text)
    message = replace(message, text=numbers.text, title=title, attachment=file)
    language = normalise_language(message.language) or detect_language(message.text)
    return message, language or DEFAULT_LANGUAGE, verdict, numbers
