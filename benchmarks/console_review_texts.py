"""The words of benchmarks/console_review.py's contents: subjects, title patterns, sentences,
headings, references, reviewers' comments, and the rumors and claims planted for the screener
to find (warnings, never blocks)."""

SUBJECTS = [
    ("流感疫苗", "medicine"), ("高血压", "medicine"), ("糖尿病", "medicine"),
    ("幽门螺杆菌", "medicine"), ("近视", "medicine"), ("阿尔茨海默病", "medicine"),
    ("心肌梗死", "medicine"), ("甲状腺结节", "medicine"), ("抗生素", "pharmacy"),
    ("布洛芬", "pharmacy"), ("维生素D", "nutrition"), ("膳食纤维", "nutrition"),
    ("隔夜菜", "food-science"), ("食品添加剂", "food-science"), ("手足口病", "public-health"),
    ("诺如病毒", "public-health"), ("焦虑情绪", "psychology"), ("睡眠不足", "psychology"),
    ("黑洞", "astronomy"), ("日全食", "astronomy"), ("火星探测", "astronomy"),
    ("量子纠缠", "physics"), ("超导", "physics"), ("激光", "physics"),
    ("锂电池", "energy"), ("核聚变", "energy"), ("光伏发电", "energy"),
    ("台风", "meteorology"), ("寒潮", "meteorology"), ("地震预警", "earth-science"),
    ("珊瑚礁白化", "ecology"), ("候鸟迁徙", "ecology"), ("微塑料", "environmental-science"),
    ("基因编辑", "biology"), ("线粒体", "biology"), ("杂交水稻", "agriculture"),
    ("大语言模型", "computing"), ("密码学", "mathematics"), ("电动车起火", "safety-science"),
]  # fmt: skip
PATTERNS = [
    "{s}的五个常见误区", "{s}是怎么回事？一文讲清楚", "一张图看懂{s}", "关于{s}，你需要知道的事",
    "{s}：科学家的最新发现", "为什么说{s}离我们并不遥远", "冬季如何正确看待{s}",
    "{s}的前世今生", "孩子问起{s}，家长可以这样回答", "听专家聊聊{s}",
    "{s}真的那么可怕吗？", "从{s}看科学研究的方法",
]  # fmt: skip
SENTENCES = [
    "研究人员对两千多名志愿者进行了长达十年的跟踪调查。",
    "结果显示，坚持规律作息的人群患病风险明显更低。",
    "需要注意的是，相关并不等于因果，单一研究的结论还需要更多证据支持。",
    "世界卫生组织建议，成年人每周至少进行150分钟中等强度的身体活动。",
    "这种现象其实早在一百多年前就被科学家观察到了。",
    "简单来说，它的原理和我们日常生活中烧开水有些相似。",
    "如果出现持续发热、胸闷等症状，应及时到正规医院就诊。",
    "目前，我国已经建立了覆盖全国的监测网络。",
    "很多人以为这只是老年人的问题，其实年轻人同样需要警惕。",
    "科学家利用卫星数据重建了过去四十年的变化过程。",
    "实验分为对照组和实验组，两组在年龄、性别上没有明显差异。",
    "这项成果发表在国际学术期刊上，引起了同行的广泛关注。",
    "日常生活中，我们可以从饮食、运动和睡眠三个方面入手。",
    "不过，任何药物都有适应证和禁忌证，请在医生指导下使用。",
    "打个比方，这就像在高速公路上设置了一个个收费站。",
    "数据表明，过去十年间相关病例数下降了约三成。",
    "值得一提的是，这项技术已经开始在多个城市试点应用。",
    "对于儿童和孕妇等特殊人群，建议咨询专业人士后再做决定。",
    "在显微镜下，我们可以清楚地看到细胞内部的结构。",
    "这也提醒我们，科学认识需要随着证据的积累不断更新。",
    "专家提醒，网上流传的很多说法缺乏依据，不要轻信转发。",
    "从能量守恒的角度看，这个过程并没有凭空产生能量。",
    "气象部门提醒公众关注最新预警信息，合理安排出行。",
    "保持室内通风、勤洗手，是预防呼吸道传染病的有效办法。",
]
HEADINGS = ["## 它是什么", "## 为什么会这样", "## 常见误区", "## 我们能做什么", "## 小结"]
REFERENCES = [
    ("流感防治指南（2025年版）", "https://example.org/guide"),
    ("中国居民膳食指南（2022）", "https://example.org/diet"),
    ("国家卫生健康委员会：健康科普知识", "https://example.org/nhc"),
    ("中国气象局：灾害性天气科普", "https://example.org/cma"),
    ("中国科学院：科普文章合集", "https://example.org/cas"),
    ("《自然》杂志相关研究论文", None),
]
COMMENTS = [
    "内容准确，表述清楚，同意发布。",
    "请补充数据来源，并修改第二段中过于绝对的说法。",
    "标题略有夸大，请改得平实一些。",
]
# Text the machine stage warns about (rumors of the default library, absolute health claims);
# kept only if the screener finds something and nothing that blocks.
PLANTED = [
    "很多人听说隔夜菜会致癌，这是真的吗？",
    "网上说微波炉加热的食物有辐射、会致癌。",
    "有人说螃蟹和柿子一起吃会中毒。",
    "据说吃味精会导致脱发、变笨。",
    "有商家宣称这个偏方包治百病。",
    "某些广告说每天吃三个鸡蛋能根治糖尿病。",
    "这种保健品号称百分之百有效。",
    "朋友圈里流传着喝醋能软化血管的说法。",
]
