"""Turn domain views into the contract's response bodies, a module per area; routers use the
names exported here."""

from api.presenters.accounts import followed_out, me_out, profile_out, user_out
from api.presenters.admin import (
    claim_pattern_out,
    claim_patterns_page,
    pinned_out,
    rumor_out,
    rumors_page,
    status_out,
    term_out,
    terms_page,
)
from api.presenters.comments import (
    admin_comment,
    admin_comments,
    comment_like_out,
    comment_list,
    comment_page,
    page_ids,
    personal,
)
from api.presenters.contents import content_detail, my_contents
from api.presenters.feed import card_stats, cards, feed_page, topics
from api.presenters.interactions import accepted_out, follow_out, my_interactions, stats_out
from api.presenters.media import complete_out, media_out, upload_out
from api.presenters.reports import (
    marked_out,
    notifications_out,
    report_groups,
    report_out,
    resolved_out,
)
from api.presenters.review import review_history, tasks
from api.presenters.search import search_page
from api.presenters.stats import admin_stats, my_stats, ranking

__all__ = [
    "accepted_out",
    "admin_comment",
    "admin_comments",
    "admin_stats",
    "card_stats",
    "cards",
    "claim_pattern_out",
    "claim_patterns_page",
    "comment_like_out",
    "comment_list",
    "comment_page",
    "complete_out",
    "content_detail",
    "feed_page",
    "follow_out",
    "followed_out",
    "marked_out",
    "me_out",
    "media_out",
    "my_contents",
    "my_interactions",
    "my_stats",
    "notifications_out",
    "page_ids",
    "personal",
    "pinned_out",
    "profile_out",
    "ranking",
    "report_groups",
    "report_out",
    "resolved_out",
    "review_history",
    "rumor_out",
    "rumors_page",
    "search_page",
    "stats_out",
    "status_out",
    "tasks",
    "term_out",
    "terms_page",
    "topics",
    "upload_out",
    "user_out",
]
