"""One masking step for every log record of every process: secrets never reach a log.

:func:`install` wraps the log-record factory, so each record is masked when it is
made, before any handler sees it: handlers that uvicorn, Rasa or pytest add later
are covered as well as those present at start. Its message, its arguments and its
traceback (formatted first, then masked) lose

- the values of configured secrets (environment variables named like a token,
  secret, password or key, and the passwords, query values and long path parts of
  URLs in them: node URLs with API keys, ``DATABASE_URL``, ``REDIS_URL``),
- credential query parameters (``token=``, ``secret=``, ``signature=``, …),
- the whole query string of the paths that carry one (the console's and web chat's
  sockets, media links, WeChat's pushes), and Telegram bot tokens.

httpx and httpcore log every request URL at INFO (the Telegram bot token is in the
path), so they are held at WARNING as well.
"""

from __future__ import annotations

import json
import logging
import numbers
import os
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "***"
# Environment variables whose values are secrets, or URLs that may hold one.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|DSN|_URLS?$|ENDPOINTS?$", re.I)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>,]+", re.I)
# name=value pairs: the value goes when the name ends like a credential's (one pass,
# then a suffix check: an alternation tried at every position costs ten times more).
_PAIR = re.compile(r"([A-Za-z_]{3,30})=([^&\s\"'<>]+)")
_CREDENTIAL_NAMES = ("token", "secret", "signature", "sig", "key", "password", "passwd", "echostr")
_QUERIED_PATH = re.compile(
    r"(/(?:api/agent/ws|api/agent/media/[^\s?\"']*|webchat/ws|wechat))\?[^\s\"']*"
)
_BOT_TOKEN = re.compile(r"\b(bot)?\d{5,}:[A-Za-z0-9_-]{30,}")
_PATH_MASKED = rf"\1?{MASK}"
_BOT_MASKED = rf"\1{MASK}"  # an unmatched group is empty
_QUIET = ("httpx", "httpcore", "hpack", "telegram.ext.ExtBot")
_MIN_SECRET = 6  # shorter values would mask ordinary words


class Masker:
    """Replaces secret values and credential parameters in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        found = set(self.secrets) | {s for s in secrets if s and len(s) >= _MIN_SECRET}
        self.secrets = sorted(found, key=len, reverse=True)  # the longest first

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        # Each pattern needs its character: most log lines skip all three.
        if "?" in text:
            text = _QUERIED_PATH.sub(_PATH_MASKED, text)
        if "=" in text:
            text = _PAIR.sub(_credential, text)
        if ":" in text:
            text = _BOT_TOKEN.sub(_BOT_MASKED, text)
        return text


def _credential(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}={MASK}" if name.lower().endswith(_CREDENTIAL_NAMES) else match.group(0)


def url_secrets(value: str) -> list[str]:
    """The parts of the URLs in *value* that may be credentials."""
    found = []
    for url in _URL.findall(value):
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
        found += [v for _, v in parse_qsl(parts.query) if len(v) >= 8]
        # Providers put keys in the path: /v3/<key>, /v2/<key>.
        found += [p for p in parts.path.split("/") if len(p) >= 16 and not p.isalpha()]
    return found


def configured_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Secret values named by the environment or ``.env`` (where settings come from)."""
    found: list[str] = []
    if environ is None:
        environ = {**_dotenv(), **os.environ}
    for name, value in environ.items():
        if not value or not _SECRET_NAME.search(name):
            continue
        found += url_secrets(value)
        if name.upper().endswith(("_URL", "_URLS", "ENDPOINT", "ENDPOINTS")):
            with_values = _json_strings(value)
            found += [u for v in with_values for u in url_secrets(v)]
        elif name.upper().endswith("HEADERS"):  # {"tron": {"TRON-PRO-API-KEY": "…"}}
            found += [v for inner in _json_objects(value) for v in _json_strings(inner)]
            found.append(value)
        else:
            found.append(value)
    return found


def _dotenv() -> dict[str, str]:
    try:
        from dotenv import dotenv_values
    except ImportError:  # pydantic reads .env only with python-dotenv installed
        return {}

    from common.settings import ROOT

    path = ROOT / ".env"
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v}


def _json_strings(value: str) -> list[str]:
    try:
        data = json.loads(value)
    except ValueError:
        return []
    return [str(v) for v in data.values()] if isinstance(data, dict) else []


def _json_objects(value: str) -> list[str]:
    """The JSON objects inside a JSON object, each as JSON text."""
    try:
        data = json.loads(value)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [json.dumps(v) for v in data.values() if isinstance(v, dict)]


MASKER = Masker()


def _masked(value: Any) -> Any:
    """*value*, or its text masked when that holds a secret (the object itself is kept
    otherwise, so ``%d`` and ``%r`` still format it as before)."""
    if isinstance(value, str):
        masked = MASKER(value)
        return value if masked == value else masked
    if value is None or isinstance(value, numbers.Number):
        return value
    try:
        text = str(value)
    except Exception:  # a broken __str__ fails in the formatter as it would have
        return value
    masked = MASKER(text)
    return value if masked == text else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask *record* in place: message, arguments, traceback and stack (once)."""
    if getattr(record, "secrets_masked", False):
        return record
    record.secrets_masked = True
    if isinstance(record.msg, str):
        record.msg = MASKER(record.msg)
    else:
        record.msg = _masked(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {k: _masked(v) for k, v in record.args.items()}
    elif isinstance(record.args, tuple):
        # Element-wise: uvicorn's access formatter unpacks the arguments itself.
        record.args = tuple(_masked(a) for a in record.args)
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters use exc_text when it is set, so the raw traceback is never shown.
        record.exc_text = MASKER("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = MASKER(record.stack_info)
    return record


class SecretFilter(logging.Filter):
    """The same masking as a filter, for handlers configured by ``dictConfig``."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(MASKER("".join(traceback.format_exception(kind, value, tb))))


def install(extra: Iterable[str] = ()) -> None:
    """Mask every log record of this process from now on (idempotent)."""
    MASKER.add(configured_secrets())
    MASKER.add(extra)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "masks_secrets", False):

        def masked_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_record(factory(*args, **kwargs))

        masked_factory.masks_secrets = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(masked_factory)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())
    sys.excepthook = _excepthook
