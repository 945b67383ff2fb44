"""Category (诉求类别), urgency (紧急程度) and subject from cue words in the compact transcript."""

from __future__ import annotations

import re

from worksheet.model import Category, Urgency

# (cue, weight); on a tie the earlier category in this table wins. The classes (RULES section 2):
# a safety hazard reported by phone (gas smell, fire risk, a building about to collapse) is a 举报/反映,
# whatever politeness words come with it; staff conduct at a window is a 投诉; asking someone to
# coordinate a stuck approval is a 求助; asking how an existing order stands is a 咨询.
CATEGORY_CUES: dict[Category, tuple[tuple[str, float], ...]] = {
    Category.REPORT: (("举报", 3), ("检举", 3), ("实名反映", 3), ("偷排", 2), ("偷偷排", 2), ("非法", 1),
                      ("无证经营", 2), ("违规", 1), ("黑诊所", 2), ("冒用", 1), ("收了", 1), ("冒充", 2), ("童工", 2), ("骗了", 1),
                      ("跑路", 1)),
    Category.COMPLAINT: (("投诉", 3), ("不满意", 2), ("乱收费", 2), ("乱检查", 2), ("乱摊派", 2), ("乱罚款", 2),
                         ("态度差", 2), ("态度很差", 2), ("态度恶劣", 2), ("推诿", 2), ("刁难", 2),
                         ("踢皮球", 2), ("吃拿卡要", 2), ("拖着不办", 2), ("没人管", 1), ("不作为", 2),
                         ("态度", 2), ("推来推去", 2), ("服务太差", 2), ("太差了", 1), ("不理人", 2),
                         ("玩手机", 1), ("说话很冲", 2), ("爱理不理", 2), ("门难进", 2), ("脸难看", 2),
                         ("不像话", 2), ("吵起来", 1), ("说的都不一样", 2), ("没人接", 1)),
    Category.SUGGESTION: (("建议", 3), ("提个意见", 3), ("意见", 1), ("希望能", 1), ("最好能", 1),
                          ("能不能考虑", 1), ("是不是可以", 1), ("改进", 1), ("希望多", 2)),
    Category.HELP: (("求助", 3), ("帮忙", 2), ("帮帮", 2), ("帮助", 1), ("反映问题", 2), ("反映一下", 1),
                    ("协调", 2), ("解决", 1), ("怎么办", 1), ("困难", 1), ("没办法", 1), ("救救", 2),
                    ("派人", 2), ("马上过来", 2), ("催一下", 2), ("推动", 2)),
    Category.CONSULTATION: (("咨询", 3), ("问一下", 2), ("问下", 1), ("请问", 1), ("政策", 1), ("怎么办理", 2),
                            ("如何办理", 2), ("需要什么材料", 2), ("什么条件", 1), ("流程", 1), ("查一下", 2),
                            ("进度", 2), ("办到哪", 2), ("想了解", 2), ("了解一下", 2), ("能不能申请", 2),
                            ("问问", 1), ("怎么申请", 2), ("怎么弄", 1), ("怎么交", 1), ("有没有", 1), ("需要哪些", 1),
                            ("进展", 2), ("怎么样了", 2), ("有结果", 2), ("哪里办", 2), ("去哪里", 1),
                            ("什么时候", 1), ("怎么规定", 2), ("哪个部门", 1), ("有人在管吗", 2), ("有人管吗", 2),
                            ("带什么", 2), ("需要审批吗", 2), ("能开", 1), ("吗", 0.5)),
}
# A hazard reported by phone: a smell of gas, a fire risk, something about to fall or collapse.
# Said with "帮忙" or "反映一下", it is still a report; an accident already under way with a call for
# rescue ("着火了 派人来") keeps its help cues (派人, 马上过来) and stays a help request.
HAZARD_CUES: tuple[tuple[str, float], ...] = (
    ("隐患", 3), ("煤气味", 3), ("燃气味", 3), ("天然气味", 3), ("天然气的味", 3), ("一股", 1), ("闻到", 2),
    ("有味道", 2), ("漏气", 2), ("消防通道", 2), ("私拉", 2), ("裂缝", 2), ("裂了", 2), ("要塌", 3),
    ("随时", 2), ("怕出事", 2), ("担心会", 1), ("摇摇欲坠", 3), ("砸到人", 2), ("安全措施", 2), ("刺鼻", 2),
    ("怪味", 2), ("煤气罐", 2), ("液化气罐", 2), ("塌下来", 3), ("变形", 1), ("吓人", 1), ("关在里面", 2),
    ("不敢开火", 2), ("油味", 1), ("着火", 1),
)
URGENT_CUES: tuple[tuple[str, float], ...] = (
    ("安全隐患", 3), ("紧急", 3), ("十万火急", 3), ("停产", 3), ("停工", 2), ("火灾", 3), ("着火", 3),
    ("起火", 3), ("泄漏", 3), ("泄露", 3), ("漏气", 3), ("爆炸", 3), ("坍塌", 3), ("垮塌", 3), ("塌方", 3),
    ("受伤", 3), ("危险", 2), ("群体", 2), ("堵门", 2), ("断水", 2), ("断电", 2), ("停电", 2), ("停水", 2),
    ("非常急", 2), ("特别急", 2), ("很急", 2),
)
# Unpaid wages (欠薪) is urgent when many workers are involved.
URGENT_PAIRS = ((("欠薪", "拖欠工资", "工资没发", "没发工资"), ("群体", "几十个", "上百", "工人都", "堵", "闹")),)
_NEGATION = ("不", "没", "没有", "不是", "无")


# "投诉的那个单子" names an earlier order, not what this call is: a cue followed by these is skipped.
_EARLIER = ("的那个", "的那件", "的单子", "的工单", "过的", "过那个")


def _find(text: str, cue: str) -> int:
    """First occurrence of `cue` that is neither negated nor about an earlier order, or -1."""
    at = text.find(cue)
    while at >= 0:
        if not any(text[max(0, at - len(n)):at] == n for n in _NEGATION) \
                and not text.startswith(_EARLIER, at + len(cue)):
            return at
        at = text.find(cue, at + 1)
    return -1


def _total(text: str, cues: tuple[tuple[str, float], ...]) -> tuple[float, tuple[int, int] | None]:
    """The summed weight of the un-negated cues found in `text`, and the first one's offsets."""
    total, first = 0.0, None
    for cue, weight in cues:
        at = _find(text, cue)
        if at >= 0:
            total += weight
            if first is None or at < first[0]:
                first = (at, at + len(cue))
    return total, first


def category(text: str) -> tuple[Category, float, tuple[int, int] | None]:
    scores: list[tuple[float, int, Category, tuple[int, int]]] = []
    hazard, hazard_at = _total(text, HAZARD_CUES)
    for rank, (cat, cues) in enumerate(CATEGORY_CUES.items()):
        total, first = _total(text, cues)
        if cat is Category.REPORT and hazard >= 2:
            total += hazard
            first = hazard_at if first is None or (hazard_at and hazard_at[0] < first[0]) else first
        if first:
            scores.append((total, -rank, cat, first))
    if not scores:
        return Category.HELP, 0.3, None
    scores.sort(reverse=True)
    best, _, cat, span = scores[0]
    share = best / sum(s[0] for s in scores)
    return cat, round(min(0.95, 0.35 + 0.15 * best) * (0.6 + 0.4 * share), 3), span


def urgency(text: str, cat: Category, cat_confidence: float = 1.0) -> tuple[Urgency, float, tuple[int, int] | None]:
    total, first = _total(text, URGENT_CUES)
    for subjects, amplifiers in URGENT_PAIRS:
        hits = [(text.find(s), s) for s in subjects if s in text]
        if hits and any(a in text for a in amplifiers):
            at, cue = min(hits)
            total += 3
            first = first if first and first[0] < at else (at, at + len(cue))
    if total >= 2:
        return Urgency.URGENT, min(0.95, 0.6 + 0.1 * total), first
    if cat is Category.REPORT:  # 举报: major hazards, handled as urgent (RULES section 2)
        return Urgency.URGENT, 0.6, None
    if total:
        return Urgency.NORMAL, 0.5, None
    # A question or a suggestion with no urgent word is rarely urgent; help requests and complaints
    # more often carry an urgency the words do not show, and a call whose category no cue named
    # (a hazard described in plain words) is the least certain.
    if cat_confidence < 0.5:
        return Urgency.NORMAL, 0.55, None
    return Urgency.NORMAL, 0.8 if cat in (Category.CONSULTATION, Category.SUGGESTION) else 0.7, None


_SPLIT = re.compile(r"[，。！？；,.!?;]|(?=你好|您好|我是|我们是|我叫|电话|手机|工单号|请问|想问|谢谢|麻烦)")
_INTRO = re.compile(r"^(喂|你好|您好|我是|我们是|我叫|电话|手机|联系|工单号|谢谢|麻烦|好的|对)")
_LEAD = re.compile(r"(请问|想问一下|想问下|想问|我想|我们想|我要|我们要|就是|然后|那个|嗯|呃|啊|是)+")


def clauses(text: str) -> list[tuple[int, int]]:
    """Offsets of the clauses of `text`, split at punctuation and at conversational markers."""
    out, start = [], 0
    for m in _SPLIT.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end() if m.end() > m.start() else m.start()
    if start < len(text):
        out.append((start, len(text)))
    return [(a, b) for a, b in out if b - a >= 2]


_SELF_INTRO = re.compile(
    r"(?:喂|你好|您好)*(?:我是|我们是|我这边是|这边是|我们这边是|我叫)"
    r"[^，。,.]{0,24}?(?:\u25a1+(?:公司|厂)?的?|公司的?|厂的?|的)(?:负责人|老板|会计|员工|经理)?"
)


def subject_clause(text: str, keywords: tuple[str, ...]) -> tuple[int, int] | None:
    """The clause naming the matter: most keyword characters, not a greeting or self-introduction."""
    candidates = []
    for a, b in clauses(text):
        intro = _SELF_INTRO.match(text, a, b)
        if intro and b - intro.end() >= 4:
            a = intro.end()
        lead = _LEAD.match(text, a, b)
        if lead and b - lead.end() >= 2:
            a = lead.end()
        candidates.append((a, b))
    if not candidates:
        return None

    def score(c: tuple[int, int]) -> tuple[float, int]:
        part = text[c[0]:c[1]]
        hits = sum(len(k) for k in keywords if k in part)
        return hits - (5 if _INTRO.match(part) else 0), c[1] - c[0]

    a, b = max(candidates, key=score)
    tail = _TAIL.search(text, a, b)
    return (a, tail.start()) if tail and tail.start() - a >= 2 else (a, b)


_TAIL = re.compile(r"(?:我的|我们的|我们|我|的|了|啊|吧)+$")
