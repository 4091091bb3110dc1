"""The stolen-funds case file as text: one line per finding, and the whole report.

The bot tells the user its findings with :func:`finding_line`; the console shows and
downloads :func:`render`, and an agent may send it to the user, for an exchange's or
the police's fraud team. Everything in it is public chain data: addresses, hashes,
times, amounts, and the block explorer's link for each transaction. The input is the
handoff payload's ``details`` (``forensic`` is a case file's ``as_dict()``, see
bot/chain/_case.py); a value that isn't the expected shape is left out, not guessed.
"""

from __future__ import annotations

from typing import Any

from common.language import Language
from common.settings import service_settings

_T: dict[str, dict[Language, str]] = {
    "owner_permission": {
        "en": "Owner permission changed: {keys} can control this address (threshold {threshold})",
        "zh": "所有者权限被修改：{keys} 可以控制这个地址（阈值 {threshold}）",
        "es": "Permiso de propietario cambiado: {keys} puede controlar esta dirección "
        "(umbral {threshold})",
    },
    "active_permission": {
        "en": "Active permission changed: {keys} can move funds (threshold {threshold})",
        "zh": "活跃权限被修改：{keys} 可以转走资产（阈值 {threshold}）",
        "es": "Permiso activo cambiado: {keys} puede mover fondos (umbral {threshold})",
    },
    "threshold": {
        "en": "Permission threshold raised to {threshold}: this address can no longer sign alone",
        "zh": "权限阈值被改为 {threshold}：这个地址自己已无法单独签名",
        "es": "Umbral de permiso subido a {threshold}: esta dirección ya no puede firmar sola",
    },
    "approval": {
        "en": "Approval: {counterparty} may spend {amount} {token} from this address{mark}",
        "zh": "授权：{counterparty} 可动用本地址的代币，额度：{amount} {token}{mark}",
        "es": "Aprobación: {counterparty} puede gastar {amount} {token} de esta dirección{mark}",
    },
    "outflow": {
        "en": "Sent {amount} {token} to {counterparty}",
        "zh": "转出 {amount} {token} 到 {counterparty}",
        "es": "Enviados {amount} {token} a {counterparty}",
    },
    "poisoning": {
        "en": "Look-alike address {counterparty} ({amount} {token}) imitates {lookalike_of}",
        "zh": "仿冒地址 {counterparty}（{amount} {token}）模仿 {lookalike_of}",
        "es": "Dirección imitadora {counterparty} ({amount} {token}) imita a {lookalike_of}",
    },
    # Two addresses the user typed (no chain read): which one they meant isn't known,
    # so neither is called the fake.
    "lookalike_pair": {
        "en": "The addresses {counterparty} and {lookalike_of} start and end with the same "
        "four characters, but they are different addresses",
        "zh": "地址 {counterparty} 和 {lookalike_of} 的前四位和后四位相同，但它们不是同一个地址",
        "es": "Las direcciones {counterparty} y {lookalike_of} empiezan y terminan con los "
        "mismos cuatro caracteres, pero son direcciones distintas",
    },
    "typed": {
        "en": "the addresses you typed",
        "zh": "您输入的地址",
        "es": "las direcciones que escribiste",
    },
    "unknown_spender": {
        "en": " (not a known app)",
        "zh": "（不是已知应用）",
        "es": " (no es una app conocida)",
    },
    "unlimited": {"en": "unlimited", "zh": "无限额", "es": "ilimitado"},
    "evidence": {"en": "evidence", "zh": "依据", "es": "prueba"},
    "title": {
        "en": "Case file: suspected theft",
        "zh": "案件记录：疑似被盗",
        "es": "Expediente: posible robo",
    },
    "address": {"en": "Address", "zh": "地址", "es": "Dirección"},
    "networks": {"en": "Networks checked", "zh": "已检查的网络", "es": "Redes revisadas"},
    "reported": {"en": "Reported time", "zh": "用户所述时间", "es": "Hora indicada"},
    "checked": {"en": "Checked at (UTC)", "zh": "检查时间（UTC）", "es": "Revisado (UTC)"},
    "window": {"en": "Data read", "zh": "读取范围", "es": "Datos leídos"},
    "findings": {"en": "Findings", "zh": "发现", "es": "Hallazgos"},
    "none": {
        "en": "Nothing suspicious was found in the data read.",
        "zh": "在读取的数据中没有发现可疑情况。",
        "es": "No se encontró nada sospechoso en los datos leídos.",
    },
    "partial": {
        "en": "Partial: these checks did not finish: {checks}. Nothing is inferred from them.",
        "zh": "不完整：以下检查没有完成：{checks}。未完成的部分不作任何推断。",
        "es": "Parcial: estas revisiones no terminaron: {checks}. No se deduce nada de ellas.",
    },
    "footer": {
        "en": "Generated from public blockchain data. It holds no recovery phrase, key "
        "or password.",
        "zh": "本记录来自公开的区块链数据，不包含任何助记词、私钥或密码。",
        "es": "Generado con datos públicos de la blockchain. No contiene frases de "
        "recuperación, claves ni contraseñas.",
    },
}
VERDICTS: dict[str, dict[Language, str]] = {
    "compromised": {
        "en": "COMPROMISED: someone else can move funds",
        "zh": "已被控制：他人可以转走资产",
        "es": "COMPROMETIDA: otra persona puede mover los fondos",
    },
    "suspicious": {
        "en": "Suspicious: signs of a scam",
        "zh": "可疑：有诈骗迹象",
        "es": "Sospechoso: señales de estafa",
    },
    "clean": {
        "en": "Nothing suspicious found",
        "zh": "未发现可疑情况",
        "es": "No se encontró nada sospechoso",
    },
    "incomplete": {
        "en": "Could not be fully checked",
        "zh": "未能完整检查",
        "es": "No se pudo revisar por completo",
    },
    "unchecked": {
        "en": "Not checked (no node configured for this network)",
        "zh": "未检查（该网络未配置节点）",
        "es": "Sin revisar (no hay nodo para esta red)",
    },
}
MAX_LINES = 25  # a chat message stays readable; the agent's download is the same file


def _text(key: str, language: Language) -> str:
    return _T[key][language]


def explorer(chain: str, tx_hash: str) -> str | None:
    template = service_settings().explorer_tx_urls.get(chain)
    if not template:
        return None
    return template.format(tx=tx_hash.removeprefix("0x") if chain == "tron" else tx_hash)


def finding_line(finding: dict[str, Any], language: Language) -> str:
    """One finding in plain words, with its evidence (the tx, or the permission read)."""
    kind = str(finding.get("kind"))
    keys = ", ".join(str(k) for k in finding.get("keys") or [])
    if kind.endswith("_permission") and not keys:
        kind = "threshold"
    if kind not in _T:
        return ""
    amount = str(finding.get("amount") or "?")
    mark = ""
    if kind == "approval":
        amount = _text("unlimited", language) if amount == "unlimited" else amount
        mark = "" if finding.get("allowlisted") else _text("unknown_spender", language)
    line = _T[kind][language].format(
        keys=keys,
        threshold=finding.get("threshold") or 1,
        counterparty=finding.get("counterparty") or "?",
        amount=amount,
        token=finding.get("token") or "",
        lookalike_of=finding.get("lookalike_of") or "?",
        mark=mark,
    )
    when = f" · {finding['time'].replace('+00:00', 'Z')}" if finding.get("time") else ""
    seen = _text("typed", language) if kind == "lookalike_pair" else finding.get("evidence")
    evidence = f"{_text('evidence', language)}: {seen}"
    link = (
        explorer(str(finding.get("chain")), str(finding["tx_hash"]))
        if finding.get("tx_hash")
        else None
    )
    return f"{line}{when} ({evidence}{' · ' + link if link else ''})"


def unfinished(case: dict[str, Any]) -> list[str]:
    checks = case.get("checks") if isinstance(case.get("checks"), dict) else {}
    return [f"{name} ({state})" for name, state in (checks or {}).items() if state != "done"]


def render(details: dict[str, Any], language: Language = "en") -> str:
    """The whole case file, in Markdown (plain text reads the same)."""
    case = details.get("forensic") if isinstance(details.get("forensic"), dict) else {}
    case = case or {}
    verdict = str(case.get("verdict") or "unchecked")
    address = case.get("address") or details.get("affected_address") or "?"
    networks = ", ".join(case.get("chains") or []) or details.get("chain") or "?"
    time = details.get("transfer_time") if isinstance(details.get("transfer_time"), dict) else {}
    lines = [
        f"# {_text('title', language)}",
        "",
        f"- {_text('address', language)}: {address}",
        f"- {_text('networks', language)}: {networks}",
        f"- {_text('reported', language)}: {(time or {}).get('raw') or '?'}",
        f"- {_text('checked', language)}: {case.get('checked_at') or '-'}",
        f"- {_text('window', language)}: {case.get('window') or '-'}",
        f"- {VERDICTS.get(verdict, VERDICTS['unchecked'])[language]}",
        "",
        f"## {_text('findings', language)}",
        "",
    ]
    findings = [f for f in case.get("findings") or [] if isinstance(f, dict)]
    shown = [finding_line(f, language) for f in findings][:MAX_LINES]
    lines += [f"{n}. {line}" for n, line in enumerate(filter(None, shown), 1)]
    if not findings and verdict != "unchecked":
        lines.append(_text("none", language))
    missing = unfinished(case)
    if missing:
        lines += ["", _text("partial", language).format(checks=", ".join(missing))]
    lines += ["", f"_{_text('footer', language)}_", ""]
    return "\n".join(lines)


def summary(case: dict[str, Any]) -> str:
    """The handoff summary's part (English, one line): the verdict, the serious
    findings with their evidence, and what wasn't checked."""
    verdict = str(case.get("verdict") or "unchecked")
    parts = [f"forensic {verdict.upper()} for {case.get('address')}"]
    serious = [
        f for f in case.get("findings") or [] if isinstance(f, dict) and f.get("severity") != "info"
    ]
    for finding in serious[:4]:
        parts.append(f"{finding.get('kind')}: {finding.get('evidence')}")
    missing = unfinished(case)
    if missing:
        parts.append(f"partial: {', '.join(missing)}")
    return " | ".join(parts)
