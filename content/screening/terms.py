"""Dictionary matching: the entries operators keep, the default list, the phrases that contain a
term by accident, and the rule that tells an evader's separators from the punctuation of prose."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from content.models import Severity
from content.screening.fold import BOUNDARY, PARAGRAPH_RE

__all__ = ["DEFAULT_ALLOW", "DEFAULT_TERMS", "MAX_GAP", "TermSpec", "spread_is_evasion"]

# A term whose characters are further apart than this (in characters of the text as read, where
# invisible characters are already gone) is two words of prose, not an evasion: it also bounds
# the work on a body made of separators.
MAX_GAP: Final = 12

# Marks that prose never puts inside a word and an evader does: an empty pair of brackets or
# quotes (法()轮功, 法「」轮功) and an ellipsis (法…轮功). Taken out of a gap before it is judged.
_FILLER_RE: Final = re.compile(
    "[(（\\[［{｛「『【〔〖《〈<＜“‘\"']\\s*[)）\\]］}｝」』】〕〗》〉>＞”’\"']"
    "|[…⋯‥]+|。{2,}|\\.{2,}"
)


def _ends_a_word(gap: str) -> bool:
    """Whether `gap`, between two characters of a term, is a word boundary of prose."""
    if PARAGRAPH_RE.search(gap):
        return True
    return bool(BOUNDARY.intersection(_FILLER_RE.sub("", gap)))


@dataclass(frozen=True, slots=True)
class TermSpec:
    """A dictionary entry. `severity` may be given as its plain value (a CSV row, a test).

    `pinyin`: also match the term spelt in pinyin and written with homophones (发轮功), for terms
    of three or more Chinese characters; shorter ones have too many innocent homophones (太毒).
    """

    term: str
    category: str
    severity: Severity
    pinyin: bool = False

    def __post_init__(self) -> None:
        if not self.term.strip():
            raise ValueError("a screening term must not be empty")
        try:
            severity = Severity(self.severity)
        except ValueError:
            raise ValueError(
                f"severity must be one of {', '.join(Severity)}: {self.severity!r}"
            ) from None
        object.__setattr__(self, "severity", severity)


def spread_is_evasion(text: str, positions: list[int]) -> bool:
    """Whether a term found at `positions` (one source position per matched character) is really
    there, given what stands between its characters in `text`.

    Nothing between them, or only filler (spaces, line breaks, symbols, emoji, ellipses, empty
    brackets, letters or digits of another script): an evasion. Clause or quotation punctuation
    or a paragraph's end between them: prose, unless something stands between every two
    characters of a term of three or more (「法，轮，功」): prose never does.
    """
    gaps = [text[a + 1 : b] for a, b in pairwise(positions)]
    if not any(gaps):
        return True
    if any(len(gap) > MAX_GAP for gap in gaps):
        return False
    if not any(_ends_a_word(gap) for gap in gaps):
        return True
    return len(positions) >= 3 and all(gaps)


DEFAULT_TERMS: Final[list[TermSpec]] = [
    # Political: separatism and banned cults block at once; the cults' names are also matched in
    # pinyin and homophones, the commonest way to slip them past a word list.
    TermSpec("法轮功", "political", Severity.block, pinyin=True),
    TermSpec("法轮大法", "political", Severity.block, pinyin=True),
    TermSpec("Falun Gong", "political", Severity.block),
    TermSpec("全能神", "political", Severity.block, pinyin=True),
    TermSpec("台独", "political", Severity.block),
    TermSpec("藏独", "political", Severity.block),
    TermSpec("疆独", "political", Severity.block),
    TermSpec("港独", "political", Severity.block),
    TermSpec("台湾独立", "political", Severity.block),
    TermSpec("西藏独立", "political", Severity.block),
    TermSpec("新疆独立", "political", Severity.block),
    TermSpec("香港独立", "political", Severity.block),
    # "邪教" alone is a hint only: anti-cult science (反邪教科普) uses the word all the time.
    TermSpec("邪教", "political", Severity.info),
    # Illegal trade.
    TermSpec("赌博网站", "illegal", Severity.block),
    TermSpec("网络赌场", "illegal", Severity.block),
    TermSpec("冰毒购买", "illegal", Severity.block),
    TermSpec("购买冰毒", "illegal", Severity.block),
    TermSpec("出售冰毒", "illegal", Severity.block),
    TermSpec("海洛因出售", "illegal", Severity.block),
    TermSpec("出售海洛因", "illegal", Severity.block),
    TermSpec("出售枪支", "illegal", Severity.block),
    TermSpec("办理假证", "illegal", Severity.block),
    TermSpec("代开发票", "illegal", Severity.warn),
    # Fraud and medical advertising.
    TermSpec("祖传秘方", "fraud", Severity.warn),
    TermSpec("稳赚不赔", "fraud", Severity.warn),
    TermSpec("高额回报", "fraud", Severity.warn),
    TermSpec("量子保健", "fraud", Severity.warn),
    TermSpec("量子养生", "fraud", Severity.warn),
    TermSpec("特效药", "medical_ad", Severity.warn),
    TermSpec("排毒养颜", "medical_ad", Severity.warn),
    TermSpec("抗癌保健品", "medical_ad", Severity.warn),
    TermSpec("干细胞美容", "medical_ad", Severity.warn),
    # Pseudoscience and superstition: mostly hints, since debunking them is our job.
    TermSpec("量子波动速读", "pseudoscience", Severity.warn),
    TermSpec("水知道答案", "pseudoscience", Severity.info),
    TermSpec("风水改运", "superstition", Severity.warn),
    TermSpec("转运符", "superstition", Severity.warn),
    TermSpec("开光", "superstition", Severity.info),
    TermSpec("算命", "superstition", Severity.info),
]

# Words that begin with 独 (独特, 独有, 独家 …): a place or a word ending in 台/藏/疆/港 followed by
# one of them holds a two-character separatist term across a word boundary (新疆独特, 平台独家).
_DU_WORDS: Final = "特有家具创到资自享占白处奏唱舞门步居身秀行"
_ENDS_IN_TAI: Final = ("平台", "舞台", "阳台", "后台", "前台", "电台", "讲台", "站台", "柜台",
                       "窗台", "天台", "灶台", "月台", "展台", "看台", "吧台", "擂台")  # fmt: skip
_ENDS_IN_ZANG: Final = ("西藏", "收藏", "宝藏", "珍藏", "冷藏", "储藏", "馆藏", "典藏", "隐藏")

# Innocent phrases that contain a short dictionary term across a word boundary. A dictionary
# match lying wholly inside one of them is dropped.
DEFAULT_ALLOW: Final[tuple[str, ...]] = (
    *(word + "独" for word in _ENDS_IN_TAI),
    *(word + "独" for word in _ENDS_IN_ZANG[1:]),
    *(place + "独" + w for place in ("新疆", "西藏", "香港") for w in _DU_WORDS),
)
