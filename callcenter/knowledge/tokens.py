"""Chinese tokenization for knowledge-base search (pure; jieba is loaded once, on first use).

Callers speak (我们公司想申请高新技术企业要准备啥材料), articles are written; both go through the
same `tokenize`, so only content words that carry meaning are compared. jieba's search mode gives
whole terms and their dictionary sub-words (营业执照 → 营业, 执照, 营业执照), so a caller who only
says 执照 still matches, while the whole term keeps its own, rarer weight.
"""

from __future__ import annotations

import logging
import threading
import unicodedata

import jieba  # type: ignore[import-untyped]

# Hotline terms jieba's default dictionary would split; kept whole so they match as one term.
USER_WORDS = (
    "营业执照", "社保", "社保缴费基数", "留抵退税", "高新技术企业", "高企", "增值税", "公积金", "住房公积金",
    "稳岗返还", "招聘补贴", "一网通办", "企业开办", "个体户", "个体工商户", "残保金", "出口退税", "环评",
    "环境影响评价", "用电增容", "施工许可", "施工许可证", "消防验收", "知识产权质押", "融资担保",
    "人才落户", "子女入学", "政务服务中心", "电子税务局", "失业保险", "工伤保险", "统一社会信用代码",
    "经营范围", "法定代表人", "注册资本", "简易注销", "食品经营许可", "排污许可", "小规模纳税人",
    "一般纳税人", "研发费用", "加计扣除", "专精特新", "首贷", "贷款贴息", "就业见习",
)

# Words that say nothing about which article is wanted: particles, pronouns, politeness, the
# question frame of spoken requests (including jieba's glued forms of them: 我想开个 → 我想, 想开),
# and 公司/企业, which every caller and most articles mention.
STOP_WORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 嘛 哦 么 着 过 得 地 之 和 与 及 或 或者 还是 而 并 等 等等 以及
怎么 怎么样 怎样 如何 什么 啥 哪些 哪个 哪里 哪儿 多少 几 几个 为什么 为啥 是否 是不是 能不能 可不可以
怎么办 怎么弄 咋 咋办 咋弄 能否 可否 不能 不 多久 多长 多长时间 长时间 拿 我想 想开 想要 打算 准备
请问 你好 您好 麻烦 谢谢 问 问问 想问 咨询 一下 知道 了解 告诉 帮 帮忙
我 我们 我们的 你 你们 您 他 她 他们 它 咱 咱们 自己 本 该 此 这 那 这个 那个 这些 那些 这样 那样
公司 企业 单位 家 个 一 一个 一些 有 有没有 没有 是 在 要 想 能 可以 可能 应该 需要 会 去 来 给 把 被
对 从 到 向 让 就 都 也 还 又 再 才 只 很 太 最 比较 现在 今年 目前 已经 马上 然后 所以 但是 如果 因为
办 弄 搞 做 找 说 看 用 上 下 里 中 后 前 时候 时 事 事情 东西 情况 问题 方面 相关 具体
""".split())

log = logging.getLogger("zhitong.knowledge")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """A private jieba tokenizer, built once: loading the dictionary takes about a second, so it is
    paid on the first search, not at import; its own startup messages are silenced."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in USER_WORDS:
                    tokenizer.add_word(word, freq=100_000)
                _tokenizer = tokenizer
                log.debug("jieba loaded with %d hotline terms", len(USER_WORDS))
    return _tokenizer


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＥＴＣ, １２３４５) to ASCII; lower-case so ETC = etc.
    return unicodedata.normalize("NFKC", text).lower()


def _useful(token: str) -> bool:
    return bool(token) and token not in STOP_WORDS and any(ch.isalnum() for ch in token)


def tokenize(text: str) -> list[str]:
    """Content terms of `text`, in order, repeats kept (the index counts them; queries dedupe)."""
    if not text or not text.strip():
        return []
    return [t for t in (w.strip() for w in _jieba().cut_for_search(_normalise(text))) if _useful(t)]
