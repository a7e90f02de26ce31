"""The small shared kit every domain package uses: cleaning text, dates, Markdown (rendered and
visible text), the topics and audiences, keyset pagination."""

from content.kit.dates import STATS_TZ, as_utc
from content.kit.installation import claim_redis, installation_id
from content.kit.markdown import (
    PARAGRAPH,
    ImageSource,
    Visible,
    image_refs,
    render,
    resolve_images,
    visible_plain,
    visible_text,
)
from content.kit.pagination import Mark, cut, page_by_id, page_by_time
from content.kit.taxonomy import (
    AUDIENCES,
    TOPICS,
    add_discipline,
    check_disciplines,
    check_slugs,
    delete_discipline,
    list_audiences,
    list_disciplines,
    list_topics,
)
from content.kit.text import clean_text, is_blank, remove_ignorables

__all__ = [
    "AUDIENCES",
    "PARAGRAPH",
    "STATS_TZ",
    "TOPICS",
    "ImageSource",
    "Mark",
    "Visible",
    "add_discipline",
    "as_utc",
    "check_disciplines",
    "check_slugs",
    "claim_redis",
    "clean_text",
    "cut",
    "delete_discipline",
    "image_refs",
    "installation_id",
    "is_blank",
    "list_audiences",
    "list_disciplines",
    "list_topics",
    "page_by_id",
    "page_by_time",
    "remove_ignorables",
    "render",
    "resolve_images",
    "visible_plain",
    "visible_text",
]
