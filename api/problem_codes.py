"""Every problem `code` the API can answer, with its HTTP status and what it means for a person,
in Chinese (the default) and English. Clients switch on the code; the OpenAPI document lists each
route's codes from here, and docs/api.md's table of codes is checked against it.

A new code is a row here: tests/api/test_problem_codes.py fails while a code raised anywhere in
the source has no row, or a row's status differs from the status its exception class maps to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    status: int
    zh: str  # for end users, the default `detail`
    en: str  # what the code means; a domain error's own message says more in English


def _table(*rows: tuple[str, int, str, str]) -> dict[str, Code]:
    return {code: Code(code, status, zh, en) for code, status, zh, en in rows}


CODES: dict[str, Code] = _table(
    # --- generic: the framework, the middleware and the exception classes' own codes ---------
    ("bad_request", 400, "请求格式有误，无法读取", "the request could not be read"),
    ("error", 400, "请求无法处理", "the request could not be handled"),
    ("auth.required", 401, "请先登录", "log in first: this needs a bearer token"),
    ("auth.invalid_token", 401, "登录已失效，请重新登录", "the token is invalid or expired"),
    ("forbidden", 403, "没有权限执行此操作", "not allowed"),
    ("not_found", 404, "找不到请求的内容", "not found"),
    ("method_not_allowed", 405, "不支持该请求方法", "this method is not allowed here"),
    ("conflict", 409, "当前状态不允许此操作", "the current state does not allow this"),
    ("too_large", 413, "内容过大", "too large"),
    (
        "request.too_large",
        413,
        "请求内容过大；媒体文件请通过上传地址发送",
        "the request body is too large",
    ),
    ("quota_exceeded", 413, "已超出配额", "a quota is used up"),
    ("unsupported_media_type", 415, "不支持该媒体类型", "unsupported media type"),
    ("validation_error", 422, "输入有误", "invalid input"),
    ("invalid", 422, "输入不符合要求", "invalid input"),
    (
        "invalid_text",
        422,
        "输入包含无法保存的字符（如 NUL），请删除",
        "a character that cannot be stored",
    ),
    (
        "invalid_date",
        422,
        "时间无效：需要带时区且在有效范围内",
        "a time without a zone or out of range",
    ),
    ("rate_limited", 429, "操作过于频繁，请稍后再试", "rate limited"),
    (
        "internal_error",
        500,
        "服务器出现问题，如需反馈请提供 request_id",
        "something broke on our side",
    ),
    ("unavailable", 503, "服务暂时不可用，请稍后再试", "a dependency is unavailable"),
    ("dependency.down", 503, "依赖的服务暂时无法访问，请稍后再试", "a dependency is unreachable"),
    # --- accounts and login --------------------------------------------------------------------
    ("auth.invalid_credentials", 401, "用户名或密码错误", "wrong username or password"),
    ("auth.rate_limited", 429, "登录尝试过多，请稍后再试", "too many logins for this username"),
    (
        "auth.address_locked",
        429,
        "此网络登录失败过多，已暂时锁定",
        "too many failed logins from here",
    ),
    ("auth.missing_role", 403, "您的账号没有执行此操作的角色", "a role this needs is missing"),
    (
        "auth.weak_password",
        422,
        "密码太容易被猜到，请换一个更长更复杂的密码",
        "the password is guessable",
    ),
    (
        "auth.wechat_code_invalid",
        401,
        "微信登录凭证无效，请重新登录",
        "WeChat rejected the login code",
    ),
    ("auth.wechat_rate_limited", 429, "微信登录过于频繁，请稍后再试", "WeChat rate-limits logins"),
    ("auth.wechat_unavailable", 503, "微信服务暂时无法访问，请稍后再试", "WeChat did not answer"),
    ("auth.wechat_not_configured", 503, "微信登录尚未开通", "WeChat login is not configured"),
    ("user.exists", 409, "该用户名已被使用", "the username is taken"),
    ("user.not_found", 404, "找不到该创作者", "no such creator"),
    (
        "user.self_lockout",
        403,
        "不能停用自己的账号或去掉自己的运营角色，请另一位运营人员操作",
        "an admin cannot disable themself or drop their own admin role",
    ),
    (
        "user.no_password",
        409,
        "该账号只用微信登录，没有可重置的密码",
        "the account logs in with WeChat only",
    ),
    (
        "profile.name_blocked",
        422,
        "昵称包含不允许使用的词语，请修改",
        "the display name has a blocked term",
    ),
    ("avatar.not_found", 422, "找不到这张头像图片，请先上传", "no such image of yours"),
    ("avatar.not_image", 422, "头像必须是图片", "an avatar must be an image"),
    ("avatar.failed", 422, "头像图片无法处理，请换一张", "the avatar image could not be processed"),
    ("avatar.not_ready", 409, "头像图片还在处理中，请稍候", "the avatar image is still processing"),
    ("wechat.code_invalid", 422, "微信登录凭证无效，请重新获取", "WeChat rejected the login code"),
    (
        "wechat.bound_elsewhere",
        409,
        "该微信已绑定其他账号",
        "another account holds this WeChat login",
    ),
    (
        "wechat.already_bound",
        409,
        "本账号已绑定其他微信，请先解绑",
        "bound to another WeChat; unbind first",
    ),
    (
        "wechat.only_login",
        409,
        "微信是本账号唯一的登录方式，不能解绑",
        "WeChat is this account's only login",
    ),
    # --- uploads and media -----------------------------------------------------------------------
    ("upload.too_large", 413, "文件超过上传大小限制", "the file is over the upload limit"),
    (
        "upload.quota_exceeded",
        413,
        "今日上传额度已用完，请明天再试",
        "the daily upload quota is used up",
    ),
    ("upload.not_found", 404, "找不到该上传", "no such upload"),
    ("upload.closed", 409, "该上传已过期或已结束，请重新上传", "the upload expired or is closed"),
    ("upload.busy", 409, "该上传正在处理中，请稍后重试", "another request is completing it"),
    ("upload.incomplete", 409, "文件尚未上传完成", "nothing was uploaded yet"),
    ("upload.parts_missing", 409, "有分片尚未上传", "some parts are missing"),
    ("upload.size_mismatch", 409, "上传的文件大小与声明不符，请重新上传", "the size differs"),
    ("upload.type_mismatch", 409, "上传的文件类型与声明不符，请重新上传", "the type differs"),
    ("media.not_found", 404, "找不到该媒体文件", "no such media"),
    ("subtitles.not_video", 422, "字幕只能添加到视频上", "subtitles go with a video only"),
    (
        "subtitles.not_ready",
        409,
        "视频尚未处理完成，请稍后再添加字幕",
        "the video is not ready yet",
    ),
    (
        "subtitles.locked",
        409,
        "该视频所在的内容正在审核或已发布，字幕不能修改",
        "content using the video is in review or published",
    ),
    ("subtitles.too_large", 413, "字幕文件过大", "the subtitle file is too large"),
    (
        "subtitles.encoding",
        422,
        "字幕文件编码无法识别，请另存为 UTF-8",
        "the subtitle file is not UTF-8, UTF-16 or GBK text",
    ),
    (
        "subtitles.format",
        422,
        "不是有效的 WebVTT 或 SRT 字幕文件",
        "not a WebVTT or SRT file",
    ),
    ("subtitles.empty", 422, "字幕文件中没有字幕", "the subtitle file has no cues"),
    (
        "subtitles.timing",
        422,
        "字幕时间有误（为负、结束早于开始或超出视频时长）",
        "a cue's times are wrong",
    ),
    ("subtitles.too_many_cues", 422, "字幕条数过多", "too many cues"),
    ("subtitles.cue_too_long", 422, "某条字幕过长", "a cue has too many or too long lines"),
    ("storage.url_expired", 403, "链接已过期，请重新获取", "this signed URL has expired"),
    ("storage.signature_invalid", 403, "链接签名无效", "this URL's signature does not match"),
    ("storage.too_large", 413, "发送的数据超过声明的大小", "more bytes than declared"),
    ("storage.wrong_type", 415, "文件类型与声明不符", "not the declared content type"),
    ("storage.not_found", 404, "找不到该文件", "no such upload or object"),
    ("storage.bad_request", 400, "存储请求无效", "a malformed storage request"),
    ("storage.bad_range", 400, "Range 请求头无效", "a malformed Range header"),
    ("storage.range_not_satisfiable", 416, "请求的范围超出文件长度", "the range is past the end"),
    (
        "storage.unavailable",
        503,
        "存储服务暂时无法访问，请稍后再试",
        "object storage is unreachable",
    ),
    (
        "upload.method_unavailable",
        422,
        "该大小的文件不支持这种上传方式",
        "this upload method is not offered for this size",
    ),
    ("storage.form_invalid", 400, "上传表单格式有误", "the upload form could not be read"),
    ("storage.form_file_missing", 400, "上传表单中没有文件", "the upload form has no file"),
    (
        "storage.form_extra_file",
        400,
        "上传表单只能包含一个文件",
        "the upload form has more than one file",
    ),
    # --- content and workflow --------------------------------------------------------------------
    ("content.not_found", 404, "找不到该内容", "no such content"),
    ("content.not_editable", 409, "当前状态下不能编辑该内容", "not editable in this state"),
    (
        "workflow.invalid_state",
        409,
        "内容当前状态不允许此操作",
        "the workflow state does not allow it",
    ),
    ("workflow.forbidden", 403, "您不能执行此操作", "not yours to do"),
    ("workflow.stale", 409, "内容已被修改，请刷新后重试", "changed meanwhile; reload"),
    (
        "pin.invalid_until",
        422,
        "置顶截止时间无效：需要带时区的未来时间",
        "until must be a future time",
    ),
    (
        "body.image_invalid",
        422,
        "正文引用的图片无效：只能使用自己上传的图片",
        "the body references an image that is not yours or not an image",
    ),
    (
        "discipline.unknown",
        422,
        "学科不在列表中，请从学科列表中选择",
        "not a discipline on the list",
    ),
    ("discipline.exists", 409, "该学科已存在", "this discipline exists"),
    ("discipline.not_found", 404, "找不到该学科", "no such discipline"),
    ("discipline.in_use", 409, "该学科正在使用中，不能删除", "the discipline is in use"),
    # --- review ----------------------------------------------------------------------------------
    ("review.not_found", 404, "找不到该审核任务", "no such review task"),
    ("review.already_claimed", 409, "该任务已被其他审核员领取", "another reviewer holds the task"),
    ("review.task_closed", 409, "该审核任务已结束", "the task is closed"),
    ("review.self_review", 403, "不能审核自己的内容", "nobody reviews their own content"),
    (
        "review.same_reviewer",
        403,
        "同一版本的两个审核阶段不能由同一人通过",
        "one person, one stage",
    ),
    # --- feeds and interactions ------------------------------------------------------------------
    ("feed.bad_cursor", 422, "分页游标无效，请从第一页开始", "a cursor this API did not give out"),
    ("interaction.rate_limited", 429, "操作过于频繁，请稍后再试", "too many interactions"),
    ("view.invalid_progress", 422, "观看或阅读进度无效", "the progress makes no sense"),
    ("follow.self", 422, "不能关注自己", "you cannot follow yourself"),
    ("stats.bad_date", 422, "日期格式有误，例如 2026-12-01", "a date that cannot be read"),
    ("stats.range_reversed", 422, "开始日期不能晚于结束日期", "from is after to"),
    ("stats.range_too_long", 422, "日期范围过长，最多 366 天", "a range longer than 366 days"),
    # --- reports -----------------------------------------------------------------------------
    (
        "report.exists",
        409,
        "你已举报过该内容，运营人员正在处理",
        "you have an open report on this content",
    ),
    ("report.not_found", 404, "找不到该举报", "no such report"),
    ("report.resolved", 409, "该举报已处理", "the report was resolved already"),
    ("ids.invalid", 422, "ids 参数无效：需要 1–50 个内容 id", "ids: 1–50 content ids"),
    # --- comments ----------------------------------------------------------------------------
    ("comment.not_found", 404, "找不到该评论", "no such comment"),
    ("comment.closed", 409, "作者已关闭该内容的评论", "comments are turned off on this content"),
    (
        "comment.blocked",
        422,
        "评论含有不允许发布的内容，请修改后再发",
        "screening blocked the comment; see its finding",
    ),
    (
        "comment.forbidden",
        403,
        "只有评论者、内容作者或管理员可以删除评论",
        "only its author, the content's owner or an operator may delete it",
    ),
    ("comment.rate_limited", 429, "评论过于频繁，请稍后再试", "too many comments"),
    ("comment.not_held", 409, "该评论不在待审核状态", "the comment is not waiting for a decision"),
    # --- screening dictionary and rumor library (operators) --------------------------------------
    ("term.length", 422, "词条长度不符合要求", "term length out of bounds"),
    ("term.nothing_to_match", 422, "词条去掉标点和空格后为空", "the term has nothing to match"),
    ("term.category", 422, "分类长度不符合要求", "category length out of bounds"),
    ("term.severity", 422, "级别只能是 block、warn 或 info", "severity is block, warn or info"),
    ("term.pinyin_too_short", 422, "拼音匹配只适用于三个及以上汉字的词条", "too short for pinyin"),
    ("term.control_character", 422, "词条包含控制字符", "a control character"),
    ("term.exists", 409, "该词条已存在", "the term exists"),
    ("term.variant_exists", 422, "该词条的变体已存在", "a variant of the term exists"),
    ("term.not_found", 404, "找不到该词条", "no such term"),
    ("import.header", 422, "CSV 表头缺少必需的列", "the CSV header lacks a column"),
    ("import.not_text", 422, "文件不是 UTF-8 编码的 CSV 文本", "the file is not UTF-8 CSV text"),
    ("rumor.claim", 422, "谣言内容不符合要求", "the claim is empty or too long"),
    ("rumor.truth", 422, "辟谣内容不符合要求", "the truth is empty or too long"),
    ("rumor.keywords", 422, "关键词不符合要求", "bad keywords"),
    ("rumor.no_keywords", 422, "至少需要两个有意义的关键词", "at least two keywords"),
    ("rumor.control_character", 422, "内容包含控制字符", "a control character"),
    ("rumor.not_found", 404, "找不到该谣言条目", "no such rumor"),
    ("claim.family", 422, "宣称类别长度不符合要求", "family length out of bounds"),
    ("claim.message", 422, "提示语长度不符合要求", "message length out of bounds"),
    ("claim.severity", 422, "级别只能是 block、warn 或 info", "severity is block, warn or info"),
    ("claim.control_character", 422, "内容包含控制字符", "a control character"),
    ("claim.pattern_syntax", 422, "宣称模式的写法有误", "the pattern is malformed"),
    (
        "claim.pattern_too_broad",
        422,
        "宣称模式太宽泛，至少需要一段两个字以上的固定词语",
        "the pattern holds no run of two or more characters every match holds",
    ),
    (
        "claim.pattern_too_complex",
        422,
        "宣称模式过长或过于复杂",
        "the pattern is too long or has too many gaps, groups or alternatives",
    ),
    ("claim.exists", 409, "已有匹配相同内容的宣称模式", "a pattern that matches the same exists"),
    ("claim.not_found", 404, "找不到该宣称模式", "no such claim pattern"),
)

TITLES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "Bad request"),
    401: ("未登录", "Not authenticated"),
    403: ("没有权限", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("不支持的方法", "Method not allowed"),
    409: ("状态冲突", "Conflict"),
    413: ("内容过大", "Too large"),
    415: ("不支持的媒体类型", "Unsupported media type"),
    416: ("范围无效", "Range not satisfiable"),
    422: ("输入有误", "Invalid input"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器错误", "Internal server error"),
    503: ("服务暂不可用", "Service unavailable"),
}

# What a status implies whatever the route does: how a missing or bad token, a body the
# framework cannot read or that is too large, bad input and an outage are answered.
IMPLIED: dict[int, tuple[str, ...]] = {
    400: ("bad_request",),
    401: ("auth.required", "auth.invalid_token"),
    413: ("request.too_large",),
    422: ("validation_error", "invalid_text"),
    503: ("dependency.down",),
}


# Chinese for the checks a client trips most; anything else is named by its field alone.
CHECKS_ZH = {
    "missing": "必填",
    "extra_forbidden": "不接受此字段",
    "string_too_long": "太长",
    "string_too_short": "太短",
    "too_long": "项目太多",
    "too_short": "项目太少",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "enum": "不在允许的取值中",
    "literal_error": "不在允许的取值中",
    "datetime_parsing": "应为 ISO 8601 时间",
    "datetime_from_date_parsing": "应为 ISO 8601 时间",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
}


def table() -> str:
    """The table of codes in docs/api.md (a test keeps them the same)."""
    rows = [
        "| code | status | 含义 (detail) | meaning |",
        "|---|---|---|---|",
        *(f"| `{c.code}` | {c.status} | {c.zh} | {c.en} |" for c in CODES.values()),
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
