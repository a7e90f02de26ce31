"""What users are told: review outcomes, comments, report outcomes, media that failed. A
notification is a row written in the transaction of what caused it (`tell`); with WeChat
configured it is also pushed as a subscribe message by a job (docs/notifications.md)."""

from content.notifications import texts
from content.notifications.push import MAX_PUSH_TRIES, RetryLater, push
from content.notifications.service import mark_read, mine, tell, unread

__all__ = ["MAX_PUSH_TRIES", "RetryLater", "mark_read", "mine", "push", "tell", "texts", "unread"]
