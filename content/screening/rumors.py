"""Rumor matching: a rumor is recognised by the words that carry its meaning, found close
together, whatever the phrasing around them; and a text that states a rumor to refute it (科学辟谣)
is told apart from one that spreads it by the refuting words near it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import rjieba

__all__ = [
    "AFFIRMING_RE",
    "CONTRADICTING_RE",
    "NEGATION_CUES",
    "REFUTING_CUES",
    "RumorSpec",
    "close_together",
    "denial_re",
    "meaning_words",
    "required_groups",
    "truth_words",
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


# A refutation denied: 「这绝对不是谣言！」, 「别信所谓的辟谣」 vouch for the rumor they stand next
# to. Refuting and negating words inside one of these are not refutations (patterns run over
# normalised text: simplified, lower case, punctuation gone).
AFFIRMING_RE: Final = re.compile(
    "(?:不是|并非|并不是|绝非|决非|绝不是|决不是|不算|算不上|不属于|哪是|哪里是|才不是|可不是)"
    "(?:什么|一个|一条|一则|啥)?"
    "(?:谣言|谣传|传言|假消息|假新闻|假的|虚假|伪科学|骗局|误区|误解|无稽之谈|不实|编造|瞎说|胡说)"
    "|(?:所谓|别信|不要信|不要相信|别相信|不信|不能信)(?:的|什么)?(?:专家|官方)?辟谣"
    "|辟谣(?:是|都是|才是)(?:假的|骗人|谣言)"
)

# A rumor contradicted in plain words, without 谣言 or 辟谣: no link found, safe to eat, too little
# to matter. Near a rumor (rumors only: 「是安全的」 next to 「绝对安全」 does not refute a claim).
_NOT_BEFORE: Final = "(?<![不别没])(?<!不能)(?<!不要)(?<!别再)(?<!不再)(?<!一定)(?<!未必)"
CONTRADICTING_RE: Final = re.compile(
    "(?:没有|没|未|并未|并没有|找不到|缺乏)(?:发现|证据表明|证据显示|证据证明|研究表明)?"
    "[^不没无未]{0,10}?(?:关联|联系|相关性|因果关系)"
    "|无关|不相关|毫无关系|没有关系|没关系|没有关联|无关联|没有联系|并不相关"
    f"|{_NOT_BEFORE}(?:是|都是|也是|完全|同样|一样|依然)安全的"
    f"|{_NOT_BEFORE}放心(?:吃|喝|食用|饮用|使用)"
    f"|{_NOT_BEFORE}(?:可以|能|可)安全(?:食用|饮用|使用)|{_NOT_BEFORE}安全食用"
    "|不会危害健康|不危害健康|对健康无害|不足以危害|远不足以"
    "|效果(?:很差|甚微|有限|不大|不明显)|作用(?:很小|甚微|有限|不大)|微乎其微"
    "|含量(?:极低|很低|极少|很少|远低于)"
    "|nolink|noevidence|notlinked|nolinks|issafe|aresafe|safetoeat|myth|hoax|debunk"
)

# A negation right before a word of the rumor's own claim (大蒜不能预防新冠, 不会导致不孕): the
# claim is stated to be denied. Only modal and causal words may stand between (不能吃维生素C is a
# rumor's own advice, not a denial).
_NEGATIONS: Final = (
    "不|没|没有|并不|并没有|无法|不能|不会|不可能|并不能|并不会|并非|不是|未|难以|起不到|谈不上"
)
_BETWEEN: Final = "会|能|能够|可以|可能|导致|引起|造成|让人|使人|让|使|是|就|再|都"


def denial_re(words: Sequence[str]) -> re.Pattern[str]:
    """A pattern for a negation right before one of `words` (normalised)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(f"(?:{_NEGATIONS})(?:{_BETWEEN})?(?:{alternatives})")


# Words of a rumor's truth that say nothing particular to it: not evidence of a restatement.
_GENERIC: Final = frozenset(
    ("不会", "没有", "产生", "使用", "食用", "说明", "主要", "研究", "表明", "健康", "水平",
     "危险", "避免", "来自", "作为", "达到", "特点", "所谓", "说法", "无法", "符合", "正常",
     "可能", "食物", "人体", "身体", "问题", "作用", "效果", "影响", "导致", "引起", "发生",
     "需要", "应该", "应当", "注意", "情况", "时间", "一定", "不能", "目前", "科学", "证据",
     "安全", "它会", "下会", "不出", "担心", "饮食", "正确", "做法", "应立即", "立即", "尽快",
     "病毒", "预防", "感染", "风险", "所有", "出现", "进入", "有关", "发现", "关系", "关联",
     "疫苗", "接种", "服用", "治疗", "抢购", "更高", "增加", "减少", "有限", "很小", "时候",
     "进行", "改变", "保护", "才能", "不到", "不了", "表现", "原因", "医生", "指导", "地方")
)  # fmt: skip


def truth_words(truth: str, known: Sequence[str]) -> list[str]:
    """The words of a rumor's truth that a text restating it would use: meaning-bearing, of two
    characters or more, neither generic nor words of the rumor itself (`known`: its claim's
    words and keywords), for they are in a spreader's text too."""
    words: list[str] = []
    for word, tag in rjieba.tag(truth):
        word = word.strip()
        if (
            len(word) > 1
            and tag.startswith(_MEANING_TAGS)
            and word not in _FUNCTION_WORDS
            and word not in _GENERIC
            and word not in words
            and not any(word in k or k in word for k in known if k)
        ):
            words.append(word)
    return words


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
