"""The contact person (联系人) a caller or a letter names: "联系人：王经理", "我姓李", "我是张伟".

Only a common surname starts a name, and a name must end where the sentence does (punctuation, a
verb such as 想/要/打, "电话"), so "我是想问", "我是绵阳华翔物流有限公司" and "我是江油的" name nobody.
A caller who corrects the name ("我是张伟 哦说错了 我是张炜", "我叫刘洋 不是 我叫刘阳") means the later one.
"""

from __future__ import annotations

import re

from .numbers import CORRECTION

# The most common Chinese surnames (about 85% of people); rare ones are left out on purpose, since
# each is also an everyday character that would start false names.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯史陶黎贺顾毛郝龚邵钱严覃戴莫孔汤")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "慕容", "皇甫", "令狐", "夏侯", "尉迟", "公孙", "端木")
TITLES = ("总经理", "经理", "先生", "女士", "小姐", "主任", "老师", "师傅", "会计", "科长", "部长", "厂长", "处长",
          "老板", "书记", "律师", "医生", "总", "工")
_TITLE = re.compile("|".join(TITLES))
_END = re.compile(r"$|[，。,.！!？?；;、：:\s]|电话|手机|联系|想|要|来|打|在|啊|呀|呢|哈|这边|我们|号码")
_NOT_PLACE = re.compile(r"[区市县省镇村乡局厂店司街路]$")

# (cue, confidence, kind): a labelled contact is surer than a self-introduction; "titled" cues
# name a person only with a title ("我是华翔物流的王经理"), "surname" ones by the surname alone ("我姓李").
CUES: tuple[tuple[re.Pattern[str], float, str], ...] = (
    (re.compile(r"联系人(?:是|为|写|填|[：:])?"), 0.8, "name"),
    (re.compile(r"(?:我叫|我的名字是|我名字叫|叫我)"), 0.6, "name"),
    (re.compile(r"(?:我是|我这边是|这边是)"), 0.5, "name"),
    # "我是华翔物流的王经理" / "…的张伟"; "我是采购曹经理" (a role, then a titled name).
    (re.compile(r"(?:我是|我这边是|这边是|我们是)[^，。,.!?！？；;\s]{2,16}?的"), 0.5, "name"),
    (re.compile(r"(?:我是|我这边是|这边是)(?:(?![想问找说要请让给和跟])[\u4e00-\u9fff]){1,4}?(?=[小老]?[" + SURNAMES + "])"),
     0.45, "titled"),
    (re.compile(r"我姓|免贵姓|(?<![贵您])姓(?![名氏])"), 0.5, "surname"),
)
_TAKES_BACK = re.compile(CORRECTION.pattern + "|不是")


def _ends(text: str, at: int, breaks: frozenset[int], labelled: bool) -> bool:
    """A name may end at ``at``: the sentence goes on with punctuation, a verb or "电话", or (in a
    transcript) the ASR put a word boundary there."""
    return at in breaks or bool(_END.match(text, at)) or (labelled and text.startswith("的", at))


def _surname(text: str, at: int) -> int:
    """The length of the surname at ``at`` (0 when none starts there)."""
    if text.startswith(COMPOUND_SURNAMES, at):
        return 2
    return 1 if at < len(text) and text[at] in SURNAMES else 0


def _name_at(text: str, at: int, kind: str, breaks: frozenset[int], labelled: bool) -> str | None:
    if kind != "surname" and text.startswith(("小", "老"), at) and _surname(text, at + 1) == 1 \
            and _ends(text, at + 2, breaks, labelled):
        return text[at:at + 2]  # "小李", "老王": how colleagues are known
    if not (family := _surname(text, at)):
        return None
    if kind == "surname":
        return text[at:at + family] if _ends(text, at + family, breaks, labelled) else None
    if (title := _TITLE.match(text, at + family)) and _ends(text, title.end(), breaks, True):
        return text[at:title.end()]
    if kind == "titled":
        return None
    for size in (family + 1, family + 2):  # a given name of one or two characters
        name = text[at:at + size]
        if len(name) == size and all("\u4e00" <= ch <= "\u9fff" for ch in name) \
                and _ends(text, at + size, breaks, labelled) and not _NOT_PLACE.search(name):
            return name
    return None


def find_contact(text: str, breaks: frozenset[int] = frozenset()) -> tuple[str, float, tuple[int, int]] | None:
    """The contact's name (as said: "王经理", "张伟", or the surname alone), a confidence and its span.

    ``breaks`` are offsets where a transcript had a space between words (the text itself is compact)."""
    found: list[tuple[str, float, tuple[int, int]]] = []
    for cue, confidence, kind in CUES:
        for m in cue.finditer(text):
            if name := _name_at(text, m.end(), kind, breaks, confidence >= 0.8):
                found.append((name, confidence, (m.end(), m.end() + len(name))))
    if not found:
        return None
    best = found[0]
    for later in sorted(found, key=lambda f: f[2][0]):
        gap = text[best[2][1]:later[2][0]]
        if later[2][0] >= best[2][1] and len(gap) <= 14 and _TAKES_BACK.search(gap):
            best = later
    return best
