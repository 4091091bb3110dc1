"""Multilingual knowledge base: articles (``faq_kb.articles``), a persisted hybrid index
(``faq_kb.index``), and search (``faq_kb.search``).

Nothing is imported here: the index pulls in faiss and scikit-learn (seconds of CPU),
which ``make run``'s up-to-date checks and the desk's article handling don't need.
"""
