import pytest
from pydantic import ValidationError

from common.payload import HANDOFF_KEY, HandoffPayload, HandoffReason


def test_payload_round_trips_through_a_custom_message() -> None:
    payload = HandoffPayload(
        conversation_id="u1",
        reason=HandoffReason.DISPUTE,
        priority="high",
        language="es",
        sla_hours=24,
        details={"amount": "100 USDT", "transfer_time": {"raw": "ayer", "parsed": "2026-11-22"}},
        summary="dispute; amount=100 USDT",
    )
    message = payload.as_message()
    assert set(message) == {HANDOFF_KEY}
    assert message[HANDOFF_KEY]["reason"] == "dispute"
    parsed = HandoffPayload.from_message(message)
    assert parsed == payload
    assert parsed.details.transfer_time is not None
    assert parsed.details.transfer_time.raw == "ayer"


@pytest.mark.parametrize(
    "change", [{"language": "fr"}, {"reason": "bored"}, {"priority": "whenever"}, {"summary": None}]
)
def test_invalid_payloads_are_rejected(change: dict[str, object]) -> None:
    body = {"conversation_id": "u1", "reason": "complaint", "language": "zh", "summary": "s"}
    with pytest.raises(ValidationError):
        HandoffPayload.parse_obj({**body, **change})
