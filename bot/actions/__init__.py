"""Custom actions, served by ``rasa run actions --actions bot.actions``.

rasa-sdk imports every submodule and registers each ``Action`` it finds. The
knowledge base is loaded here, once, when the action server starts (set
``BOT_PRELOAD_KB=0`` to skip that, e.g. in unit tests that don't need it).
"""

import os

from bot.actions.shared import knowledge_base

if os.environ.get("BOT_PRELOAD_KB", "1") != "0":
    knowledge_base().search("warm up", k=1)
