"""Turn domain views into the contract's response bodies, a module per area; routers use the
names exported here."""

from api.presenters.accounts import user_out
from api.presenters.contents import content_detail, my_contents
from api.presenters.feed import card_stats, cards, feed_page
from api.presenters.interactions import stats_out
from api.presenters.review import review_history, tasks

__all__ = [
    "card_stats",
    "cards",
    "content_detail",
    "feed_page",
    "my_contents",
    "review_history",
    "stats_out",
    "tasks",
    "user_out",
]
