"""Natural Chinese text and a 10 000-term dictionary of real words, shared by the screening
benchmarks. Everything comes from a seeded RNG, so runs are comparable.

The text is made of whole sentences written in ordinary Chinese, drawn at random into documents
of about 10 KB: by default one in five is about rumors and claims (the clean and debunking texts
of the labelled set, the truths of the default rumor library), which sets off the rumor and claim
checks far more often than real articles do, the rest general science popularization (the
paragraphs below). One document in ten carries Markdown links, emphasis and an entity, so the
rendered-text path is timed too. The terms are real words and idioms of three
to six characters from pypinyin's phrase list, not random characters, and not words the sentences
already contain; one sentence in a hundred carries one, a third of them spread out by separators.
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
    "月球表面布满了大大小小的撞击坑，这是数十亿年来小天体撞击留下的痕迹。因为没有大气层，"
    "月球上昼夜温差可以超过三百摄氏度。",
    "水稻从播种到收获要经历育秧、插秧、分蘖、抽穗、灌浆等阶段。每个阶段对水分和养分的需求不同，"
    "科学管理才能稳产增产。",
    "雷雨天气时，不要在大树下、电线杆旁避雨，也不要在空旷地带打伞。如果感到头发竖起，"
    "应立即蹲下，双脚并拢，减少跨步电压的危害。",
    "光合作用是植物利用光能，把二氧化碳和水转化为有机物并释放氧气的过程，"
    "它是地球上几乎所有生命能量的来源。",
    "血压是血液流动时对血管壁产生的压力。测量血压前应静坐五分钟，袖带与心脏保持同一高度，"
    "连续测量两到三次取平均值。",
    "家用燃气泄漏时，要立即关闭燃气阀门，打开门窗通风，千万不要开关电器或使用明火，"
    "到室外安全的地方再打电话报警。",
    "新能源汽车的动力电池需要定期检查，充电时尽量使用正规充电桩，避免长时间满电停放，"
    "夏季不要在烈日下暴晒。",
    "候鸟每年春秋两季长途迁徙，它们依靠太阳、星辰和地磁场辨别方向。保护湿地，"
    "就是保护候鸟的加油站。",
    "儿童近视的发生与长时间近距离用眼、户外活动不足有关。每天在户外活动两小时，"
    "可以有效延缓近视的发生。",
    "土壤酸化会影响作物生长。施用石灰、增施有机肥、合理轮作，都是改良酸化土壤的常用办法，"
    "农民朋友可以咨询当地农技站。",
    "北斗卫星导航系统由三十多颗卫星组成，能够为全球用户提供定位、导航和授时服务，"
    "在交通运输、农业、救灾等领域广泛应用。",
    "合理膳食要做到食物多样，谷类为主，多吃蔬菜水果和奶类，适量吃鱼禽蛋瘦肉，少盐少油，控糖限酒。",
    "台风来临前，要检查门窗是否牢固，收起阳台上的杂物，备好饮用水、食物和手电筒，尽量减少外出。",
    "垃圾分类可以减少填埋和焚烧的垃圾量。厨余垃圾可以堆肥，可回收物可以再利用，"
    "有害垃圾需要专门处理。",
    "冬季使用煤炉取暖要注意通风，安装烟囱并定期清理，睡前最好熄灭炉火，预防一氧化碳中毒。",
    "大熊猫主要以竹子为食，每天要花十几个小时进食。经过多年保护，野生大熊猫数量稳步增长，"
    "受威胁等级已经下调。",
    "工厂车间里的噪声长期超标会损伤听力。工人应按规定佩戴耳塞或耳罩，"
    "企业也要定期组织职业健康检查。",
    "科学家利用基因测序技术，可以快速查明病原体的种类，为疾病防控赢得时间。",
    "常见的感冒多由病毒引起，一般一周左右可以自愈，注意休息、多喝水，"
    "症状加重或持续发热时应及时就医。",
    "无人机在农业上可以用于喷洒农药、监测作物长势，大大减轻了劳动强度，"
    "但操作人员要经过培训并遵守飞行规定。",
    "溺水往往发生在很短的时间内，而且常常没有呼救声。孩子游泳要有大人看护，"
    "不要到没有安全设施的野外水域游泳。",
    "电动自行车要到正规商店购买合格产品，不要私自改装，不要把电池带回家中充电，"
    "更不要在楼道里停放和充电。",
    "睡眠对记忆的巩固非常重要。青少年每天应保证八到十小时的睡眠，睡前一小时尽量不看手机。",
    "我国的高速铁路运营里程世界领先，列车运行平稳，能耗低，方便了人们出行，也带动了沿线经济发展。",
    "秸秆焚烧会造成空气污染，还可能引发火灾。把秸秆粉碎还田、制成饲料或生物质燃料，"
    "是更好的利用方式。",
)


def rumor_talk() -> list[str]:
    """Sentences about rumors and claims: the truths of the library and the clean and debunking
    texts of the labelled set."""
    pool = [truth for _, _, _, truth, _ in DEFAULT_RUMORS]
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] in ("clean", "debunk"):
            pool.append(record["text"])
    return pool


def make_terms(rng: random.Random, count: int) -> list[TermSpec]:
    # Not words the sentences already hold: a sensitive-term list does not list 二氧化碳, and every
    # article would be full of findings. Terms reach the text by being planted (see below).
    text = "".join(PARAGRAPHS) + "".join(rumor_talk())
    words = sorted(w for w in phrases_dict if 3 <= len(w) <= 6 and w not in text)
    severities = ["block"] * 2 + ["warn"] * 5 + ["info"] * 3
    categories = ["political", "illegal", "fraud", "medical_ad", "superstition"]
    chosen = rng.sample(words, min(count, len(words)))
    return [TermSpec(w, rng.choice(categories), rng.choice(severities)) for w in chosen]


def make_document(
    rng: random.Random, rumors: list[str], terms: list[TermSpec], rumor_share: float
) -> str:
    markdown = rng.random() < 0.1
    parts: list[str] = []
    size = 0
    while size < DOC_CHARS:
        part = rng.choice(rumors if rng.random() < rumor_share else PARAGRAPHS)
        if rng.random() < 0.01:  # now and then a dictionary term, sometimes disguised
            term = rng.choice(terms).term
            part = ("*".join(term) if rng.random() < 0.3 else term) + part
        if markdown and rng.random() < 0.2:
            part = f"[{part[:6]}](https://example.cn/a)**{part[6:12]}**&middot;{part[12:]}"
        parts.append(part)
        size += len(part)
    return "\n\n".join(parts) if markdown else "".join(parts)


def make_corpus(
    rng: random.Random, terms: list[TermSpec], megabytes: float, rumor_share: float = 0.2
) -> list[dict[str, str]]:
    """Documents of sentences, `rumor_share` of them about rumors and claims, the rest general
    science popularization."""
    rumors = rumor_talk()
    corpus: list[dict[str, str]] = []
    total = 0
    while total < megabytes * 1_000_000:
        body = make_document(rng, rumors, terms, rumor_share)
        fields = {
            "title": rng.choice(PARAGRAPHS)[:24],
            "summary": rng.choice(PARAGRAPHS)[:120],
            "body": body,
            "references": "" if rng.random() < 0.5 else "中国疾病预防控制中心. 健康提示, 2023.",
        }
        corpus.append(fields)
        total += sum(len(v.encode("utf-8")) for v in fields.values())
    return corpus
