"""Word tables for the agent-ask check, per language (zh, en, es).

Every entry is a regular-expression fragment over *folded* text (``_fold.fold``:
lower case, no accents, disguises undone). Keep them here, as data, so that adding a
word is a one-line change that the labelled sets (``guard/eval``) then judge.
"""

from __future__ import annotations

from typing import Final

_NOT_ABOUT_IT = (
    r"(?!\s*(reset|error|screen|page|field|hint|rules?|requirements?|prompt|change|"
    r"strength|is\s+(wrong|incorrect)))"
)
# What support must never ask for, by kind. Order matters only for the reason shown.
SECRETS: Final[dict[str, dict[str, list[str]]]] = {
    "recovery phrase": {
        "en": [
            r"\b(secret\s*)?(recovery|seed|secret|backup|mnemonic|wallet|restore|master|"
            r"security)[\s_-]*(phrase|words?|sentence)s?",
            r"\bseeds?\b",
            r"\bseedphrase",
            r"\bmnemonics?\b",
            r"\bpass\s*phrase",
            r"\b(your|ur|yr|wallet'?s?)\s+phrase\b",
            r"\b(the|that|this)\s+phrase\b(?!\s*[\"“'])",
            r"\b(send|give|tell|type|enter|paste|share)\s+(me\s+|us\s+)?(the|those|all)\s+"
            r"(\d+\s+)?words\b",
            r"\b(12|24|15|18|21|twelve|twenty[\s-]*four|fifteen|eighteen)[\s-]*"
            r"(secret\s+|recovery\s+|backup\s+|seed\s+|magic\s+|special\s+)?words?\b",
            r"\b(your|ur|yr)\s+(\d+\s+)?words\b",
            r"\bwords\s+(you|u)\s+(wrote|saved|backed|got|noted|copied)",
            r"\bwords\s+(of|from|in|on)\s+(your|the|ur)\s+(backup|wallet|phrase|seed|recovery)",
            r"\b(paper|card|sheet|note|notebook)\s+(where|with|on which|that has)\s+"
            r"(you\s+)?(wrote|written|your\s+(words|phrase|seed))",
            r"\bbackup\s+(screen|page|paper|card|sheet)",
        ],
        "es": [
            r"\bfrases?\s*(de\s*)?(recuperacion|semilla|secreta|respaldo|seguridad|mnemonica|"
            r"restauracion|clave)",
            r"\b(tu|su|la|esa|esta)\s+frase\b",
            r"\bsemillas?\b",
            r"\bpalabras?\s*(de\s*)?(recuperacion|semilla|secretas?|clave|respaldo|seguridad|"
            r"magicas)",
            r"\b(12|24|15|18|21|doce|veinticuatro|quince|dieciocho)\s*palabras",
            r"\b(tus|sus)\s+(\d+\s+)?palabras\b(?!\s+propias)",
            r"\bmnemo(nic|tecnic)[oa]s?\b",
        ],
        "zh": [
            r"[助住注主][记计纪己迹][词辞字码句]|助记|zhu\s*ji\s*ci|\bzjc\b",
            r"种子(词|短语|密语|单词|文字)|恢复(短语|词|密语)|备份(词|短语)|密语|钱包口令",
            r"(12|24|15|18|21|十二|二十四|十五|十八|二十一)\s*(个|位)?\s*(英文|中文)?"
            r"(单词|单字|词语|词|字|汉字)",
        ],
    },
    "private key": {
        "en": [r"\b(private|priv|secret|wif)[\s_-]*keys?\b", r"\bprivkey"],
        "es": [r"\b(clave|llave)s?\s*(privada|secreta)s?"],
        "zh": [r"私[钥匙玥]|秘钥|密钥|私人密钥|私\s*key|\bsi\s*yao\b"],
    },
    "keystore file": {
        "en": [
            r"\bkey\s*store",
            r"\butc--",
            r"\bwallet\.dat\b",
            r"\b(wallet|backup|json|key)\s+files?\b",
        ],
        "es": [
            r"\b(archivo|fichero)s?\s*(keystore|json|de\s+respaldo|del\s+monedero|de\s+la\s+"
            r"(billetera|cartera))"
        ],
        "zh": [r"keystore|钱包文件|json\s*文件|备份文件"],
    },
    "password": {
        # Not the password's screens or errors ("a screenshot of the password error").
        "en": [
            r"\b(wallet|app|account|login|payment|transaction|your|ur|the)\s+"
            r"(password|passcode|pin(\s*code)?)\b" + _NOT_ABOUT_IT,
            r"\b(passwords?|passcode)\b" + _NOT_ABOUT_IT,
        ],
        "es": [
            r"\bcontrasenas?\b(?!\s+(incorrecta|equivocada))(?!\s+de\s+(error|pantalla))",
            r"\b(tu|su)\s+(clave|pin)\b",
            r"\bclave\s+de\s+acceso",
        ],
        "zh": [r"(密码|口令)(?!错误|错了|不对|重置|提示|页面|界面|规则|强度)"],
    },
    "signature": {
        "en": [
            r"\bsign\s+(this|the\s+following|a|the)\s+(message|request|permit)\b",
            r"\bsignature",
        ],
        "es": [r"\bfirm(a|ar|e)\s+(este|el)\s+mensaje\b"],
        "zh": [r"签名"],
    },
}

# Verbs that hand something to the asker: the ask itself.
HAND_OVER: Final[dict[str, str]] = {
    "en": r"\b(send|sent|share|give|gave|provide|tell|show|forward|dm|pm|submit|upload|attach|"
    r"reply|respond|post|drop|hand\s+over|disclose|reveal|spell|dictate|read\s+(out|me|us)|"
    r"confirm|verify|validate|message|text|whatsapp|email|photo|picture|pic|screenshot|"
    r"screen\s*shot|image|scan)(s|ed|d|ing|en)?\b|"
    r"\blet\s+(me|us)\s+(see|have|know)\b|"
    r"\bwhat\s*('?s|\s+is|\s+are|\s+were)\s+(your|ur|the)\b|\bwhich\s+(are|were)\s+(your|the)\b",
    "es": r"\b(envi|mand|compart|proporcion|facilit|indic|mostr|muestr|ensen|comunic|reenvi|"
    r"adjunt|confirm|verific|valid|dict|revel|entreg)\w*|\b(dame|danos|damelo|damela|deme|denos|"
    r"demelo|dime|dimelo|digame|diganos|diga|pasame|pasamelo|pase|pasa|pasalo|sube|suba|subela|"
    r"lee|leeme|lea)\b|\bcuales?\s+(es|son|eran)\b",
    "zh": r"发(?!生|现|展|布|行|票|出警告)|给我|给我们|提供|告诉|告知|说一下|说出|报一下|报给|"
    r"念|读一下|私信|私聊|分享|上传|"
    r"传给|传一下|提交|交出|透露|出示|展示|核对|验证|确认|是什么|是多少|是哪些|哪几个|截图|截屏|"
    r"拍照|拍一下|拍给|照片|图片",
}
# Verbs that put something somewhere: an ask when "somewhere" is ours or a link.
PUT_IN: Final[dict[str, str]] = {
    "en": r"\b(type|enter|input|paste|copy|copie|fill|write|wrote|written|key\s+in|import|insert|"
    r"put|list|connect|sync|link)(s|ed|d|ing|ting)?\b",
    "es": r"\b(escrib|ingres|introduc|peg|copi|rellen|complet|llen|import|pon|ponga|coloc|"
    r"conect|sincroniz|vincul)\w*",
    "zh": r"输入|填写|填入|填到|填一下|粘贴|复制|导入|录入|写在|写到|写一下|打在|打出|"
    r"连接|同步|绑定",
}
# Where putting it is an ask: here, to us, a form or site, or "to verify/unlock".
BAD_PLACE: Final[dict[str, str]] = {
    "en": r"\b(here|below|above|this\s+chat|the\s+chat|to\s+(me|us)|form|link|site|website|"
    r"page|dapp|portal|bot|verif\w*|validat\w*|unfreez\w*|unlock\w*|activat\w*|authenticat\w*|"
    r"sync\w*|rectif\w*|whitelist\w*|claim\w*|recover\s+(your\s+)?funds)\b",
    "es": r"\b(aqui|abajo|este\s+chat|el\s+chat|formulario|enlace|link|pagina|sitio|web|portal|"
    r"verific\w*|valid\w*|desbloque\w*|descongel\w*|activ\w*|sincroniz\w*|recuperar\s+"
    r"(tus|sus)\s+fondos)\b",
    "zh": r"这里|这儿|下面|下方|聊天|对话框|窗口|表单|表格|链接|网址|网站|网页|页面|验证|激活|解冻|"
    r"同步|核实|认证|白名单|领取|找回资产",
}
# Where putting it is safe advice: the user's own app, re-importing or restoring.
OWN_APP: Final[dict[str, str]] = {
    "en": r"\b(the|our|your)\s+(\w+\s+)?(app|application|wallet\s+app|device|phone)\b|"
    r"\b(import|re-?import|restore|recover)(s|ed|ing|y)?\b|\bon\s+paper\b",
    "es": r"\b(la|tu|su|nuestra)\s+(app|aplicacion|dispositivo|telefono|movil)\b|"
    r"\b(import|restaur|recuper)\w*",
    "zh": r"(在|到|用)\s*(app|应用|钱包|手机|设备|官方app)|导入|恢复钱包|恢复|纸上",
}
# Someone else is the one who asks: a warning, not an ask ("anyone who asks is a scammer").
OTHERS_ASK: Final[dict[str, str]] = {
    "en": r"\b(anyone|anybody|someone|somebody|whoever|people|scammers?|fraudsters?|"
    r"impostors?|imposters?|fake\s+(agents?|support|staff)|unsafe|dangerous|risky|insecure|a\s+(site|website|link|person|"
    r"stranger)|if\s+(you\s+are|you're)\s+asked)\b|\bthe\s+app\s+(will\s+|may\s+|would\s+)?"
    r"(ask|prompt|show|display)|\bscam\b|\bphishing\b|\bfraud",
    "es": r"\b(cualquiera|alguien|quien|quienes|estafadores?|impostores?|desconocidos?|"
    r"si\s+te\s+piden)\b|\b(la\s+app|la\s+aplicacion)\s+te\s+(pedira|mostrara)|\bestafa|\bfraude",
    "zh": r"任何人|任何|有人|谁|骗子|诈骗|假客服|冒充|陌生人|别人|他人|第三方|钓鱼|app会|应用会",
}
# "Did you share it?", "do you still have it?": a question about the past or about
# having it, which support must ask to diagnose a theft.
ASKS_ABOUT: Final[dict[str, str]] = {
    "en": r"\b(did|have|had|has)\s+(you|u|anyone|anybody|someone|somebody)\b|"
    r"\bdo\s+(you|u)\s+(still\s+)?(have|remember|know|keep)\b|\bwere\s+you\s+asked\b|"
    r"\b(is|are)\s+(your|the)\b[^,]{0,30}\b(safe|secure|written|backed|stored|lost|stolen|"
    r"leaked|exposed|compromised)\b",
    "es": r"\b(compartiste|diste|introdujiste|ingresaste|escribiste|enviaste|mandaste|pegaste|"
    r"guardaste|anotaste|perdiste|tienes(?!\s+que)|conservas|recuerdas)\b|\bhas\s+(compartido|dado|"
    r"introducido|ingresado|escrito|enviado|mandado|perdido|guardado|anotado)\b|"
    r"\b(alguien\s+te\s+pidio|te\s+pidieron)\b",
    "zh": r"有没有|是否|是不是|曾经|之前|以前|还记得|还在吗|还有吗|有备份|备份了|"
    r"[给发填输说]过(?![来去])|"
    r"泄露了|丢了|还有.{0,10}吗|还在.{0,10}吗",
}
# A negation that governs an ask: "we will never ask for", "nunca te pediremos",
# "我们绝不会索要", "never share", "no one will ask", "should never be shared".
_ASK_VERBS_EN = (
    r"(ask|request|need|require|want|share|send|give|provide|tell|show|type|enter|input|"
    r"paste|reveal|disclose|dm|message|contact|store|save|screenshot|photograph|upload|"
    r"write|keep|let|hand|post|email)"
)
NEGATION: Final[dict[str, str]] = {
    "en": r"\b(never|not|no\s+one|nobody|noone|no\s+(\w+\s+)?(agent|staff|employee|member|"
    r"admin|one|support|team|company|person|legitimate|official|real))\b"
    r"(\W+\w+){0,6}?\W+" + _ASK_VERBS_EN + r"|n't\b(\W+\w+){0,4}?\W+" + _ASK_VERBS_EN + r"|"
    r"\b(should|must|will|would|is|are|can|need\s+to)\s+(never|not|n't)\s+(ever\s+)?(be\s+)?"
    r"(shared|sent|given|asked|requested|needed|required|typed|entered|disclosed|revealed|"
    r"shown|stored)|\b(is|are)\s+never\s+(needed|required|requested|asked)",
    "es": r"\b(nunca|jamas|no|nadie|ningun\w*|tampoco|ni)\b(\W+\w+){0,5}?\W+(te\s+|le\s+|les\s+"
    r"|se\s+|lo\s+|la\s+)?(pid|pedi|pedir|solicit|compart|envi|mand|da|de|des|escrib|introduc|"
    r"ingres|necesit|requer|requier|revel|muestr|mostr|pas|entreg|guard|fotograf|capt)\w*",
    "zh": r"(不会|绝不|决不|绝对不|永远不|从不|从来不|从未|不要|不能|不可|不得|不应|不该|不需要|"
    r"无需|不用|切勿|请勿|千万别|千万不要|别|勿|禁止|没有人|任何人都不|不允许|都不)"
    r".{0,10}?(索要|索取|要求|询问|问|要|需要|发|给|提供|透露|泄露|告诉|分享|输入|填|截图|拍照|"
    r"上传|存|保存|说)|不需要|无需|不必|用不着",
}
# Phrases with a negation that isn't one ("don't worry", "never mind") or that
# turns a refusal into a push ("why don't you", "can't you just"): neutralised first.
IDIOMS: Final[dict[str, str]] = {
    "en": r"\b(don'?t|do\s+not|no\s+need\s+to)\s+(worry|panic|be\s+(afraid|scared|worried)|"
    r"stress|fret)\b|\bnever\s*mind\b|\bno\s+(worries|problem|prob|stress|big\s+deal)\b|"
    r"\bnot\s+a\s+(problem|scam|big\s+deal|fraud)\b|\bnot\s+to\s+worry\b|\bno\s+rush\b|"
    r"\bdon'?t\s+(forget|hesitate)(\s+to)?\b|\bwhy\s+(don'?t|not)\b|\b(can'?t|couldn'?t|"
    r"won'?t|wouldn'?t)\s+you\b|\bnothing\s+to\s+worry\b|\bnot\s+(just\s+)?yet\b",
    "es": r"\bno\s+(te\s+|se\s+)?(preocupes|preocupe|preocupen|asustes|alarmes)\b|"
    r"\bno\s+pasa\s+nada\b|\bno\s+hay\s+(problema|cuidado|prisa)\b|\bsin\s+problema\b|"
    r"\bno\s+es\s+(una\s+)?(estafa|fraude|problema)\b|\bno\s+(te\s+)?olvides(\s+de)?\b|"
    r"\bno\s+dudes(\s+en)?\b|\bpor\s+que\s+no\b|\bno\s+(puedes|podrias)\b|\bnada\s+de\s+que\b",
    "zh": r"不用担心|别担心|不要担心|无需担心|不必担心|放心|别怕|不要怕|没关系|没事|没问题|别着急|"
    r"不要着急|不着急|别忘了|不要忘了|不要忘记|别忘记|别犹豫|不要犹豫|为什么不|何不|干嘛不|"
    r"不是骗子|不是诈骗|不是骗局|不客气|不好意思|不然",
}
# Strong pushes that no negation or warning excuses.
OVERRIDE: Final[dict[str, str]] = {
    "en": r"\b(except|but|other\s+than|apart\s+from)\s+(me|us|our\s+\w+)\b|\bunless\b|"
    r"\b(i|we)\s+(can'?t|cannot|can\s+not|won'?t\s+be\s+able\s+to|are\s+unable\s+to|"
    r"am\s+unable\s+to)\b.{0,40}\b(without|unless|until)\b|\bonly\s+(me|us)\b",
    "es": r"\b(excepto|salvo|menos)\s+(a\s+)?(mi|nosotros|este\s+chat)\b|\ba\s+menos\s+que\b|"
    r"\bno\s+(podemos|puedo|podre|podremos)\b.{0,40}\bsin\b|\bsolo\s+(a\s+)?(mi|nosotros)\b",
    "zh": r"除了我|除了客服|除了我们|只告诉我|只发给我|除非|(我们|我)(无法|不能|没法|没办法).{0,20}"
    r"(没有|除非|否则)|没有.{0,12}(我们|我)(无法|不能|没法|没办法)",
}
# Words that make a bare mention an ask: to me, please, just, a question mark.
NUDGE: Final[dict[str, str]] = {
    "en": r"\b(please|pls|plz|kindly|asap|now|quickly|urgent\w*)\b|"
    r"\b(just|only)\s+(your|ur|the)\b|\b(to|with)\s+"
    r"(me|us)\b|\?",
    "es": r"\bpor\s+favor\b|\b(ya|ahora|urgente|rapido)\b|"
    r"\b(solo|solamente)\s+(tu|tus|su|sus|la|las)\b|\?",
    "zh": r"请|麻烦|劳烦|快|赶紧|马上|立即|只要|只需|给我|发我|[?？]|吗$",
}
# The asker says they need it: as strong as a hand-over verb, whatever else is said.
WE_NEED: Final[dict[str, str]] = {
    "en": r"\b(i|we)(\s+will|\s+would|'ll|'d|\s+still)?\s+(need|require|want|must\s+have)\b|"
    r"\b(i|we)('m|\s+am|\s+are|'re)?\s+(ask|request)(ing)?\b|\bneed\s+you\s+to\b",
    "es": r"\b(necesito|necesitamos|necesitaremos|necesitaria|requerimos|requiero|quiero|"
    r"queremos)\b|\b(te|le|les)\s+(pido|pedimos|solicito|solicitamos)\b",
    "zh": r"索要|索取|要你的|要您的|我需要|我们需要|需要你|需要您",
}
# Advice about keeping it safe: "keep your phrase offline", "guarda tu frase".
ADVICE: Final[dict[str, str]] = {
    "en": r"\b(keep|store|protect|safeguard|back\s*up|write\s+(it\s+|them\s+)?down|memori[sz]e|"
    r"secure|hide|lose|lost|forgot|forget)\w*\b|\boffline\b",
    "es": r"\b(guard|proteg|anot|apunt|conserv|escribela|escribelas|respald|perd|olvid)\w*",
    "zh": r"保管|妥善|保存好|备份|抄写|抄下|写在纸|离线|安全|丢失|忘记|遗失",
}
# Nouns support may ask for: a pronoun after one of these isn't the secret any more.
HARMLESS: Final[dict[str, str]] = {
    "en": r"\b(tx|txid|hash|address|screenshot\s+of\s+the\s+(transfer|transaction|error)|"
    r"email|app\s+version|version|amount|time|chain|device|order)\b",
    "es": r"\b(hash|direccion|captura|correo|version|monto|importe|hora|red|dispositivo)\b",
    "zh": r"哈希|地址|交易|截图|邮箱|版本|金额|时间|链|设备|订单",
}
# "It", "them", "lo", "它": the object of a hand-over verb, when the noun came earlier.
PRONOUN: Final[dict[str, str]] = {
    "en": r"\b(it|them|those|these|that)\b",
    "es": r"\b(lo|la|los|las)\b|[a-z](me|nos|se)l[oa]s?\b",
    "zh": r"它|这些|那些|这个|那个|给我|发我",
}
