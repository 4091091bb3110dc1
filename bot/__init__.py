"""The Rasa assistant: domain, rules, NLU components, custom actions and chain lookups.

Loaded by Rasa's own processes (the Rasa server runs ``bot.nlu``'s components, the
action server ``bot.actions``); nothing in the gateway imports it. It reads the
knowledge base (``faq_kb``) and, for ticket status, the desk's database (``store``);
its handoff payload (``common.payload``) is how it talks to the desk.
"""
