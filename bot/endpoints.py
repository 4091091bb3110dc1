"""``python -m bot.endpoints``: which Rasa endpoints file to use, as shell lines.

Operators configure two URLs, ``DATABASE_URL`` and ``REDIS_URL``. Rasa's endpoints
file wants host, port, database and user as separate values; this splits the
URLs into the variables ``endpoints.production.yml`` names. Without a PostgreSQL
URL the embedded profile (``endpoints.yml``: SQLite tracker, in-memory lock) is
chosen, which is right for one Rasa server only.
"""

from __future__ import annotations

import os
import shlex
from urllib.parse import unquote, urlsplit


def rasa_environment(database_url: str, redis_url: str) -> dict[str, str]:
    database = urlsplit(database_url)
    if not database.scheme.startswith("postgresql"):
        return {"RASA_ENDPOINTS": "endpoints.yml"}
    if not redis_url:
        raise SystemExit(
            "DATABASE_URL is PostgreSQL but REDIS_URL is empty: several Rasa servers "
            "need Redis's lock store to keep each conversation in order"
        )
    redis = urlsplit(redis_url)
    return {
        "RASA_ENDPOINTS": "endpoints.production.yml",
        "POSTGRES_HOST": database.hostname or "localhost",
        "POSTGRES_PORT": str(database.port or 5432),
        "POSTGRES_DB": database.path.lstrip("/") or "postgres",
        "POSTGRES_USER": unquote(database.username or ""),
        "POSTGRES_PASSWORD": unquote(database.password or ""),
        "REDIS_HOST": redis.hostname or "localhost",
        "REDIS_PORT": str(redis.port or 6379),
        "REDIS_DB": redis.path.lstrip("/") or "0",
        "REDIS_PASSWORD": unquote(redis.password or ""),
    }


def main() -> None:
    variables = rasa_environment(
        os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    )
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
