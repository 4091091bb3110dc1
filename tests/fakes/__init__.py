"""Local stand-ins for the remote services the project talks to, one module each.

    server    the HTTP server they all run on (a thread, a free port on loopback)
    telegram  the Telegram Bot API (api.telegram.org) and real-format updates
    wechat    the WeChat Official Account API (api.weixin.qq.com) and signed XML pushes
    chain     an EVM JSON-RPC node and a TRON full node, with hand-written transactions
              (chain_cases: the lookup's defects; chain_forensic: the stolen-funds accounts
              and a TronGrid-style indexer)
    rasa      Rasa's REST channel, as an ``httpx.MockTransport`` handler

Each records what it was asked, and can fail on purpose.
"""
