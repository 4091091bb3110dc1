"""The end-to-end evaluation behind ``python -m bot.evaluate``."""
