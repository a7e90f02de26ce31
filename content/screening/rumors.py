"""Rumor matching: a rumor is recognised by the words that carry its meaning, found close
together, whatever the phrasing around them; and a text that states a rumor to refute it (科学辟谣)
is told apart from one that spreads it by the refuting words near it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import rjieba

__all__ = [
    "NEGATION_CUES",
    "REFUTING_CUES",
    "RumorSpec",
    "close_together",
    "meaning_words",
    "required_groups",
]

# Words that carry no meaning of their own in a rumor's claim: dropped when the claim is cut into
# the words it is recognised by.
_FUNCTION_WORDS: Final = frozenset(
    ("吃", "喝", "能", "会", "是", "有", "让", "使", "用", "要", "就", "都", "还", "也", "把", "被",
     "给", "可以", "可能", "能够", "导致", "引起", "造成", "一起", "一定", "千万", "常", "多", "少",
     "大量", "每天", "经常", "长期", "人", "的", "了", "和", "与", "及", "或", "在", "后", "前",
     "时", "里", "中", "说", "等")
)  # fmt: skip
# Part-of-speech tags (jieba's) of words that carry meaning: nouns, verbs, adjectives, names,
# Latin words (HPV, 5G) and idioms.
_MEANING_TAGS: Final = ("n", "v", "a", "eng", "l", "i", "j", "b")
MAX_DERIVED: Final = 4


def meaning_words(claim: str) -> list[str]:
    """The words of a claim that carry its meaning, longest first, at most four."""
    words: list[str] = []
    for word, tag in rjieba.tag(claim):
        word = word.strip()
        if (
            word
            and word not in _FUNCTION_WORDS
            and word not in words
            and tag.startswith(_MEANING_TAGS)
            and (len(word) > 1 or not word.isascii())
        ):
            words.append(word)
    if sum(len(w) > 1 for w in words) >= 2:
        words = [w for w in words if len(w) > 1]  # single characters match too much
    words.sort(key=len, reverse=True)
    return words[:MAX_DERIVED]


@dataclass(frozen=True, slots=True)
class RumorSpec:
    """A known rumor. `keywords` are the words it is recognised by, each possibly a set of
    alternatives written "隔夜菜|剩菜"; without keywords, the meaning-bearing words of the claim
    are used. It matches a field that holds its claim, or all its keyword groups close together.
    """

    claim: str
    keywords: Sequence[str]
    truth: str
    source: str | None = None
    ref: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", tuple(k for k in self.keywords if k.strip()))


def required_groups(spec: RumorSpec) -> tuple[list[list[str]], int]:
    """The keyword groups of a rumor (each a list of alternatives) and how many must be found."""
    if spec.keywords:
        groups = [[alt for alt in k.split("|") if alt.strip()] for k in spec.keywords]
        groups = [g for g in groups if g]
        return groups, len(groups)
    groups = [[w] for w in meaning_words(spec.claim)]
    # Derived words are guesses: two thirds of them (at least two) must be there.
    return groups, max(2, math.ceil(len(groups) * 2 / 3)) if len(groups) >= 2 else len(groups)


# Words that refute: a rumor or a claim with one of these near it is being debunked.
REFUTING_CUES: Final = (
    "辟谣", "谣言", "谣传", "误区", "误解", "不实", "伪科学", "科学依据", "没有证据", "毫无关系",
    "无关", "纯属", "编造", "不靠谱", "不可取", "别再信", "不可信", "被否定", "错误",
    "假的", "骗局", "无稽之谈", "虚假", "站不住脚", "澄清", "并不", "并非", "并没有",
)  # fmt: skip
# Plain negations refute only close by, and not when the rumor itself says them
# (「鸡蛋和豆浆不能一起吃」).
NEGATION_CUES: Final = (
    "不会", "不是", "无法", "不存在", "起不到", "杀不死", "其实", "实际上", "事实上", "没有任何",
)  # fmt: skip


def close_together(
    occurrences: Mapping[int, list[tuple[int, int]]], need: int, limit: int
) -> tuple[int, int] | None:
    """A span at most `limit` long holding one occurrence from `need` of the groups in
    `occurrences` (the first such span in the text), or None."""
    events = sorted((s, e, group) for group, spans in occurrences.items() for s, e in spans)
    latest: dict[int, tuple[int, int]] = {}
    for s, e, group in events:
        latest[group] = (s, e)
        if len(latest) < need:
            continue
        starts = sorted((span[0] for span in latest.values()), reverse=True)
        start = starts[need - 1]
        # The chosen occurrences all start at or after `start` and end by `e` at the latest,
        # except for one that is longer than the rest: take the true end.
        end = max(span[1] for span in latest.values() if span[0] >= start)
        if end - start <= limit:
            return start, end
    return None
