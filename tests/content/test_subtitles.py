"""Reading subtitle files as tools really write them, and the WebVTT we serve from them."""

from __future__ import annotations

import codecs

import pytest

from content.errors import Invalid, TooLarge
from content.media import parse_subtitles, subtitles_webvtt

LIMIT = 1 << 20


def cues(text: str | bytes, duration_s: float | None = None) -> list[dict[str, object]]:
    data = text.encode() if isinstance(text, str) else text
    return parse_subtitles(data, max_bytes=LIMIT, duration_s=duration_s)


def refused(text: str | bytes, code: str, duration_s: float | None = None) -> str:
    with pytest.raises(Invalid) as caught:
        cues(text, duration_s)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def test_webvtt_without_hours_with_settings_notes_styles_and_an_identifier() -> None:
    vtt = (
        "WEBVTT - 科普\nKind: captions\n\nSTYLE\n::cue { color: yellow }\n\n"
        "NOTE written by hand\nover two lines\n\n"
        "intro\n01:02.500 --> 01:04.250 align:start position:10% line:0\n"
        "<v.loud 讲解员>大家好</v> <c.yellow>欢迎</c><01:03.000>收看\n"
    )
    assert cues(vtt) == [{"t_start": 62.5, "t_end": 64.25, "text": "大家好 欢迎收看"}]


def test_crlf_bom_trailing_spaces_and_blank_cues() -> None:
    # A line of spaces between cues separates them, as a blank one does.
    srt = (
        "1\r\n00:00:01,000 --> 00:00:02,000   \r\n  第一行  \r\n第二行 \r\n \t\r\n"
        "2\r\n00:00:02,000 --> 00:00:03,000\r\n<b> </b>\r\n\r\n\r\n"
        "3\r\n00:00:03,000 --> 00:00:04,000\r\n完\r\n"
    )
    expected = [
        {"t_start": 1.0, "t_end": 2.0, "text": "第一行\n第二行"},
        {"t_start": 3.0, "t_end": 4.0, "text": "完"},
    ]
    assert cues(codecs.BOM_UTF8 + srt.encode()) == expected
    assert cues(codecs.BOM_UTF16_BE + srt.encode("utf-16-be")) == expected
    assert cues(srt.replace("\r\n", "\r").encode("gb18030")) == expected


def test_srt_markup_is_stripped_and_times_are_rounded_to_milliseconds() -> None:
    srt = (
        '7\n0:00:00.5 --> 00:00:01,25\n{\\an8}<font color="#ffff00"><b>注意</b></font>&nbsp;安全\n'
    )
    assert cues(srt) == [{"t_start": 0.5, "t_end": 1.25, "text": "注意 安全"}]


def test_cues_without_text_are_dropped_and_overlaps_are_sorted() -> None:
    srt = (
        "1\n00:00:02,000 --> 00:00:03,000\n乙\n\n"
        "2\n00:00:01,500 --> 00:00:04,000\n<i></i>\n\n"
        "3\n00:00:01,000 --> 00:00:02,500\n甲\n"
    )
    assert [c["text"] for c in cues(srt)] == ["甲", "乙"]


def test_what_is_wrong_is_named() -> None:
    assert "line 1" in refused("Hello, this is a letter.\n\nBye\n", "subtitles.format")
    assert "cue 2" in refused(
        "1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:01,000 --> 00:00:0x,000\nb\n",
        "subtitles.format",
    )
    assert "cue 1" in refused("00:00:05,000 --> 00:00:06,000\nx\n", "subtitles.timing", 3.0)
    refused("00:00:03,900 --> 00:00:05,000\nx\n", "subtitles.timing", 2.8)
    assert cues("00:00:03,700 --> 00:00:05,000\nx\n", 2.8)  # within the second of slack
    refused("WEBVTT\n\n00:01.000 --> 00:01.000\nx\n", "subtitles.timing")
    refused("", "subtitles.empty")
    refused(b"\x00\x01 binary", "subtitles.encoding")


def test_bounds() -> None:
    many = "".join(f"00:00:{i % 60:02d}.000 --> 00:00:{i % 60:02d}.500\nx\n\n" for i in range(5001))
    refused("WEBVTT\n\n" + many, "subtitles.too_many_cues")
    refused("00:00:01,000 --> 00:00:02,000\n" + "长" * 201 + "\n", "subtitles.cue_too_long")
    refused("00:00:01,000 --> 00:00:02,000\na\nb\nc\nd\ne\n", "subtitles.cue_too_long")
    with pytest.raises(TooLarge):
        parse_subtitles(b"x" * 2048, max_bytes=1024)


def test_the_served_file_carries_no_markup() -> None:
    parsed = cues("WEBVTT\n\n00:00.000 --> 01:00:00.001\n&lt;b&gt;1 &amp; 2 --&gt; 3\n")
    assert parsed[0]["text"] == "<b>1 & 2 --> 3"
    assert subtitles_webvtt(parsed) == (
        "WEBVTT\n\n00:00:00.000 --> 01:00:00.001\n&lt;b&gt;1 &amp; 2 --&gt; 3\n"
    )
