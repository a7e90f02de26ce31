"""Absolute and exaggerated health and efficacy claims, as patterns over normalised text, and
the science statements that call for references."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["CLAIMS", "HEALTH_CLAIMS", "SCIENCE_MARKERS", "ClaimKind", "find_claims"]

# Patterns run over normalised text: simplified, lower case, punctuation and spaces gone (so
# "100%有效" reads "100有效").
_H = "[\u4e00-\u9fff]"  # one Chinese character
_N = "(?:\\d+|[一二两三四五六七八九十百千]+)"  # a number, in digits or in words
_EFFECT = "(?:有效|治愈|治好|痊愈|根治|根除|康复|见效|安全|成功|无毒|无害|天然|消失|长高|瘦)"
_PRODUCT = "(?:药|丸|片|胶囊|茶|液|霜|粉|膏|贴|仪|产品|保健品|疗法|偏方|秘方|配方|疗效|神器|补品)"


@dataclass(frozen=True, slots=True)
class ClaimKind:
    """A kind of absolute claim and what the creator should write instead.

    Every match of `pattern` contains one of `anchors`: the screener finds the anchors in its
    one pass over the text and runs the pattern only around them (a pattern of many alternatives
    run over a whole text reads a few MB/s, too slow for the dictionary's throughput target).
    """

    name: str
    pattern: str
    advice: str
    anchors: str  # separated by spaces
    # Read in its sentence (context.py) rather than only checked for a denial just before it.
    in_context: bool = False

    @property
    def anchor_words(self) -> list[str]:
        return self.anchors.split()


CODE_CLAIMS: Final[tuple[ClaimKind, ...]] = (
    ClaimKind(
        "cure",
        f"根治(?!率)|根除(?!率)|断根|除根|药到病除|彻底(?:治愈|治好|痊愈|根除|康复|消除)"
        f"|一次(?:治愈|治好|根治|见效)|(?:治愈|治好)(?:所有|一切|各种)"
        f"|(?:永不|永远不|绝不|再也不|不再|终身不|一辈子不){_H}{{0,2}}(?:复发|反弹|生病|得病|得癌)"
        f"|终身不用{_H}{{0,2}}(?:吃药|服药|打针)|告别(?:胰岛素|降压药|药物|吃药)",
        "疾病能否治愈因人而异，请删除「根治」「永不复发」一类的保证，改为有依据、有限定的说法",
        "根治 根除 断根 除根 药到病除 彻底 一次 所有 一切 各种 复发 反弹 生病 得病 得癌"
        " 吃药 服药 打针 告别",
    ),
    ClaimKind(
        "panacea",
        f"包治|包好|治百病|百病全消|百病不侵|万能药|神药|神效|奇效|灵丹妙药"
        f"|对(?:各种|所有|一切|任何){_H}{{1,6}}(?:都|均)?有效|人人适用|老少皆宜",
        "没有一种药或产品对所有疾病、所有人都有效，请删除这类宣称，写明适用范围",
        "包治 包好 治百病 百病 万能药 神药 神效 奇效 灵丹妙药 有效 人人适用 老少皆宜",
    ),
    ClaimKind(
        "no_risk",
        "(?:无|零|毫无|绝无|没有任何|无任何|没有一点|不含任何|没有丝毫)"
        "(?:副作用|毒副作用|不良反应|风险|伤害|依赖)|绝对安全|安全无害|无毒无害",
        "任何药物和疗法都可能有风险或副作用，请删除「零风险」「无副作用」一类的说法，如实说明可能的风险",
        "副作用 不良反应 风险 伤害 依赖 绝对安全 安全无害 无毒无害",
    ),
    ClaimKind(
        "guarantee",
        f"(?:100|百分之百|百分之一百|百分百){_H}{{0,2}}{_EFFECT}"
        f"|保证{_H}{{0,6}}{_EFFECT}|保你|无效退款|不见效{_H}{{0,2}}退款",
        "效果不能打包票，请删除百分之百有效、保证治愈等说法；如有数据，请注明出处和研究条件",
        "100 百分之百 百分之一百 百分百 保证 保你 退款",
    ),
    ClaimKind(
        "superlative",
        f"(?:最|史上最|世界上最)(?:有效|好|佳|安全|强|快|先进|权威|灵|神奇){_H}{{0,4}}{_PRODUCT}"
        f"|(?:全国|国内|全球|世界|行业|销量|疗效|效果|全网|亚洲)第一"
        f"(?!批|个|颗|位|次|名|步|时间|座|条|家|所|代|届|例|台|部|架|艘|款|只|项|期)",
        "「最」「第一」等绝对化用语不能用来宣传药品、保健品和疗法，请改为客观、可核实的表述",
        "最有效 最好 最佳 最安全 最强 最快 最先进 最权威 最灵 最神奇 第一",
    ),
    ClaimKind(
        "fast_result",
        f"立竿见影|(?:立刻|立即|马上|当天|当场)(?:见效|痊愈|治好|恢复正常)"
        f"|{_N}(?:天|日|周|个月|分钟|小时)(?:见效|治愈|痊愈|根治|根除|治好|康复|瘦{_N})"
        f"|不打针不吃药|不节食不运动|不用(?:吃药|打针|手术)(?:就|也)?能"
        f"|(?:效果|疗效|效力)是{_H}{{1,6}}的{_N}倍|强{_N}倍",
        "疗效和见效时间因人而异，请删除「几天见效」「强百倍」一类的夸大说法",
        "立竿见影 见效 痊愈 治好 恢复正常 治愈 根治 根除 康复 瘦 不打针不吃药 不节食不运动 不用 倍",
    ),
)

# The claims that endanger health: advice to stop or replace prescribed medicine, promises that a
# disease or a tumour goes away, high cure rates. Each is read in its sentence (context.py): advice
# against stopping (不要自行停药), a doctor's guidance, a debunk, a hedged or sourced statement are
# not claims.
_MED = (
    "(?:胰岛素|激素|他汀|二甲双胍|华法林|阿司匹林|甲状腺素片?|优甲乐|抗生素|化疗|透析|喷雾剂?"
    "|吸入剂|(?:降压|降糖|降脂|抗凝|抗病毒|抗抑郁|抗癫痫|癫痫|抗癌|靶向|处方|西|中)?(?:药物|药片|药))"
)
_CEASE = (
    "(?:停药|断药|撤药|减药|换药|停用|停服|停掉|停了|断掉|断了|扔掉|扔了|丢掉|丢了|换掉|撤掉|戒掉"
    "|甩掉|不吃了|别吃了|不用吃了|不用再吃|不必再吃|不用再用|不必吃|无需再?吃|不需要再?吃|没必要再?吃)"
)
_ENABLE = "(?:可以|可|能|就|不如|建议|赶紧|马上|直接|果断|已经|早点|最好|干脆|完全|不妨|大胆|放心)"
_NO_NEED = "(?:不用|不必|无需|无须|不需要|没必要|用不着)"
_TAKE = "(?:吃|服|服用|用|打)"
_REPLACE = "(?:代替|替代|取代|顶替|替换)"
_DISEASES = (
    "肿瘤 肿块 癌细胞 癌症 癌 瘤 结节 囊肿 息肉 增生 斑块 血栓 白斑 糖尿病 高血压 高血脂 冠心病"
    " 痛风 哮喘 乙肝 艾滋病 帕金森病 帕金森 老年痴呆 痴呆 阿尔茨海默病 阿尔茨海默 癫痫"
    " 红斑狼疮 银屑病 牛皮癣 白癜风 类风湿 抑郁症 自闭症 尿毒症 肝硬化 白血病 三高 绝症 顽疾 病根"
)
_DISEASE = f"(?:{'|'.join(_DISEASES.split())})"
_GONE = (
    "(?:自愈|自己好|自己就好|化掉|化了|化开|溶解|融化|散了|散掉|消散|没了|不见了|饿死|逆转|断根"
    "|除根|无影无踪|再也不长|再也找不到|不复存在|消失|消退|消除|消灭|清除|根除|根治|痊愈|治愈|治好"
    "|彻底好|好了|恢复正常|康复)"
)
_REMOVE = "(?:治愈|根治|逆转|消除|消灭|清除|溶解|化掉|饿死|杀死|杀灭|告别|摆脱|赶走|治好)"
_RATES = (
    "治愈 痊愈 显效 总有效 临床治愈 好转 康复 治好 有效 成功 改善 转黑 转阴 缓解 见效 恢复 控制"
    " 消退 逆转 根除"
)
_RATE = f"(?:{'|'.join(_RATES.split())})率"
_HIGH = "(?:100|[89]\\d|百分之(?:百|一百|[八九]十)|百分百|[八九十]成)"

HEALTH_CLAIMS: Final[tuple[ClaimKind, ...]] = (
    ClaimKind(
        "stop_medicine",
        f"{_MED}{_H}{{0,8}}?{_CEASE}|{_MED}{_H}{{0,20}}?{_ENABLE}{_H}{{0,3}}?(?:停掉|断掉|停了)"
        f"|{_ENABLE}{_H}{{0,3}}?(?:停药|断药|撤药)(?!后|期间|时|以后|之后|反应|综合征)"
        f"|(?:停掉|停用|停服|停|断掉|扔掉|戒掉|撤掉|换掉){_H}{{0,2}}?{_MED}"
        f"|{_NO_NEED}再?{_TAKE}?{_MED}|(?:别|不要)再{_TAKE}?{_MED}|(?:别|不要){_TAKE}{_MED}"
        f"|{_REPLACE}{_H}{{0,4}}?{_MED}|{_MED}{_H}{{0,3}}?(?:换成|换用|改成)",
        "这是在劝读者停用或替换医生开的药。擅自停药、换药可能让病情反复甚至危及生命；请删除这类建议，"
        "或改为「用药调整请遵医嘱」",
        "药 胰岛素 激素 他汀 二甲双胍 华法林 阿司匹林 甲状腺素 优甲乐 抗生素 化疗 透析 喷雾 吸入剂",
        in_context=True,
    ),
    ClaimKind(
        "disease_gone",
        f"{_DISEASE}{_H}{{0,10}}?{_GONE}|{_REMOVE}(?:了|掉)?{_H}{{0,3}}?{_DISEASE}",
        "这是在承诺疾病或肿瘤会消失、痊愈。没有哪种产品或方法能保证这样的结果，这类承诺会让患者延误正规"
        "治疗；请删除，或如实写明适用条件和证据来源",
        _DISEASES,
        in_context=True,
    ),
    ClaimKind(
        "cure_rate",
        f"{_RATE}{_H}{{0,4}}?{_HIGH}|{_HIGH}{_H}{{0,2}}?{_RATE}|治一个好一个",
        "这里宣称了很高的治愈率或有效率，这类数字常被用来做虚假宣传。如有依据，请注明研究出处、样本和"
        "条件，否则请删除",
        " ".join(f"{word}率" for word in _RATES.split()) + " 治一个好一个",
        in_context=True,
    ),
)

CLAIMS: Final[tuple[ClaimKind, ...]] = (*CODE_CLAIMS, *HEALTH_CLAIMS)

# The older families are searched together; each health family apart, only around its own anchors:
# their patterns are the costlier, and their anchors (药, 癌) the more frequent.
_CODE_RE: Final = re.compile("|".join(f"(?P<{k.name}>{k.pattern})" for k in CODE_CLAIMS))
_HEALTH_RES: Final = tuple(re.compile(f"(?P<{k.name}>{k.pattern})") for k in HEALTH_CLAIMS)
_BY_NAME: Final = {k.name: k for k in CLAIMS}

# Denials and distancing just before a claim: the text talks about the claim, it does not make it.
_DENIED_RE: Final = re.compile(
    "(?:无法|不能|不可能|难以|没法|不会|并非|不是|没有|不存在|并不|谈不上|所谓|宣称|号称|声称|"
    "自称|警惕|谨防|别信|不要相信|不要轻信|切勿相信|虚假|世上没有)"
    f"{_H}{{0,4}}$"
)
_DENIAL_WINDOW: Final = 12

# Words that state a scientific finding; with a percentage, they call for references.
SCIENCE_MARKERS: Final[tuple[str, ...]] = (
    "研究表明", "研究发现", "研究显示", "研究证实", "实验证明", "实验表明", "试验表明", "数据显示",
    "数据表明", "据统计", "统计显示", "调查显示", "科学家", "临床试验", "百分之",
)  # fmt: skip


# How far a claim reaches before and after its anchor, in normalised characters, with room to
# spare (the longest, 「效果是化疗的10倍」, ends in its anchor a dozen characters after its start).
_REACH: Final = 16
# After it: the longest, advice to stop a medicine named twenty characters before (「降压药…不如
# 现在就停掉」), ends some 35 characters after its anchor.
_REACH_AFTER: Final = 40


def _windows(anchors: Iterable[int], after: int) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for at in sorted(anchors):
        lo, hi = max(0, at - _REACH), at + after
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def find_claims(
    norm: str, anchors: Iterable[int], health_anchors: Mapping[int, Iterable[int]] | None = None
) -> list[tuple[int, int, ClaimKind]]:
    """(start, end, kind) of each claim in normalised text; claims of the older families denied
    just before are left out (the health families are read in context by the screener).
    `anchors`: where the anchors of `CODE_CLAIMS` stand; `health_anchors`: by index in
    `HEALTH_CLAIMS`, where its anchors stand."""
    found: list[tuple[int, int, ClaimKind]] = []
    searches = [(_CODE_RE, anchors, _REACH + 8)]  # 8: the longest anchor
    for index, at in (health_anchors or {}).items():
        searches.append((_HEALTH_RES[index], at, _REACH_AFTER))
    for pattern, at, after in searches:
        for lo, hi in _windows(at, after):
            for match in pattern.finditer(norm, lo, hi):
                start = match.start()
                assert match.lastgroup is not None
                kind = _BY_NAME[match.lastgroup]
                denied = _DENIED_RE.search(norm, max(0, start - _DENIAL_WINDOW), start)
                if denied and not kind.in_context:
                    continue
                found.append((start, match.end(), kind))
    found.sort(key=lambda claim: (claim[0], claim[1]))
    # One claim per place: where a health claim and an older one overlap, the first found stays.
    kept: list[tuple[int, int, ClaimKind]] = []
    for claim in found:
        if not any(s < claim[1] and claim[0] < e for s, e, _ in kept):
            kept.append(claim)
    return kept
