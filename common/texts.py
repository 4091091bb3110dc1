"""What the gateway itself tells users, in their language (the bot's own lines live in Rasa).

The desk's notices, the router's warnings and errors, and what each channel answers by
itself (Telegram's /help, WeChat's welcome): every user-facing sentence outside Rasa.
"""

from __future__ import annotations

from typing import Literal

Key = Literal[
    "queued",
    "ticket",
    "already_open",
    "joined",
    "resolved",
    "csat",
    "csat_thanks",
    "secret",
    "piece",
    "scam",
    "trouble",
    "too_long",
    "help",
    "welcome",
    "unsupported",
    "rate_limited",
    "handoff_limited",
    "too_large",
    "transferred",
    "reopened",
    "moved_up",
    "email_ticket",
    "email_article",
    "upload_too_large",
    "upload_bad_type",
    "upload_empty",
    "file_kept",
    "callback_booked",
]

_TEXTS: dict[str, dict[Key, str]] = {
    "zh": {
        "queued": "您已进入人工客服队列，当前排在第 {position} 位。客服接入后会直接在这里回复您，请稍候。",
        "ticket": "现在没有在线的人工客服（人工服务时间 {hours}，{timezone}）。我们已为您创建工单 {ticket}，"
        "会在 {sla_hours} 小时内在这里回复您。期间您可以继续向我提问，也可以随时问我“工单进度”。",
        "already_open": "您已有一个处理中的工单 {ticket}，新的信息已补充给客服，无需重复提交。",
        "joined": "人工客服 {agent} 已接入，正在查看您的问题。",
        "resolved": "客服已将此问题标记为已解决。如还有其他问题，可以直接问我。",
        "csat": "请为本次人工服务打分：1（很不满意）到 5（非常满意）。",
        "csat_thanks": "感谢您的评分！还有什么可以帮您？",
        "secret": "⚠️ 请立即停止：您刚才发送的内容像是{kind}，我们已将其删除，没有保存。客服绝不会索要助记词或私钥，任何拿到它的人都能转走您的资产。请立刻在可信的设备上创建新钱包，并把资产转过去。详见：{article}。人工客服会尽快跟进。",
        "piece": "⚠️ 您刚才发送的内容像是助记词的一部分，我们没有把它交给机器人处理。无论整段还是分几条，都不要把助记词或私钥发给任何人：客服绝不会索要，任何拿到它的人都能转走您的资产。如果您是想提问，请用完整的句子描述。",
        "scam": "⚠️ 请注意防骗：我们的客服绝不会私信您、收取“解冻手续费”、让您“验证钱包”或安装非官方 App。官方渠道只有：{channels}。请不要点击陌生链接，也不要向任何人提供助记词或私钥。如需人工帮助，请回复“转人工”。",
        "trouble": "抱歉，我们的系统暂时出了点问题。您的消息已保存，人工客服会接手这个对话。",
        "too_long": "消息太长了（最多 {limit} 个字符），请分几条发送。",
        "help": "我是钱包客服助手，可以直接用中文提问。\n/human 转人工客服\n/lang 切换语言\n"
        "请注意：客服绝不会向您索要助记词或私钥。",
        "welcome": "欢迎关注！我是钱包智能客服，可以直接用中文提问，例如“USDT没到账”“忘记密码”。"
        "需要人工请回复“转人工”。请注意：客服绝不会向您索要助记词或私钥。",
        "unsupported": "抱歉，目前只能处理文字和图片消息。请用文字描述您的问题，或发送截图。",
        "rate_limited": "请求太频繁了，请在 {seconds} 秒后再试。",
        "handoff_limited": "过去一小时内，您所在的网络已提交了太多转人工请求。请约 {minutes} 分钟后再试；在此期间我可以继续为您解答。",
        "too_large": "请求内容太大（最多 {limit} KB），请缩短后再发送。",
        "transferred": "您的问题已转给人工客服 {agent}，由他/她继续为您处理。",
        "reopened": "您的问题已重新打开，人工客服会继续跟进。之前的评分请求已撤回，无需评分。",
        "moved_up": "您在人工客服队列中前进了，现在排在第 {position} 位。",
        "email_ticket": "您好，我们已收到您的邮件，并为您创建了工单 {ticket}。客服会在 {sla_hours} 小时内回复这封邮件；"
        "补充信息请直接回复本邮件（请保留标题中的工单号）。请注意：客服绝不会索要助记词或私钥。",
        "email_article": "以下帮助文章可能已经解答了您的问题：\n\n{answer}",
        "upload_too_large": "文件太大（最多 {limit} MB），请压缩或截取需要的部分后再发送。",
        "upload_bad_type": "只能发送图片（PNG、JPEG、WebP）或 PDF 文件，这个文件不是这些格式之一。",
        "upload_empty": "这个文件是空的，请重新选择。",
        "file_kept": "已收到您的文件，会和您的问题一起交给处理的人工客服。如果还没有描述问题，请用文字告诉我发生了什么；需要人工请回复“转人工”。",
        "callback_booked": "已为您预约回电，工单号 {ticket}。客服会在 {slot}（{timezone}）拨打您尾号 {last4} 的电话。想改时间，再说一次“给我回电话”即可。客服绝不会在电话里索要助记词或私钥。",
    },
    "en": {
        "queued": "You're in the queue for a human agent, number {position} in line. "
        "The agent will reply right here, please stay with us.",
        "ticket": "No agent is online right now (agents work {hours}, {timezone}). "
        "I've opened ticket {ticket} for you, and we'll reply here within {sla_hours} hour{plural}. "
        "Meanwhile you can keep asking me questions, or ask me for the ticket's status.",
        "already_open": "You already have ticket {ticket} open. I've added this to it, "
        "so there's no need to submit it again.",
        "joined": "{agent} from our support team has joined and is looking at your case.",
        "resolved": "The agent has marked this case as resolved. "
        "If you need anything else, just ask me.",
        "csat": "How was the help you got? Rate it from 1 (very poor) to 5 (excellent).",
        "csat_thanks": "Thanks for your rating! Anything else I can help with?",
        "secret": "⚠️ Stop: what you just sent looks like a {kind}. We deleted it and did not store it. Support will never ask for it, and anyone who has it controls your funds. Create a new wallet on a trusted device now and move your assets to it. More: {article}. A member of our team will follow up.",
        "piece": "⚠️ That looks like part of a recovery phrase, so I haven't passed it on. Never send your recovery phrase or private key to anyone, whole or in pieces: support will never ask for it, and anyone who has it controls your funds. If you meant a question, please write it as a full sentence.",
        "scam": '⚠️ Beware of scams: our support never DMs you first, never charges a fee to unfreeze funds, never asks you to "verify" your wallet, and never sends apps outside our official channels: {channels}. Don\'t open unknown links, and never share your recovery phrase or private key. Reply "human" to reach our team.',
        "trouble": "Sorry, we're having trouble right now. Your message is saved, "
        "and a human agent will take over this conversation.",
        "too_long": "That message is too long (at most {limit} characters). "
        "Please send it in parts.",
        "help": "I'm the wallet support assistant: just ask your question.\n"
        "/human talk to an agent\n/lang change language\n"
        "Support will never ask for your recovery phrase or private key.",
        "welcome": "Welcome! I'm the wallet's support assistant: just ask, for example "
        '"my USDT hasn\'t arrived" or "I forgot my password". Reply "human" to reach an agent. '
        "Support will never ask for your recovery phrase or private key.",
        "unsupported": "Sorry, I can only read text and pictures for now. Please describe "
        "your problem in words, or send a screenshot.",
        "rate_limited": "You're sending requests too quickly. Please wait {seconds} seconds and try again.",
        "handoff_limited": "Too many requests for a human agent came from your network in the last hour. Please try again in about {minutes} minutes; meanwhile I can keep helping you here.",
        "too_large": "That request is too large (at most {limit} KB). Please send something shorter.",
        "transferred": "Another agent, {agent}, has taken over your case.",
        "reopened": "Your case has been reopened and an agent will follow up. "
        "The earlier rating question is withdrawn: no need to answer it.",
        "moved_up": "You've moved up in the queue: you're now number {position} in line.",
        "email_ticket": "Hello, we've received your email and opened ticket {ticket}. An agent will "
        "reply to this email within {sla_hours} hour{plural}; to add anything, just reply to it "
        "(keep the ticket number in the subject). Our staff never ask for your recovery "
        "phrase or private key.",
        "email_article": "This help article may already answer your question:\n\n{answer}",
        "upload_too_large": "That file is too large (at most {limit} MB). Please crop or compress it and send it again.",
        "upload_bad_type": "Only pictures (PNG, JPEG, WebP) and PDF files can be sent, and this file is none of those.",
        "upload_empty": "That file is empty. Please choose it again.",
        "file_kept": 'Got your file: the agent who handles your case will see it. If you haven\'t yet, tell me in words what happened, or reply "human" to reach an agent.',
        "callback_booked": "Your callback is booked: ticket {ticket}. An agent will call the number ending in {last4} on {slot} ({timezone}). To change it, ask me for a callback again. Our agents never ask for your recovery phrase or private key on the phone.",
    },
    "es": {
        "queued": "Estás en la cola para hablar con un agente, en el puesto {position}. "
        "El agente te responderá aquí mismo; no cierres el chat.",
        "ticket": "Ahora no hay agentes conectados (horario de agentes {hours}, {timezone}). "
        "He abierto el ticket {ticket} y te responderemos aquí en un máximo de {sla_hours} hora{plural}. "
        "Mientras tanto puedes seguir preguntándome, o pedirme el estado del ticket.",
        "already_open": "Ya tienes abierto el ticket {ticket}. He añadido esto al ticket, "
        "así que no hace falta enviarlo otra vez.",
        "joined": "{agent}, del equipo de soporte, se ha unido y está revisando tu caso.",
        "resolved": "El agente ha marcado este caso como resuelto. "
        "Si necesitas algo más, pregúntame.",
        "csat": "¿Qué tal te atendimos? Puntúa de 1 (muy mal) a 5 (excelente).",
        "csat_thanks": "¡Gracias por tu valoración! ¿Te ayudo con algo más?",
        "secret": "⚠️ Para: lo que acabas de enviar parece una {kind}. La hemos borrado y no la hemos guardado. Soporte nunca te la pedirá y quien la tenga controla tus fondos. Crea ahora una billetera nueva en un dispositivo de confianza y mueve tus activos a ella. Más: {article}. Alguien de nuestro equipo te contactará.",
        "piece": "⚠️ Eso parece parte de una frase de recuperación, así que no lo he procesado. Nunca envíes tu frase de recuperación ni tu clave privada a nadie, ni entera ni por partes: soporte nunca te la pedirá y quien la tenga controla tus fondos. Si querías hacer una pregunta, escríbela como una frase completa.",
        "scam": "⚠️ Cuidado con las estafas: nuestro soporte nunca te escribe primero por privado, nunca cobra comisiones para desbloquear fondos, nunca te pide «verificar» tu billetera ni envía apps fuera de los canales oficiales: {channels}. No abras enlaces desconocidos ni compartas tu frase de recuperación o clave privada. Responde «agente» para hablar con nuestro equipo.",
        "trouble": "Lo sentimos, tenemos un problema técnico. Tu mensaje está guardado "
        "y un agente se hará cargo de esta conversación.",
        "too_long": "El mensaje es demasiado largo (máximo {limit} caracteres). Envíalo en partes.",
        "help": "Soy el asistente de soporte: escribe tu pregunta.\n/human hablar con un agente\n"
        "/lang cambiar idioma\nSoporte nunca te pedirá tu frase de recuperación ni tu clave privada.",
        "welcome": "¡Bienvenido! Soy el asistente de soporte de la billetera: pregunta lo que "
        "quieras, por ejemplo «mis USDT no llegaron» u «olvidé mi contraseña». Responde "
        "«agente» para hablar con una persona. Soporte nunca te pedirá tu frase de "
        "recuperación ni tu clave privada.",
        "unsupported": "Lo siento, por ahora solo puedo leer texto e imágenes. Describe tu "
        "problema con palabras o envía una captura de pantalla.",
        "rate_limited": "Estás enviando solicitudes demasiado rápido. Espera {seconds} segundos y vuelve a intentarlo.",
        "handoff_limited": "Desde tu red se han pedido demasiados agentes en la última hora. Vuelve a intentarlo en unos {minutes} minutos; mientras tanto puedo seguir ayudándote aquí.",
        "too_large": "La solicitud es demasiado grande (máximo {limit} KB). Envía algo más corto.",
        "transferred": "Otro agente, {agent}, se ha hecho cargo de tu caso.",
        "reopened": "Tu caso se ha reabierto y un agente le dará seguimiento. "
        "Retiramos la pregunta de valoración anterior: no hace falta responderla.",
        "moved_up": "Has avanzado en la cola: ahora estás en el puesto {position}.",
        "email_ticket": "Hola, hemos recibido tu correo y abierto el ticket {ticket}. Un agente "
        "responderá a este correo en un plazo de {sla_hours} hora{plural_es}; para añadir algo, "
        "responde a este mismo correo (conserva el número de ticket en el asunto). Nuestro "
        "personal nunca te pedirá tu frase de recuperación ni tu clave privada.",
        "email_article": "Este artículo de ayuda puede responder ya a tu pregunta:\n\n{answer}",
        "upload_too_large": "El archivo es demasiado grande (máximo {limit} MB). Recórtalo o comprímelo y envíalo otra vez.",
        "upload_bad_type": "Solo se pueden enviar imágenes (PNG, JPEG, WebP) y archivos PDF, y este archivo no es ninguno de ellos.",
        "upload_empty": "El archivo está vacío. Elígelo otra vez.",
        "file_kept": "Recibí tu archivo: el agente que lleve tu caso lo verá. Si aún no lo has hecho, cuéntame con palabras qué pasó, o responde «agente» para hablar con una persona.",
        "callback_booked": "Tu llamada quedó agendada: ticket {ticket}. Un agente llamará al número terminado en {last4} el {slot} ({timezone}). Para cambiarla, vuelve a pedirme una llamada. Nuestros agentes nunca piden la frase de recuperación ni la clave privada por teléfono.",
    },
}

# Telegram's /lang: every language named in itself.
CHOOSE_LANGUAGE = "请选择语言 / Choose a language / Elige un idioma"

CSAT_BUTTONS = [{"title": "★" * n, "payload": str(n)} for n in range(1, 6)]


def text(language: str, key: Key, **values: object) -> str:
    if "sla_hours" in values:  # "within 1 hour" (a security case's), "within 48 hours"
        values.setdefault("plural", "" if values["sla_hours"] == 1 else "s")
        values.setdefault("plural_es", "" if values["sla_hours"] == 1 else "s")
    return _TEXTS.get(language, _TEXTS["en"])[key].format(**values)


SECRET_KINDS = {
    "zh": {"recovery phrase": "助记词", "private key": "私钥", "keystore": "Keystore 文件"},
    "en": {
        "recovery phrase": "recovery phrase",
        "private key": "private key",
        "keystore": "keystore file",
    },
    "es": {
        "recovery phrase": "frase de recuperación",
        "private key": "clave privada",
        "keystore": "archivo keystore",
    },
}
