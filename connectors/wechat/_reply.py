"""The passive reply's XML, built so that no reply text can break it.

wechatpy's ``TextReply.render`` puts text in ``<![CDATA[…]]>`` as it is: a ``]]>`` in
the text ends the section early, and control characters are not legal XML at all
(XML 1.0, section 2.2). WeChat then rejects the reply and shows the user
"该公众号暂时无法提供服务" while the desk believes it was delivered.

Passive replies: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

import re
import time

from wechatpy.crypto import WeChatCrypto

# Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE and U+FFFF).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """*text* without the characters an XML document may not contain."""
    return _ILLEGAL.sub("", text)


def cdata(text: str) -> str:
    """*text* as CDATA: a ``]]>`` inside is split across two sections."""
    return "<![CDATA[" + xml_safe(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: float | None = None) -> str:
    """A passive text reply (``to_user`` is the follower's openid)."""
    created = int(time.time() if now is None else now)
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def sealed(crypto: WeChatCrypto, reply: str, nonce: str, timestamp: str) -> str:
    """The reply in safe mode's envelope. *nonce* and *timestamp* were checked to be
    plain tokens (:mod:`connectors.wechat._push`), so the envelope's own CDATA holds."""
    return str(crypto.encrypt_message(reply, nonce, timestamp))
