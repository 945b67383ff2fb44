"""The knowledge base's tokenizer and BM25 index (pure: no database)."""

from __future__ import annotations

import math

from callcenter.knowledge.search import Bm25Index, Document
from callcenter.knowledge.tokens import tokenize


def test_hotline_terms_stay_whole() -> None:
    tokens = tokenize("我们公司想申请高新技术企业，还有增值税留抵退税和营业执照变更")
    for term in ("高新技术企业", "增值税", "留抵退税", "营业执照"):
        assert term in tokens
    assert "社保" in tokenize("社保缴费基数怎么调") and "公积金" in tokenize("公积金开户")


def test_stop_words_and_punctuation_are_dropped() -> None:
    tokens = tokenize("请问，我们公司的营业执照怎么变更呢？")
    assert not {"请问", "我们", "公司", "的", "怎么", "呢", "，", "？"} & set(tokens)
    assert "变更" in tokens
    assert tokenize("") == tokenize("   ") == tokenize("请问我们的吗？") == []


def test_ascii_and_digits_match_case_and_width_insensitively() -> None:
    assert {"12345", "etc"} <= set(tokenize("打12345问ETC办理"))
    assert tokenize("ＥＴＣ １２３４５") == tokenize("etc 12345") == ["etc", "12345"]


def _corpus() -> Bm25Index:
    return Bm25Index([
        # 1: the term in the title (weight 2) and once in the body.
        Document(1, "社保缴费基数申报", ["社保"], "每年申报一次社保缴费基数。"),
        # 2: the term only once in a much longer body: lower tf and length-penalised.
        Document(2, "劳动合同", [], "劳动合同的签订、续订和解除，经济补偿的计算，以及社保的缴纳。" * 3),
        # 3: does not contain the term at all.
        Document(3, "施工许可证", ["开工"], "建筑工程开工前申请施工许可证。"),
        # 4 and 5: identical, so their scores tie exactly.
        Document(5, "公积金开户", [], "新单位办理公积金缴存登记。"),
        Document(4, "公积金开户", [], "新单位办理公积金缴存登记。"),
    ])


def test_bm25_ranks_title_and_keyword_matches_above_a_passing_mention() -> None:
    hits = _corpus().search("社保")
    # 1 has tf = 2 (title) + 2 (keyword) + 1 (body) = 5 in a short document; 2 has tf = 3 spread over a
    # long body. Same idf, so 1 wins on both tf and length; 3 has no match and is not returned.
    assert [h.id for h in hits] == [1, 2]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].terms == ("社保",)


def test_bm25_score_is_the_textbook_formula() -> None:
    index = Bm25Index([Document(1, "", [], "施工许可"), Document(2, "", [], "消防验收")])
    hit, = index.search("施工")
    # n = 2, df = 1: idf = ln(1 + 1.5/1.5); tf = 1, |d| = avg |d| (both have 2 terms incl. sub-words),
    # so the tf part is 1 × 2.5 / (1 + 1.5) = 1.
    assert math.isclose(hit.score, math.log(2)), hit


def test_ties_are_broken_by_id_and_terms_follow_the_query() -> None:
    hits = _corpus().search("公积金 开户")
    assert [h.id for h in hits] == [4, 5] and hits[0].score == hits[1].score
    assert hits[0].terms == ("公积金", "开户")


def test_queries_without_content_find_nothing() -> None:
    index = _corpus()
    assert index.search("") == index.search("请问我们怎么办呢") == index.search("不存在的词汇火星") == []
    assert index.search("社保", limit=0) == []
    assert len(index.search("社保 公积金 施工", limit=2)) == 2
    assert Bm25Index([]).search("社保") == []
