"""Engagement: likes, favourites, shares and follows (rows with exact counters), views buffered
in Redis and flushed in batches, each counted once per person (docs/feeds.md), and the write
limits they share; the lists a person keeps (favourites, likes, whom they follow) and how
they show to others (name, avatar); comments and their replies, screened when posted
(docs/comments.md)."""

from content.engagement.comments import (
    COMMENT_CHARS,
    REPLIES_SHOWN,
    CommentOrder,
    CommentPage,
    Mine,
    Thread,
)
from content.engagement.comments import (
    decide as decide_comment,
)
from content.engagement.comments import (
    delete as delete_comment,
)
from content.engagement.comments import (
    like as like_comment,
)
from content.engagement.comments import (
    listed as comments_in_status,
)
from content.engagement.comments import (
    mine as my_comment_marks,
)
from content.engagement.comments import (
    page as comment_page,
)
from content.engagement.comments import (
    post as post_comment,
)
from content.engagement.comments import (
    replies as comment_replies,
)
from content.engagement.comments import (
    set_enabled as set_comments_enabled,
)
from content.engagement.counters import (
    apply_batch,
    claim_batches,
    read_batch,
    record_view,
    release_batch,
)
from content.engagement.erasure import erase_engagement
from content.engagement.limits import Limits, check_comment_rate, check_rate
from content.engagement.lists import Followed, creator_contents, following, reacted
from content.engagement.profiles import NAME_CHARS, ProfileChange, update_profile
from content.engagement.reactions import follow, mine, published, react
from content.engagement.shares import record_share
from content.engagement.views import Report, ViewEvent

__all__ = [
    "COMMENT_CHARS",
    "NAME_CHARS",
    "REPLIES_SHOWN",
    "CommentOrder",
    "CommentPage",
    "Followed",
    "Limits",
    "Mine",
    "ProfileChange",
    "Report",
    "Thread",
    "ViewEvent",
    "apply_batch",
    "check_comment_rate",
    "check_rate",
    "claim_batches",
    "comment_page",
    "comment_replies",
    "comments_in_status",
    "creator_contents",
    "decide_comment",
    "delete_comment",
    "erase_engagement",
    "follow",
    "following",
    "like_comment",
    "mine",
    "my_comment_marks",
    "post_comment",
    "published",
    "react",
    "reacted",
    "read_batch",
    "record_share",
    "record_view",
    "release_batch",
    "set_comments_enabled",
    "update_profile",
]
