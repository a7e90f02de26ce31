"""The Chinese texts notifications carry, one function per occasion."""

from __future__ import annotations

from content.models import ReportReason

REASON_NAMES = {
    ReportReason.rumor: "谣言",
    ReportReason.pseudoscience: "伪科学",
    ReportReason.political: "政治有害",
    ReportReason.other: "其他问题",
}
_TITLE_CHARS = 30


def _t(title: str) -> str:
    short = title if len(title) <= _TITLE_CHARS else title[: _TITLE_CHARS - 1] + "…"
    return f"《{short}》"


def _with(comment: str | None, label: str) -> str:
    return f"{label}：{comment}" if comment else ""


def published(title: str) -> str:
    return f"你的{_t(title)}已通过审核并发布。"


def rejected(title: str, comment: str | None) -> str:
    return f"你的{_t(title)}未通过审核。{_with(comment, '审核意见')}".rstrip()


def changes_requested(title: str, comment: str | None) -> str:
    return f"你的{_t(title)}需要修改后重新提交。{_with(comment, '审核意见')}".rstrip()


def taken_down(title: str, reason: str | None) -> str:
    return f"你的{_t(title)}已被下架。{_with(reason, '原因')}".rstrip()


def report_dismissed(title: str) -> str:
    return f"你对{_t(title)}的举报已处理：经核查未发现问题，内容保留。感谢你的反馈。"


def report_taken_down(title: str) -> str:
    return f"你举报的{_t(title)}经核查已下架。感谢你帮助守护科学。"


def media_failed(is_video: bool, reason: str) -> str:
    what = "视频" if is_video else "图片"
    # Reasons are "中文 / English": the creator reads the Chinese half.
    return f"你上传的{what}处理失败：{reason.split(' / ', 1)[0]}"


def _quote(body: str) -> str:
    return body if len(body) <= _TITLE_CHARS else body[: _TITLE_CHARS - 1] + "…"


def commented(title: str, who: str, body: str) -> str:
    return f"{who}评论了你的{_t(title)}：{_quote(body)}"


def replied(title: str, who: str, body: str) -> str:
    return f"{who}在{_t(title)}下回复了你：{_quote(body)}"
