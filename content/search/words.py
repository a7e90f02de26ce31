"""Chinese words with jieba (its Rust port, rjieba): a text as the words an index keeps, a
query as the words it asks for. Both sides read text the same way (NFKC: full-width letters and
digits as ASCII), and a "word" holds at least one letter or digit, so punctuation, symbols and
query syntax (`"`, `*`, `OR`, `NEAR(`…) never reach an engine as anything but literal words."""

from __future__ import annotations

import unicodedata

# Loads jieba's dictionary once, when this module is first imported (at start-up, before the
# event loop serves anyone: the app imports it through content/), never per request.
import rjieba

# A query's words are capped: more would only narrow an AND further, at a growing cost.
MAX_QUERY_WORDS = 16


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\x00", " ")


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def index_words(text: str) -> list[str]:
    """The words a document is found by: jieba's search mode, which adds the shorter words
    inside long ones (中华人民共和国 also gives 人民, 共和国), so a query for a part finds the
    whole."""
    return [w for w in rjieba.cut_for_search(_normal(text), True) if _is_word(w)]


def query_words(query: str) -> list[str]:
    """The distinct words of a query (jieba's precise mode), in order, at most
    ``MAX_QUERY_WORDS``; none for a query of punctuation or white space only."""
    found: dict[str, None] = {}
    for token in rjieba.cut(_normal(query), True):
        word = token.strip().casefold()
        if word and _is_word(word):
            found.setdefault(word, None)
    return list(found)[:MAX_QUERY_WORDS]
