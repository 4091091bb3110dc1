"""Scam reports in user messages, and what an agent must never send.

Fake customer service is the most common wallet fraud: DMs from "support", a "fee to
unfreeze" funds, "verify your wallet" links, and repackaged APKs. See
../shared/docs/domain-notes.md.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。）)]+", re.IGNORECASE)
_SCAM = re.compile(
    "|".join(
        [
            # zh: "support asked me to pay a fee to unfreeze", "verify the wallet", fake agents
            r"(客服|官方|工作人员).{0,12}(手续费|保证金|解冻|验证|私信|加我|联系我|下载)",
            r"(交|付|缴|转).{0,6}(手续费|保证金).{0,8}(解冻|提现|激活)",
            r"(验证|激活|同步).{0,4}钱包",
            r"(冒充|假冒|骗子|诈骗)",
            # en
            r"(support|admin|agent|team|someone)\b.{0,30}\b(dm|dm'd|dmed|messaged|contacted|texted)",
            r"(verify|validate|sync|synchroni[sz]e|unlock|rectify)\s+(your|my|the)\s+wallet",
            r"(fee|deposit|tax)\s+to\s+(unfreeze|unlock|release|withdraw)",
            r"\bscam(mer|med)?\b|\bfake\s+(support|agent|app)\b",
            # es
            r"(soporte|agente|alguien).{0,30}(me escribi[óo]|me contact[óo]|mensaje privado)",
            r"(verificar|validar|sincronizar|desbloquear)\s+(tu|mi|la)\s+(billetera|cartera)",
            r"(comisi[óo]n|tarifa|dep[óo]sito).{0,20}(desbloquear|descongelar|liberar)",
            r"\bestafa(dor)?\b",
        ]
    ),
    re.IGNORECASE,
)
# An agent asking for what support must never ask for (zh, en, es).
_ASKS_FOR_SECRET = re.compile(
    "|".join(
        [
            r"(recovery|seed|secret|mnemonic)\s*(phrase|words)",
            r"private\s*key|keystore|\bsign(ature)?\b.{0,20}(message|this|here|transaction)",
            r"助记词|私钥|密钥|keystore|签名",
            r"frase\s+(de\s+)?(recuperaci[óo]n|semilla|secreta)|clave\s+privada|firma",
        ]
    ),
    re.IGNORECASE,
)
# Reassurance is allowed: "we will never ask for your recovery phrase".
_NEVER = re.compile(r"(never|don't|do not|绝不|不会|不要|nunca|no (te )?pediremos)", re.IGNORECASE)


def urls(text: str) -> list[str]:
    return _URL.findall(text)


def _host(url: str) -> str:
    host = urlparse(url if "://" in url else f"https://{url}").hostname or ""
    return host.lower().removeprefix("www.")


def official(url: str, domains: tuple[str, ...]) -> bool:
    host = _host(url)
    return any(host == d or host.endswith(f".{d}") for d in domains)


def unsafe_links(text: str, domains: tuple[str, ...]) -> list[str]:
    """Links off the official domains, and any APK, wherever it is hosted."""
    return [
        url
        for url in urls(text)
        if not official(url, domains) or urlparse(url).path.lower().endswith(".apk")
    ] + (["an .apk file"] if re.search(r"\.apk\b", text, re.IGNORECASE) and not urls(text) else [])


def reports_scam(text: str, domains: tuple[str, ...]) -> bool:
    return bool(_SCAM.search(text)) or bool(unsafe_links(text, domains))


def agent_violation(text: str, domains: tuple[str, ...]) -> str | None:
    """Why an agent's message must not go out, or None."""
    for sentence in re.split(r"(?<=[.!?。！？\n])", text):
        if _ASKS_FOR_SECRET.search(sentence) and not _NEVER.search(sentence):
            return "it asks for a recovery phrase, private key, keystore or signature"
    bad = unsafe_links(text, domains)
    if bad:
        return f"it links outside the official domains ({', '.join(bad[:3])})"
    return None
