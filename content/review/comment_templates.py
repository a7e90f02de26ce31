"""Comments reviewers write again and again, as data: the console offers them beside the comment
box (an API could serve the same list). Each is for one decision; the reviewer edits the text
before sending it."""

from __future__ import annotations

from dataclasses import dataclass

from content.models import Action


@dataclass(frozen=True)
class CommentTemplate:
    decision: Action
    label: str  # what the list shows
    text: str  # what goes into the comment box


COMMENT_TEMPLATES: tuple[CommentTemplate, ...] = (
    CommentTemplate(Action.approve, "内容准确", "内容准确，表述清楚，同意发布。"),
    CommentTemplate(Action.approve, "引用可靠", "引用来源可靠，结论与来源一致。"),
    CommentTemplate(
        Action.request_changes,
        "缺少参考来源",
        "文中的科学结论缺少可靠来源，请补充权威参考文献（指南、论文或官方机构）后重新提交。",
    ),
    CommentTemplate(
        Action.request_changes,
        "表述绝对化",
        "部分表述过于绝对（如“包治”“根治”“百分之百”），请改为有依据、有限定的说法。",
    ),
    CommentTemplate(
        Action.request_changes,
        "标题与内容不符",
        "标题与正文内容不符或有夸大，请修改标题，使其准确反映正文。",
    ),
    CommentTemplate(
        Action.request_changes,
        "视频画质或声音问题",
        "视频画面或声音不清晰，影响理解，请重新录制或剪辑后提交。",
    ),
    CommentTemplate(
        Action.reject,
        "传播谣言",
        "内容包含已被辟谣的说法，可能误导读者，不予发布。",
    ),
    CommentTemplate(
        Action.reject,
        "危害健康",
        "内容鼓励可能危害健康的做法（如停药、替代正规治疗），不予发布。",
    ),
    CommentTemplate(
        Action.reject,
        "违反社区规范",
        "内容违反平台社区规范，不予发布。",
    ),
)
