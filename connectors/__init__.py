"""Protocol adapters, one package per chat service: ``webchat``, ``telegram``, ``wechat``.

A channel turns its platform's deliveries into :class:`common.messages.InboundMessage`
and hands them to the gateway's router (:class:`MessageRouter`); it sends replies
through the :class:`common.channel.Connector` it registers. Each has a ``mount``
that the gateway calls with a :class:`ChannelHost`; Telegram and WeChat mount
nothing until they are configured.
"""

from connectors._host import ChannelHost, MessageRouter, Runner, Turn

__all__ = ["ChannelHost", "MessageRouter", "Runner", "Turn"]
