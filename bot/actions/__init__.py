"""Custom actions, served by ``rasa run actions --actions bot.actions``.

rasa-sdk imports every submodule and registers each ``Action`` it finds. The
knowledge base is loaded here, once, when the action server starts, and then follows
the versions published from the console; the form validators' spaCy pipelines and time
parser are built then too, not in a user's first form turn (bot/warm.py). Set
``BOT_PRELOAD_KB=0`` to skip all three, e.g. in unit tests that don't need them.
"""

import os

from common import logs

logs.install()  # before anything can log: node URLs and their keys stay out of it

from bot.actions.shared import knowledge_base  # noqa: E402
from bot.kb_follow import follow  # noqa: E402
from bot.nlu.pipelines import customise_jieba  # noqa: E402
from bot.warm import warm_up  # noqa: E402
from faq_kb.live import LiveKnowledgeBase  # noqa: E402

# jieba's dictionary is process-wide, so the knowledge base's Chinese queries are cut
# with the wallet words as well. Adding them at start, not when the first Chinese
# entity is extracted, keeps a query's tokens independent of the turns before it.
customise_jieba()

if os.environ.get("BOT_PRELOAD_KB", "1") != "0":
    warm_up()
    knowledge_base().search("warm up", k=1)
    served = knowledge_base()
    if isinstance(served, LiveKnowledgeBase):  # follow what the console publishes
        follow(served)
