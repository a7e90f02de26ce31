"""A creator's subtitle file (WebVTT or SRT) read into plain cues, checked, and written back
as a clean WebVTT file (docs/subtitles.md). No I/O: bytes in, cues or text out."""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterator
from typing import Any

from content.errors import Invalid, TooLarge

MAX_CUES = 5000
MAX_LINE_CHARS = 200
MAX_CUE_LINES = 4
END_SLACK_S = 1.0  # a cue may start this long after the video's last frame (rounding)

_TIME = re.compile(r"^(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{1,3})$")
_TAG = re.compile(r"<[^>\n]*>")  # <i>, <font …>, <v Name>, <c.yellow>, <00:01.000>
_ASS = re.compile(r"\{\\[^}\n]*\}")  # {\an8}, {\i1}: overrides SRT tools copy from ASS
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")

Cue = dict[str, Any]  # {"t_start": float, "t_end": float, "text": str}


def decode(data: bytes) -> str:
    """The file as text: UTF-8 (a BOM or none), UTF-16 with its BOM, or GBK/GB18030 (what
    Chinese Windows tools write); newlines normalised to ``\\n``."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            text = _utf8_or_gb18030(data)
    except UnicodeDecodeError:
        text = None
    if text is None or _CONTROL.search(text):
        raise Invalid(
            "the subtitle file is not text we can read: save it as UTF-8 (or UTF-16 with a "
            "BOM, or GBK) and upload it again",
            code="subtitles.encoding",
        )
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _utf8_or_gb18030(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse(data: bytes, *, max_bytes: int, duration_s: float | None = None) -> list[Cue]:
    """The cues of a WebVTT or SRT file, sorted by start (overlaps are allowed: two speakers).
    Raises `TooLarge` ``subtitles.too_large`` and `Invalid` (``subtitles.encoding``,
    ``.format``, ``.empty``, ``.timing``, ``.too_many_cues``, ``.cue_too_long``)."""
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    lines = decode(data).split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise _empty()
    webvtt = re.match(r"WEBVTT(?:[ \t]|$)", lines[first]) is not None
    cues: list[Cue] = []
    for number, (line_no, block) in enumerate(_blocks(lines, first, webvtt), start=1):
        cue = _cue(block, line_no, number, webvtt)
        if cue is None:
            continue
        if len(cues) == MAX_CUES:
            raise Invalid(
                f"a subtitle file holds at most {MAX_CUES} cues; split or shorten it",
                code="subtitles.too_many_cues",
            )
        _check_timing(cue, number, duration_s)
        cues.append(cue)
    if not cues:
        raise _empty()
    return sorted(cues, key=lambda c: (c["t_start"], c["t_end"]))


def too_large(max_bytes: int) -> TooLarge:
    return TooLarge(f"a subtitle file is limited to {max_bytes} bytes", code="subtitles.too_large")


def _empty() -> Invalid:
    return Invalid("the subtitle file has no cues with text", code="subtitles.empty")


def _blocks(lines: list[str], first: int, webvtt: bool) -> Iterator[tuple[int, list[str]]]:
    """Blocks separated by blank lines, each with its first line's number (1-based); a WebVTT
    file's header and its NOTE, STYLE and REGION blocks left out."""
    block: list[str] = []
    start = first
    for i in range(first, len(lines) + 1):
        line = lines[i].rstrip() if i < len(lines) else ""
        if line.strip():
            if not block:
                start = i
            block.append(line)
            continue
        if block and not (webvtt and (start == first or block[0].startswith(_SKIPPED_BLOCKS))):
            yield start + 1, block
        block = []


def _cue(block: list[str], line_no: int, number: int, webvtt: bool) -> Cue | None:
    """One block as a cue: an identifier (SRT: its number) on the line before the times is
    optional; None when it has no text."""
    timing = 0 if "-->" in block[0] else 1
    if timing >= len(block) or "-->" not in block[timing]:
        kind = "a WebVTT" if webvtt else "an SRT"
        raise Invalid(
            f"line {line_no}: not {kind} cue (expected times like "
            f"{'00:01.000 --> 00:02.500' if webvtt else '00:00:01,000 --> 00:00:02,500'}); "
            "is this a WebVTT or SRT subtitle file?",
            code="subtitles.format",
        )
    start_text, _, rest = block[timing].partition("-->")
    end_text = rest.split()[0] if rest.split() else ""  # WebVTT cue settings may follow
    where = f"cue {number} (line {line_no + timing})"
    t_start = _seconds(start_text.strip(), where)
    t_end = _seconds(end_text, where)
    text = _plain(block[timing + 1 :], where)
    return {"t_start": t_start, "t_end": t_end, "text": text} if text else None


def _seconds(stamp: str, where: str) -> float:
    if stamp.startswith("-"):
        raise Invalid(f"{where}: a time cannot be negative", code="subtitles.timing")
    found = _TIME.match(stamp)
    if found is None:
        raise Invalid(
            f"{where}: {stamp[:30]!r} is not a time like 00:01:02.500", code="subtitles.format"
        )
    hours, minutes, seconds, millis = found.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return round(total + int(millis.ljust(3, "0")) / 1000, 3)


def _plain(lines: list[str], where: str) -> str:
    """The cue's text without markup, its lines trimmed, empty ones dropped."""
    out = []
    for raw in lines:
        line = html.unescape(_ASS.sub("", _TAG.sub("", raw))).replace("\xa0", " ").strip()
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            raise Invalid(
                f"{where}: a line of a cue is limited to {MAX_LINE_CHARS} characters",
                code="subtitles.cue_too_long",
            )
        out.append(line)
    if len(out) > MAX_CUE_LINES:
        raise Invalid(
            f"{where}: a cue shows at most {MAX_CUE_LINES} lines", code="subtitles.cue_too_long"
        )
    return "\n".join(out)


def _check_timing(cue: Cue, number: int, duration_s: float | None) -> None:
    if cue["t_end"] <= cue["t_start"]:
        raise Invalid(
            f"cue {number}: it ends ({cue['t_end']} s) before it starts ({cue['t_start']} s)",
            code="subtitles.timing",
        )
    if duration_s is not None and cue["t_start"] > duration_s + END_SLACK_S:
        raise Invalid(
            f"cue {number}: it starts at {cue['t_start']} s, after the video ends "
            f"({duration_s:.1f} s); are these the subtitles of another video?",
            code="subtitles.timing",
        )


def to_webvtt(cues: list[Cue]) -> str:
    """The cues as a WebVTT file; the text escaped, so a caption never reaches a player as
    markup (and never holds a ``-->``)."""
    out = ["WEBVTT", ""]
    for cue in cues:
        out.append(f"{_stamp(cue['t_start'])} --> {_stamp(cue['t_end'])}")
        out.append(html.escape(cue["text"], quote=False))
        out.append("")
    return "\n".join(out)


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"
