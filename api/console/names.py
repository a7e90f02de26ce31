"""What the console calls things, in Chinese: one name per state, stage, action, type and role,
so every page says the same (templates read them; handlers pass them)."""

from __future__ import annotations

from content import notifications
from content.models import (
    Action,
    ContentStatus,
    ContentType,
    ReportReason,
    Role,
    Severity,
    Stage,
    TaskStatus,
)

STAGES = {Stage.machine: "机器初筛", Stage.political: "政治审核", Stage.science: "科学审核"}
ACTIONS = {
    Action.submit: "提交审核",
    Action.pass_: "通过",
    Action.block: "拦截",
    Action.approve: "通过",
    Action.reject: "驳回",
    Action.request_changes: "要求修改",
    Action.edit: "开始修改",
    Action.withdraw: "撤回",
    Action.takedown: "下架",
}
DECISIONS = {a: ACTIONS[a] for a in (Action.approve, Action.reject, Action.request_changes)}
CONTENT_STATUSES = {
    ContentStatus.draft: "草稿",
    ContentStatus.in_review: "审核中",
    ContentStatus.changes_requested: "待修改",
    ContentStatus.rejected: "未通过",
    ContentStatus.published: "已发布",
    ContentStatus.taken_down: "已下架",
    ContentStatus.withdrawn: "已撤回",
}
TASK_STATUSES = {
    TaskStatus.open: "待审",
    TaskStatus.approved: "已通过",
    TaskStatus.rejected: "已驳回",
    TaskStatus.changes_requested: "已要求修改",
    TaskStatus.cancelled: "已取消",
}
TYPES = {ContentType.article: "图文", ContentType.video: "视频"}
ROLES: dict[str, str] = {
    Role.admin: "运营（管理员）",
    Role.political_reviewer: "政治审核员",
    Role.science_reviewer: "科学审核员",
    Role.creator: "创作者",
    Role.viewer: "观众",
}
# The same words viewers and creators read in their notifications.
REPORT_REASONS: dict[ReportReason, str] = notifications.texts.REASON_NAMES
SEVERITIES = {Severity.block: "拦截", Severity.warn: "警告", Severity.info: "提示"}
