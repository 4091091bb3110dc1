"""Stolen funds / a compromised account: the form's answers, the chain checks
(bot/chain's :class:`Forensics`), what they mean in plain words, and the handoff.

Every finding is told with its evidence (the transaction or the permission read). A
hijacked permission or a drainer's approval goes to a human at once, urgent; anything
else is said as it is (nothing suspicious, or only partly checked) and a human is
offered. Without a node for the network the details still reach a human.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.chain import chain_name
from bot.actions.faq import offer_human
from bot.actions.forms import ValidateMissingTransferForm, _unanswered, _unknown
from bot.actions.handoff import hand_off
from bot.actions.poisoning import run_checks, since
from bot.actions.shared import language_of
from bot.chain import CaseFile, ChainSettings
from bot.validation import UNKNOWN, address_family, check_address
from common.casefile import finding_line, unfinished
from common.language import Language
from common.payload import HandoffReason

# Suspicious because of a limited approval to an unknown app (an unlimited one is a
# takeover, told by utter_forensic_compromised, which gives the same page).
_REVOKE: dict[Language, str] = {
    "en": "An app I don't recognise can still spend the tokens shown above from this "
    "address. If you don't know it, revoke that approval yourself on the authorisations "
    "page of the wallet app ({approvals_url}); it's a setting. Support will never ask you "
    "to sign anything: anyone who asks you to sign or pay to fix this is a scammer.",
    "zh": "一个我不认识的应用仍然可以动用这个地址里上面列出的代币。如果您不认识它，请在钱包App的"
    "授权管理页面（{approvals_url}）自己撤销这个授权，这只是一个设置。客服绝不会让您签名任何"
    "东西，让您签名或付费来“修复”的都是骗子。",
    "es": "Una app que no reconozco todavía puede gastar los tokens indicados arriba desde esta "
    "dirección. Si no la conoces, revoca tú mismo esa aprobación en la página de "
    "autorizaciones de la app ({approvals_url}); es un ajuste. Soporte nunca te pedirá que "
    "firmes nada: quien te pida firmar o pagar para arreglarlo es un estafador.",
}
_ADVICE = {
    "compromised": "utter_forensic_compromised",
    "suspicious": "utter_forensic_poisoning",
    "clean": "utter_forensic_clean",
    "incomplete": "utter_forensic_incomplete",
}


class ValidateStolenFundsForm(ValidateMissingTransferForm):
    """The network (as in the missing-transfer form), the robbed address, the time."""

    def name(self) -> str:
        return "validate_stolen_funds_form"

    async def validate_affected_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"affected_address": None}
        if _unknown(value, tracker):
            return {"affected_address": UNKNOWN}
        chain = tracker.get_slot("chain")
        check = check_address(str(value), None if chain in (None, UNKNOWN) else chain)
        if check.value is None:
            dispatcher.utter_message(response="utter_invalid_address", expected=check.expected)
            return {"affected_address": None}
        slots: dict[str, Any] = {"affected_address": check.value}
        if chain in (None, UNKNOWN) and address_family(check.value) == "tron":
            slots["chain"] = "tron"  # a T… address says which network it is
        return slots


def tell(dispatcher: CollectingDispatcher, case: CaseFile, tracker: Tracker) -> None:
    """The findings with their evidence, what the verdict means, what to do."""
    language = language_of(tracker)
    data = case.as_dict()
    lines = [finding_line(f, language) for f in data["findings"]]
    shown = "\n".join(f"• {line}" for line in lines[:8] if line)
    if len(lines) > 8:
        shown += f"\n• … (+{len(lines) - 8})"
    networks = " / ".join(chain_name(c) for c in case.chains)
    if shown:
        dispatcher.utter_message(response="utter_forensic_findings", findings=shown)
    approvals_url = ChainSettings().approvals_url
    warned = {f.kind for f in case.findings if f.severity == "warning"}
    if case.verdict != "suspicious" or warned & {"poisoning", "lookalike_pair"}:
        dispatcher.utter_message(
            response=_ADVICE.get(case.verdict, "utter_forensic_incomplete"),
            networks=networks,
            approvals_url=approvals_url,
        )
    if case.verdict == "suspicious" and "approval" in warned:
        # An open allowance to an app we don't know: revoke it, in the wallet, by oneself.
        dispatcher.utter_message(text=_REVOKE[language].format(approvals_url=approvals_url))
    if case.partial and case.verdict != "incomplete":
        missing = ", ".join(unfinished(data))
        dispatcher.utter_message(response="utter_forensic_partial", checks=missing)


class ActionForensicCheck(Action):
    """After the stolen-funds form."""

    def name(self) -> str:
        return "action_forensic_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        address = tracker.get_slot("affected_address")
        chain = tracker.get_slot("chain")
        chain = None if chain in (None, UNKNOWN) else str(chain)
        reason: list[EventType] = [SlotSet("handoff_reason", HandoffReason.STOLEN_FUNDS.value)]
        if tracker.get_slot("to_address") == address:  # an address in a form answer fills both
            reason.append(SlotSet("to_address", None))
            tracker.slots["to_address"] = None
        case = None
        if address not in (None, UNKNOWN):
            case = await run_checks(str(address), chain, since(tracker))
        if case is None:  # nothing we can read from here: the details go to a human
            dispatcher.utter_message(
                response="utter_forensic_cannot_check", chain_name=chain_name(chain)
            )
            tracker.slots["handoff_reason"] = HandoffReason.STOLEN_FUNDS.value
            return [*reason, *hand_off(dispatcher, tracker)]
        tell(dispatcher, case, tracker)
        kept = [*reason, SlotSet("forensic", case.as_dict())]
        if case.verdict == "compromised":
            tracker.slots["forensic"] = case.as_dict()
            tracker.slots["handoff_reason"] = HandoffReason.STOLEN_FUNDS.value
            return [*kept, *hand_off(dispatcher, tracker)]
        return [*kept, *offer_human(dispatcher, HandoffReason.STOLEN_FUNDS)]
