"""Multilingual knowledge base: articles, a persisted hybrid index, and search."""

from faq_kb.articles import Article, ArticleError, load_articles
from faq_kb.index import KBIndex, build_index, load_index
from faq_kb.search import Hit, HybridKnowledgeBase, KnowledgeBase

__all__ = [
    "Article",
    "ArticleError",
    "Hit",
    "HybridKnowledgeBase",
    "KBIndex",
    "KnowledgeBase",
    "build_index",
    "load_articles",
    "load_index",
]
