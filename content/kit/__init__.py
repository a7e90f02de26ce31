"""The small shared kit every domain package uses: cleaning text, dates, Markdown (rendered and
visible text), the topics and audiences, keyset pagination."""

from content.kit.dates import as_utc
from content.kit.markdown import PARAGRAPH, Visible, render, visible_plain, visible_text
from content.kit.pagination import Mark, cut, page_by_id, page_by_time
from content.kit.taxonomy import AUDIENCES, TOPICS, check_slugs, list_audiences, list_topics
from content.kit.text import clean_text, is_blank, remove_ignorables

__all__ = [
    "AUDIENCES",
    "PARAGRAPH",
    "TOPICS",
    "Mark",
    "Visible",
    "as_utc",
    "check_slugs",
    "clean_text",
    "cut",
    "is_blank",
    "list_audiences",
    "list_topics",
    "page_by_id",
    "page_by_time",
    "remove_ignorables",
    "render",
    "visible_plain",
    "visible_text",
]
