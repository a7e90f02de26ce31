"""Natural Chinese text and a 10 000-term dictionary of real words, shared by the screening
benchmarks. Everything comes from a seeded RNG, so runs are comparable.

The text is made of whole sentences written in ordinary Chinese (the clean and debunking texts
of the labelled set, the truths of the default rumor library, and the paragraphs below), drawn
at random into documents of about 10 KB; one document in ten carries Markdown links, emphasis and
an entity, so the rendered-text path is timed too. The terms are real words and idioms of three
to six characters from pypinyin's phrase list, not random characters.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from pypinyin.phrases_dict import phrases_dict

from content.screening import DEFAULT_RUMORS, TermSpec

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "content" / "screening_set.jsonl"
DOC_CHARS = 3_400  # about 10 KB of UTF-8 per body, a long article

PARAGRAPHS = (
    "秋冬季是呼吸道传染病的高发季节。专家提醒，出现发热、咳嗽等症状时应及时就医，"
    "外出时佩戴口罩，回家后用流动水和肥皂洗手，室内要经常开窗通风。",
    "地震发生时，如果身处室内，应迅速躲到坚固的桌子下面或墙角，用手护住头部和颈部；"
    "如果在室外，要远离高楼、电线杆和广告牌，尽量到开阔地带。",
    "农作物秸秆还田可以增加土壤有机质，改善土壤结构。各地农技人员深入田间地头，"
    "指导农民科学施肥、合理用药，帮助大家提高产量、增加收入。",
    "碳达峰是指二氧化碳排放量达到历史最高值后逐步回落；碳中和是指通过植树造林、节能减排等方式，"
    "抵消自身产生的二氧化碳排放，实现正负抵消。",
    "人工智能正在改变我们的生活。从语音助手到自动驾驶，这些技术背后都离不开大量数据和算法。"
    "青少年可以从编程入门，培养计算思维。",
    "老年人使用智能手机时，要警惕陌生来电和短信中的链接，不要向陌生人透露银行卡号和验证码。"
    "遇到可疑情况，可以拨打反诈专线咨询。",
    "夏季高温天气，户外作业人员要做好防暑降温，避开正午时段，及时补充含盐的饮料。"
    "如果出现头晕、恶心等中暑症状，应立即转移到阴凉通风处。",
    "心理健康和身体健康同样重要。长期失眠、情绪低落、对事物失去兴趣时，"
    "可以向家人朋友倾诉，也可以寻求专业心理咨询师的帮助。",
    "我国空间站已经全面建成，航天员在轨开展了大量科学实验。"
    "这些实验涉及生命科学、材料科学、流体物理等多个领域。",
    "食品标签上的配料表按照用量从多到少排列，选购时可以看看排在前面的是什么，"
    "同时留意营养成分表中的能量、脂肪和钠的含量。",
)


def sentences() -> list[str]:
    pool = list(PARAGRAPHS)
    pool += [truth for _, _, _, truth, _ in DEFAULT_RUMORS]
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] in ("clean", "debunk"):
            pool.append(record["text"])
    return pool


def make_terms(rng: random.Random, count: int) -> list[TermSpec]:
    words = sorted(w for w in phrases_dict if 3 <= len(w) <= 6)
    severities = ["block"] * 2 + ["warn"] * 5 + ["info"] * 3
    categories = ["political", "illegal", "fraud", "medical_ad", "superstition"]
    chosen = rng.sample(words, min(count, len(words)))
    return [TermSpec(w, rng.choice(categories), rng.choice(severities)) for w in chosen]


def make_document(rng: random.Random, pool: list[str], terms: list[TermSpec]) -> str:
    markdown = rng.random() < 0.1
    parts: list[str] = []
    size = 0
    while size < DOC_CHARS:
        part = rng.choice(pool)
        if rng.random() < 0.01:  # now and then a dictionary term, sometimes disguised
            term = rng.choice(terms).term
            part = ("*".join(term) if rng.random() < 0.3 else term) + part
        if markdown and rng.random() < 0.2:
            part = f"[{part[:6]}](https://example.cn/a)**{part[6:12]}**&middot;{part[12:]}"
        parts.append(part)
        size += len(part)
    return "\n\n".join(parts) if markdown else "".join(parts)


def make_corpus(
    rng: random.Random, terms: list[TermSpec], megabytes: float
) -> list[dict[str, str]]:
    pool = sentences()
    corpus: list[dict[str, str]] = []
    total = 0
    while total < megabytes * 1_000_000:
        body = make_document(rng, pool, terms)
        fields = {
            "title": rng.choice(pool)[:24],
            "summary": rng.choice(pool)[:120],
            "body": body,
            "references": "" if rng.random() < 0.5 else "中国疾病预防控制中心. 健康提示, 2023.",
        }
        corpus.append(fields)
        total += sum(len(v.encode("utf-8")) for v in fields.values())
    return corpus
