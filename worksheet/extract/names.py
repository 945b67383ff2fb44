"""Name forms of an enterprise and toneless fuzzy pinyin, for matching what a caller said.

ASR hears homophones ("华翔物流" as "华祥物流" or "花香物流") and callers drop the region
prefix and the company-form suffix ("有限公司"), or say a shorter name ("恒瑞电子", "华翔公司").
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz.distance import Levenshtein

REGION_PREFIXES = ("四川省", "四川", "绵阳市", "绵阳", "涪城区", "涪城")
FORM_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "分公司", "集团", "公司", "专业合作社", "合作社", "厂",
)
INDUSTRY_WORDS = (
    "汽车零部件", "房地产开发", "物业管理", "酒店管理", "餐饮管理", "农业开发", "信息技术",
    "网络科技", "环保科技", "生物科技", "新材料", "新能源", "科技", "物流", "电子", "食品", "机械", "建设",
    "贸易", "商贸", "实业", "制造", "电器", "医药", "药业", "纺织", "服装", "印务", "包装", "置业", "塑胶",
    "化工", "能源", "光电", "精密", "工业", "农业", "生物", "茶业", "建材", "运输", "家具", "超市", "餐饮",
    "旅游", "文化传媒", "传媒", "软件", "钢构", "装饰", "劳务", "水泥", "模具", "材料", "农机", "酒业",
    "销售服务", "汽车", "工程", "建筑",
)


def normalize_name(name: str) -> str:
    return re.sub(r"[\s()（）]", "", name)


def core_name(name: str) -> str:
    """The name without region prefix and company-form suffix: 绵阳华翔物流有限公司 -> 华翔物流."""
    core = normalize_name(name)
    changed = True
    while changed:
        changed = False
        for prefix in REGION_PREFIXES:
            if core.startswith(prefix) and len(core) - len(prefix) >= 2:
                core, changed = core[len(prefix):], True
        for suffix in FORM_SUFFIXES:
            if core.endswith(suffix) and len(core) - len(suffix) >= 2:
                core, changed = core[: -len(suffix)], True
    return core


_BY_LENGTH = sorted(INDUSTRY_WORDS, key=len, reverse=True)


def short_forms(core: str) -> tuple[list[str], str | None]:
    """Shorter names a caller may use, and the bare brand: 恒瑞精密电子 -> ([恒瑞精密, 恒瑞电子], 恒瑞)."""
    forms: list[str] = []
    brand, trade = core, None
    stripped = True
    while stripped:
        stripped = False
        for word in _BY_LENGTH:
            if brand.endswith(word) and len(brand) - len(word) >= 2:
                brand, trade, stripped = brand[: -len(word)], trade or word, True
                forms.append(brand)
                break
    if not trade:
        return [], None
    return [f for f in forms[:-1]] + [brand + trade], brand


_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^n"), "l"), (re.compile(r"^f"), "h"),
          (re.compile(r"ng$"), "n"))


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    for pattern, repl in _FUZZY:
        syllable = pattern.sub(repl, syllable)
    return syllable


def pinyin(text: str) -> list[str]:
    """One fuzzy toneless syllable per character (non-Chinese characters stand for themselves)."""
    return [fuzzy_syllable(s.lower()) for s in lazy_pinyin(text, errors=lambda x: list(x))]


def similarity(heard: str, heard_py: list[str], name: str, name_py: list[str]) -> float:
    py = Levenshtein.normalized_similarity(heard_py, name_py)
    chars = Levenshtein.normalized_similarity(heard, name)
    return 0.75 * py + 0.25 * chars
