"""Search results: feed cards with a snippet."""

from __future__ import annotations

from pydantic import Field

from api.schemas.feed import CardOut


class SearchHitOut(CardOut):
    snippet: str = Field(
        description="a stretch of the text around the first matched word, as HTML in which "
        "only <em>…</em> marks the matched words and everything else is escaped (show it with "
        "rich-text as it is); cuts are shown with …",
    )
