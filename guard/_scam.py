"""Scam reports in user messages, and what an agent must never send.

Fake customer service is the most common wallet fraud: DMs from "support", a "fee to
unfreeze" funds, "verify your wallet" links, and repackaged APKs. See
../shared/docs/domain-notes.md.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。）)]+", re.IGNORECASE)
# A bare domain ("acme-wallet.cc/app"): Telegram and WeChat make these links too.
_BARE_DOMAIN = re.compile(
    r"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|io|xyz|cc|app|top|vip|site|online|info|me|co|cn|ru|tk|link|club|"
    r"pro|live|shop|store|finance|exchange|wallet|bond|support|help)(?:/[^\s<>\"']*)?(?![\w.])",
    re.IGNORECASE,
)

# What gives a scam away, by kind (zh, en, es alike). Asking *about* these ("how do I
# tell a fake agent?", "do you ever DM users?") is an ordinary question, so each
# signal needs the act itself: someone contacted the user, asked for money to
# release funds, asked to "verify" the wallet off the app, or sent an app.
_ME = r"(me|my|我|mi|mis)"
SIGNALS: dict[str, re.Pattern[str]] = {
    # Someone claiming to be support reached out to the user on their own.
    "contacted": re.compile(
        r"(客服|官方|工作人员|技术支持|管理员|有人|一个人|自称|账号|蓝V).{0,20}"
        r"(私信我|私聊我|加我|联系我|给我打电话|打电话给我|发给我|给我发)|"
        r"(support|agent|admin|official|someone|somebody|a guy|account|manager)\b[^.?!]{0,40}\b"
        r"(dm'?d|dmed|messaged|contacted|texted|called|wrote to|reached out to|added)\s+me\b|"
        r"(soporte|agente|asesor|alguien|cuenta|oficial)\b[^.?!]{0,40}"
        r"(me escribi[óo]|me contact[óo]|me llam[óo]|me habl[óo]|me mand[óo] (un )?mensaje|"
        r"me agreg[óo]|me a[ñn]adi[óo])|"
        # "me llamó un supuesto asesor": the caller named after the call.
        r"\bme (escribi[óo]|contact[óo]|llam[óo]|habl[óo]|agreg[óo]|a[ñn]adi[óo])\b[^.?!]{0,12}"
        r"\bun(a)? (supuest[oa]|fals[oa]|tal) (asesor|agente|soporte|t[ée]cnico|empleado)",
        re.IGNORECASE,
    ),
    # Someone says they are support, staff or a technician of ours.
    "claims_to_be_support": re.compile(
        r"(自称|冒充|假装|说是|说自己是).{0,6}(官方|客服|工作人员|技术|员工|团队)|"
        r"\b(claim(s|ed|ing)?|pretend(s|ed|ing)?|says? (he|she|they) (is|are)|posing)\b"
        r"[^.?!]{0,30}\b(support|staff|team|agent|admin|technician|employee)\b|"
        r"(dice(ndo)?|dicen|afirma) (que )?(es|son|ser) (de )?(su |tu |el |la )?"
        r"(soporte|personal|t[ée]cnico|agente|equipo|empleado)|"
        r"(se hace pasar por|haci[ée]ndose pasar por)",
        re.IGNORECASE,
    ),
    # Money to release, unfreeze or activate what is already the user's.
    "fee_to_release": re.compile(
        r"(保证金|解冻费|税|押金|再转|先转|先付|先交).{0,24}"
        r"(解冻|解锁|解开|才能解|激活|提现|到账|领取|释放|取出)|手续费.{0,16}(解冻|解锁|激活|释放)|"
        r"(解冻|激活).{0,10}(手续费|保证金|费用|押金)|"
        # "要先交15%的保证金才能打到我钱包": a deposit or a percentage "tax" before payout.
        r"(保证金|押金|解冻费|\d+\s*%的?(税|手续费|服务费)).{0,12}(才能|才会|才给)|"
        # "客服让我交解冻费": the fee named as what was asked of the user, or paid.
        r"(让我|要我|叫我|要求我|逼我|催我).{0,8}(交|付|缴|转|打|充).{0,6}"
        r"(解冻费|解冻金|激活费|保证金|押金)|(交|付|缴|转)了.{0,4}(解冻费|解冻金|激活费)|"
        # "要付30U才能重新激活": an amount paid before the wallet works again.
        r"(付|交|转)\s*\d+\s*(u|usdt|个|块)?.{0,12}(才能|才可以|就能).{0,6}"
        r"(解冻|解锁|激活|恢复|提现|到账)|"
        r"\b(fee|deposit|tax|guarantee|pay|send)\b[^.?!]{0,40}\b"
        r"(to|before|so)\b[^.?!]{0,12}\b(unfreeze|unlock|release|(re-?)?activate|unblock)|"
        r"\b(unfreeze|unlock)\b[^.?!]{0,30}\bfor a fee\b|\bunfreez\w*\s+(fee|tax|deposit)\b|"
        r"\b(deposit|tax|guarantee)\b[^.?!]{0,30}\bto\s+withdraw\b|"
        r"(comisi[óo]n|tarifa|dep[óo]sito|deposit(e|a|ar|en)|garant[íi]a|impuesto|pag(ar|ue|o)|"
        r"mand(ar|e))"
        r"[^.?!]{0,40}(desbloquear|descongelar|liberar|activar)|"
        r"(desbloquear|descongelar|liberar)[^.?!]{0,30}por una comisi[óo]n|"
        # "to withdraw they said I must pay 20% tax first": the platform's demand named.
        r"\bwithdraw\w*\b[^.?!]{0,40}\b(said|told|asked|says|wants?|require[sd]?|demand\w*)\b"
        r"[^.?!]{0,30}\b(pay|deposit|send)\b[^.?!]{0,20}(\d+\s?%|\btax(es)?\b|\bdeposit\b|"
        r"\bguarantee\b)|"
        r"retir\w*[^.?!]{0,40}(dijeron|dijo|dicen|piden|pidieron|exigen|exigieron|obligan)"
        r"[^.?!]{0,30}(pagar|pague|depositar|deposite)[^.?!]{0,20}(\d+\s?%|impuesto|"
        r"dep[óo]sito|garant[íi]a)",
        re.IGNORECASE,
    ),
    # "Verify", "sync" or "connect" the wallet somewhere, or type the phrase or key there.
    "verify_wallet": re.compile(
        r"(验证|同步|连接|激活|授权).{0,4}钱包|钱包.{0,6}(验证|同步)|"
        r"(网站|网页|链接|页面).{0,12}(输入|填写|提交).{0,6}(助记词|私钥)|"
        r"\b(verify|validate|sync|synchroni[sz]e|connect|rectify)\b[^.?!]{0,12}\b(your|my|the)\s+wallet\b|"
        r"\b(enter|type|paste|submit|put)\b[^.?!]{0,30}"
        r"\b(seed|recovery|secret)\s*(phrase|words)\b[^.?!]{0,40}"
        r"\b(site|website|link|page|form|verify)|"
        r"\b(enter|type|paste|put)\b[^.?!]{0,20}\bprivate key\b[^.?!]{0,30}"
        r"\b(site|website|link|page|form)|"
        r"(verificar|validar|sincronizar|conectar)[^.?!]{0,12}(tu|mi|la)\s+(billetera|cartera|wallet)|"
        r"(pon(er|ga)|ingres(ar|e)|introduc(ir|e)|escrib(ir|a))[^.?!]{0,30}"
        r"(frase|clave privada)[^.?!]{0,40}"
        r"(web|p[áa]gina|enlace|sitio|verificar|formulario|activar)|"
        r"\b(enter|type|paste|put|fill)\b[^.?!]{0,30}\b(phrase|private key)\b[^.?!]{0,30}"
        r"\b(form|activate)|"
        r"(表单|表格|问卷).{0,10}(助记词|私钥)|(助记词|私钥).{0,10}(表单|表格|问卷)",
        re.IGNORECASE,
    ),
    # An app from someone: an APK, a "new version" by link, remote-control software.
    "sent_app": re.compile(
        r"\.apk\b|apk\s*(文件|安装包)|(发|给).{0,16}(apk|安装包)|"
        r"\b(sent|gave|shared|forwarded|dm'?d)\s+me\b[^.?!]{0,30}\b(apk|installer)\b|"
        r"\b(sent|gave|shared|forwarded)\s+me\b[^.?!]{0,30}\blink\b[^.?!]{0,40}"
        r"\b(new|pro|premium|updated|latest)\s+version\b|"
        r"\bme (mandaron|mand[óo]|enviaron|envi[óo]|pasaron|pas[óo])\b[^.?!]{0,40}"
        r"\b(link|enlace|apk)\b[^.?!]{0,40}(descarg|instal|versi[óo]n)|"
        r"\bme (mandaron|mand[óo]|enviaron|envi[óo]|pasaron|pas[óo])\b[^.?!]{0,12}\bapk\b|"
        r"让我.{0,6}(卸载|换成|下载|安装).{0,12}(App|应用|软件|版本|安装包|钱包)|"
        r"\b(wants?|told|asked|asks|telling)\s+me\s+to\s+(download|install|replace|switch)\b"
        r"[^.?!]{0,30}\b(app|installer|version|wallet)|"
        r"quiere[n]? que (descargue|instale|cambie|baje)[^.?!]{0,30}"
        r"(app|instalador|versi[óo]n|billetera)|"
        r"(me pidi[óo]|me dijo) que (descargue|instale|desinstale|baje)|"
        r"anydesk|teamviewer|向日葵|远程(控制|协助|帮我)|"
        r"\b(remote(ly)? (access|control|desktop))\b|"
        r"(control remoto|a distancia)",
        re.IGNORECASE,
    ),
    # Someone asked the user for the phrase or a key ("they asked for my 12 words"):
    # only the asking done, not a question about whether we ever ask ("客服会问我要助记词吗").
    "asked_for_secret": re.compile(
        r"(?<!会)(?<!不)(让我|要我|叫我|要求我|问我要|找我要|跟我要|向我要|索要|管我要).{0,12}"
        r"(助记词|私钥|密钥|keystore|(12|24|十二|二十四)个?(单)?词|种子)|"
        r"\b(someone|somebody|they|he|she|support|agent|admin|guy|staff|person|service|"
        r"account|manager|technician|scammer)\b[^.?!]{0,40}\b(asked|asking|requested|"
        r"requesting|demanded|wants|wanted)\b[^.?!]{0,20}\b(my|the|our|for)\b[^.?!]{0,12}"
        r"\b(words|seed|(recovery|secret|seed) phrase|phrase|private key|keystore|mnemonic)\b|"
        r"\b(was|been|got|being) asked (for|to (send|give|share|enter|type))\b[^.?!]{0,20}"
        r"\b(words|seed|phrase|private key|keystore|mnemonic)\b|"
        r"\bme (pidi[óo]|pidieron|est[áa]n? pidiendo|exigi[óo]|exigieron|solicit[óo]|"
        r"solicitaron)\b[^.?!]{0,30}(frase|clave privada|palabras|semilla|keystore|mnem[óo]nic)|"
        r"quiere[n]? (mi|que le (d[ée]|env[íi]e|pase|mande|escriba))[^.?!]{0,20}"
        r"(frase|clave privada|palabras|semilla)",
        re.IGNORECASE,
    ),
    # A prize that needs the wallet connected first.
    "airdrop": re.compile(
        r"(空投|中奖).{0,20}(连接|验证|授权|领取)|"
        r"\b(airdrop|giveaway|prize)\b[^.?!]{0,50}\b(connect|validate|verify|claim)|"
        r"(airdrop|premio|sorteo)[^.?!]{0,50}(conectar|validar|verificar|reclamar)",
        re.IGNORECASE,
    ),
}


# The wallet app itself asks for the phrase when a wallet is imported or restored.
_EXCUSED = {
    "asked_for_secret": re.compile(
        r"\b(the|your|this|my) (app|wallet)\b[^.?!]{0,20}\b(asked|asks|wants|requested)\b|"
        r"\bimport(ing|ed)?\b|(la|tu|tus|esta|mi) (app|aplicaci[óo]n|billetera)[^.?!]{0,15}"
        r"(me pidi|pide|solicit)|\bal (importar|reinstalar|restaurar)|\bimport(ar|ando|[ée])\b|"
        r"导入|(重装|重新安装|App|APP|app|应用)[^，。？！,.?!]{0,12}(让我|要我|要求)",
        re.IGNORECASE,
    ),
}


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


def off_site_domains(text: str, domains: tuple[str, ...]) -> list[str]:
    """Bare domains ("acme-wallet.cc") off the official ones."""
    linked = " ".join(urls(text))
    return [
        found
        for found in (m.group(0) for m in _BARE_DOMAIN.finditer(text))
        if found not in linked and not official(found, domains)
    ]


def scam_signals(text: str, domains: tuple[str, ...]) -> list[str]:
    """Which signs of a scam *text* reports (empty: none)."""
    found = [
        name
        for name, pattern in SIGNALS.items()
        if pattern.search(text) and not (name in _EXCUSED and _EXCUSED[name].search(text))
    ]
    if unsafe_links(text, domains) or off_site_domains(text, domains):
        found.append("link")
    return found


def reports_scam(text: str, domains: tuple[str, ...]) -> bool:
    return bool(scam_signals(text, domains))
