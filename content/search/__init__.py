"""Search: full text over published contents with Chinese word segmentation (jieba), ranked,
with snippets, on SQLite (FTS5) or PostgreSQL (tsvector), one interface (docs/search.md)."""

from content.search.index import index, rebuild, remove
from content.search.query import MAX_QUERY_CHARS, Hit, SearchPage, search
from content.search.text import SearchableText, media_lines, searchable_text
from content.search.words import index_words, query_words

__all__ = [
    "MAX_QUERY_CHARS",
    "Hit",
    "SearchPage",
    "SearchableText",
    "index",
    "index_words",
    "media_lines",
    "query_words",
    "rebuild",
    "remove",
    "search",
    "searchable_text",
]
