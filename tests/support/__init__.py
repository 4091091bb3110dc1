"""What the tests share that is not a fake of a remote service (those are in
:mod:`tests.fakes`).

    waiting     wait_until / wait_until_async: poll a condition, fail loudly on timeout
    processes   start a server subprocess and wait until it answers (one helper for all)
    model       the trained Rasa model (``python -m bot.train``), found in one place
    services    PostgreSQL and Redis: reachability, fresh databases and schemas
    servers     Rasa, the action server and a gateway for end-to-end tests
    cluster     several gateways and Rasa servers over PostgreSQL and Redis, and nginx
    clients     web chat pages and agent consoles that behave like the real ones
    gateway     the gateway in-process, with Rasa faked
    scale       queries and reports of the multi-process tests
    randomness  seeded random generators (the seed is printed in pytest's header)
    schema      the desk's tables and columns as the models declare them
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
