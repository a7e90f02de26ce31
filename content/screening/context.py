"""Reading a health claim in its sentence: advice against stopping medicine (不要自行停药), a
doctor's guidance, a debunk or a report of what others claim, a hedged statement of how a disease
usually goes, a statistic with its source. The words are looked for in the clause and the sentence
of the claim, folded like everything screened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from content.screening.fold import normalize
from content.screening.rumors import AFFIRMING_RE, REFUTING_CUES

__all__ = ["CONTEXT_FAMILIES", "FAMILY_LABELS", "Reading", "read_claim"]

STOP_MEDICINE: Final = "stop_medicine"
DISEASE_GONE: Final = "disease_gone"
CURE_RATE: Final = "cure_rate"
# The families whose claims are read in their sentence; an operator's pattern filed under one of
# them is read by the same rules.
CONTEXT_FAMILIES: Final = frozenset({STOP_MEDICINE, DISEASE_GONE, CURE_RATE})
# How a reviewer reads the families' names in a message.
FAMILY_LABELS: Final = {STOP_MEDICINE: "停药换药", DISEASE_GONE: "疾病消失", CURE_RATE: "治愈率"}


class Reading(Enum):
    """What a claim found in a text is, read in its sentence."""

    claim = "claim"  # the text makes it: the family's severity
    reported = "reported"  # the text reports or refutes it: an info hint
    not_a_claim = "not_a_claim"  # the text advises against it, or states a fact: nothing


# A clause ends at these; a sentence at the second group (in the text as read).
_CLAUSE_END: Final = frozenset("，,；;：:")
_SENTENCE_END: Final = frozenset("。！？!?\n…")
_REACH: Final = 40  # characters read on either side, at most

# Denied right before the claim: 「保健食品不能代替药物」, 「糖尿病还无法根治」.
_DENIED_RE: Final = re.compile(
    "(?:无法|不能|不可能|难以|没法|不会|并非|不是|没有|不存在|并不|谈不上|不一定|未必|不可|"
    "不应|不宜|别想|没有任何|世上没有)[\u4e00-\u9fff]{0,6}$"
)
# Denied inside a claim whose words stand apart: 「高血压无法根治」.
_DENIED_INSIDE_RE: Final = re.compile("无法|不能|不会|不可能|难以|没法|未能|很难|不易|不一定|未必")
# The claim as someone else's: reported, advertised, warned against.
_DISTANCED_BEFORE_RE: Final = re.compile(
    "所谓|宣称|号称|声称|自称|网传|网上流传|流传|传言|谣传|听信|轻信|误信|迷信|据说|有人说|"
    "有人称|广告|吹嘘|鼓吹|忽悠|警惕|谨防|当心|别信|不要信|不要相信|切勿相信|别被|骗子"
)
_DISTANCED_AFTER_RE: Final = re.compile(
    "说法|说辞|宣传|广告|是假的|骗人|骗局|不可信|不靠谱|毫无依据|没有依据|缺乏依据|违法|夸大|"
    "误导|害人|别被骗|上当"
)
_REFUTING_RE: Final = re.compile("|".join(map(re.escape, sorted(REFUTING_CUES, key=len)[::-1])))

# Advice against stopping or changing medicine, anywhere in the clause before the verb.
_PROHIBITED_RE: Final = re.compile(
    "不要(?!再|吃|服|用|打)|不能|不可|不应|不宜|不得|不该|切勿|切莫|千万别|禁止|避免|不建议|不提倡|不推荐|不主张|"
    "(?<!不)别(?!吃|再|用|服)|勿|莫"
)
# A doctor decides: 「在医生指导下」, 「遵医嘱」, 「咨询医生」.
_DOCTOR_RE: Final = re.compile(
    "医生指导|医师指导|医嘱|遵医|咨询医生|咨询医师|请教医生|问医生|(?<!不用)(?<!别)听医生|在医生|"
    "经医生|由医生|医生决定|医生建议|医生根据|医生评估|医生同意|医生的指导|专科医生|主治医生|"
    "复查|就医|就诊"
)
# What stopping leads to, told after it: a warning, not advice.
_CONSEQUENCE_RE: Final = re.compile(
    "(?<![不没无])(?<!不会)(?<!不再)(?:导致|引起|引发|造成|诱发|加重|恶化|反弹|反复|复发|撤药反应|"
    "戒断|危险|危及|风险|后果|住院|抢救|得不偿失)"
)
# A disease's usual course, hedged: 「大多数可以痊愈」, 「早期发现可以治愈」.
_HEDGED_RE: Final = re.compile(
    "大多数|多数|大部分|部分|一般|通常|往往|有望|可能|少数|个别|早期|初期|有些|某些|一些|有的|"
    "不少|或许|也许|有机会"
)
_MEDICAL_RE: Final = re.compile(
    "手术|化疗|放疗|靶向|免疫治疗|规范治疗|正规治疗|规范化|系统治疗|综合治疗|介入|移植|医院|医生|临床"
)
# Selling it: with these, a medical word does not make a statement neutral.
_PROMOTED_RE: Final = re.compile(
    "我们|我院|本院|本中心|本品|本产品|本方|本疗法|这款|该产品|独家|祖传|秘方|偏方|特效|神奇|验证|"
    "退款|患者使用|用户"
)
# A rate with its source or its uncertainty, or of an established treatment.
_SOURCED_RE: Final = re.compile(
    "据|研究|统计|数据|试验|文献|报道|报告|指南|调查|论文|期刊|卫健委|卫生组织|疾控|约|大约|左右|"
    "将近|接近|平均|疫苗|手术|规范治疗|标准治疗|四联|三联|化疗|放疗"
)


@dataclass(frozen=True, slots=True)
class _Around:
    """The folded text around a claim: its clause and its sentence, before and after it."""

    clause_before: str
    sentence_before: str
    sentence_after: str
    beyond: str  # the sentence after and a little of the next one, where a debunk says so
    question: bool


def _around(text: str, start: int, end: int) -> _Around:
    lo = max(0, start - _REACH)
    clause_at = sentence_at = lo
    for i in range(start - 1, lo - 1, -1):
        ch = text[i]
        if ch in _SENTENCE_END:
            sentence_at = max(sentence_at, i + 1)
            clause_at = max(clause_at, i + 1)
            break
        if ch in _CLAUSE_END and clause_at == lo:
            clause_at = i + 1
    hi = min(len(text), end + _REACH)
    sentence_end = hi
    for i in range(end, hi):
        if text[i] in _SENTENCE_END:
            sentence_end = i
            break
    question = (sentence_end < len(text) and text[sentence_end] in "？?") or "吗" in text[
        end:sentence_end
    ]
    return _Around(
        clause_before=normalize(text[clause_at:start]),
        sentence_before=normalize(text[sentence_at:start]),
        sentence_after=normalize(text[end:sentence_end]),
        beyond=normalize(text[end : min(len(text), sentence_end + 16)]),
        question=question,
    )


def _refuted(around: _Around) -> bool:
    for part in (around.sentence_before, around.beyond):
        for match in _REFUTING_RE.finditer(part):
            if not any(
                a.start() <= match.start() < a.end()
                for a in AFFIRMING_RE.finditer(part, max(0, match.start() - 12))
            ):
                return True
    return False


def read_claim(family: str, text: str, start: int, end: int, claim: str) -> Reading:
    """How the claim `claim` (folded) of `family` at [start, end) of `text` (as read) reads."""
    around = _around(text, start, end)
    if _DENIED_RE.search(around.clause_before) or (
        family == DISEASE_GONE and _DENIED_INSIDE_RE.search(claim)
    ):
        return Reading.not_a_claim
    if family == STOP_MEDICINE and (
        _PROHIBITED_RE.search(around.clause_before + claim)
        or _DOCTOR_RE.search(around.sentence_before + claim + around.sentence_after)
        or _CONSEQUENCE_RE.search(around.sentence_after)
    ):
        return Reading.not_a_claim
    whole = around.sentence_before + claim + around.sentence_after
    if family == DISEASE_GONE and (
        _HEDGED_RE.search(around.sentence_before + claim)
        or (_MEDICAL_RE.search(whole) and not _PROMOTED_RE.search(whole))
    ):
        return Reading.not_a_claim
    if family == CURE_RATE and _SOURCED_RE.search(whole) and not _PROMOTED_RE.search(whole):
        return Reading.not_a_claim
    if (
        _DISTANCED_BEFORE_RE.search(around.sentence_before)
        or _DISTANCED_AFTER_RE.search(around.sentence_after)
        or _refuted(around)
        or around.question
    ):
        return Reading.reported
    return Reading.claim
