"""WeChat Official Account settings (env prefix ``WECHAT_``): off until configured."""

from __future__ import annotations

from pydantic import BaseSettings, SecretStr


class WeChatSettings(BaseSettings):
    app_id: str = ""
    app_secret: SecretStr = SecretStr("")
    token: SecretStr = SecretStr("")  # the server-configuration Token (signature check)
    # Set for safe mode (安全模式, AES); empty for plain mode.
    encoding_aes_key: SecretStr = SecretStr("")
    # Refuse plain (unencrypted, unsigned) bodies. Unset: on when an AES key is set.
    require_aes: bool | None = None
    # A push whose timestamp is further than this from our clock is refused, and
    # (signature, nonce) pairs are remembered this long to refuse replays.
    replay_window_seconds: int = 300
    api_base: str = "https://api.weixin.qq.com"
    # WeChat waits 5 s for a passive reply, counted from when it sent the request;
    # this long after the request arrived we answer "success" and send the reply as
    # a customer-service message instead. The margin covers the network both ways.
    reply_deadline_seconds: float = 3.5
    # Bot turns in flight at once from WeChat; more wait, and are answered "success"
    # at the deadline. Unbounded, a burst keeps the event loop too busy to answer
    # anyone in time (100 at once: none inside 5 s).
    concurrent_turns: int = 8
    window_hours: int = 48  # customer-service messages only within this after the user wrote
    window_quota: int = 5  # … and at most this many of them
    send_retries: int = 3
    retry_seconds: float = 0.5
    # Menu CLICK keys → what the bot is told (a Rasa intent payload or words).
    menu: dict[str, str] = {"HUMAN": "/request_human", "FAQ": "/greet"}

    class Config:
        env_prefix = "WECHAT_"
        env_file = ".env"
        extra = "ignore"

    @property
    def aes_required(self) -> bool:
        if self.require_aes is not None:
            return self.require_aes
        return bool(self.encoding_aes_key.get_secret_value())

    @property
    def configured(self) -> bool:
        return bool(self.app_id or self.token.get_secret_value())

    def missing(self) -> list[str]:
        needed = {
            "WECHAT_APP_ID": self.app_id,
            "WECHAT_APP_SECRET": self.app_secret.get_secret_value(),
            "WECHAT_TOKEN": self.token.get_secret_value(),
        }
        missing = [name for name, value in needed.items() if not value]
        key = self.encoding_aes_key.get_secret_value()
        if key and len(key) != 43:
            missing.append("a valid WECHAT_ENCODING_AES_KEY (43 characters)")
        if self.aes_required and not key:
            missing.append("WECHAT_ENCODING_AES_KEY (WECHAT_REQUIRE_AES is on)")
        return missing
