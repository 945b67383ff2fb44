"""Search quality on the demo knowledge base: spoken caller questions → the article that answers.

The questions were written before any tuning, in the way callers phrase things on the line (colloquial,
with filler, often naming the thing differently from the article's title). Each must find its article
in the top 3; the run prints hit@1 and hit@3 (pytest -s) so a change to the tokenizer or the weights
shows its effect on the whole set, not only on the case it was made for.
"""

from __future__ import annotations

import json

import pytest

from callcenter.knowledge.cli import DEMO_FILE, read_articles
from callcenter.knowledge.search import Bm25Index, Document

QUESTIONS: list[tuple[str, str]] = [
    ("我们公司想申请高新技术企业要准备啥材料", "高新技术企业认定需要准备哪些材料"),
    ("你好，我们公司搬家了，营业执照上的地址要怎么改", "营业执照变更登记（名称、地址、经营范围、法定代表人）怎么办理"),
    ("请问我们想换个法人，要去哪里办手续", "营业执照变更登记（名称、地址、经营范围、法定代表人）怎么办理"),
    ("我想开个公司，网上能不能办，要多长时间", "企业开办“一网通办”：新办公司的流程和时间"),
    ("我想开个小卖部，办个体执照需要什么", "个体工商户（个体户）怎么办理营业执照"),
    ("我们有很多进项留抵，听说可以退税，怎么申请", "增值税留抵退税的条件和申请方式"),
    ("我们是做外贸的，出口的货怎么退税", "出口退税（免抵退）怎么备案和申报"),
    ("税务局让我们交残保金，我们是小企业能不能免", "残疾人就业保障金（残保金）怎么申报缴纳，能不能减免"),
    ("今年社保基数调整了，我们公司要怎么申报", "社保缴费基数怎么申报和调整"),
    ("听说不裁员可以返还失业保险，我们怎么没收到", "失业保险稳岗返还怎么申请"),
    ("我们今年招了几个应届大学生，有没有补贴", "企业招聘补贴（吸纳就业补贴）申请条件和材料"),
    ("工人在车间干活把手弄伤了，工伤怎么报", "职工工伤保险和工伤认定怎么办"),
    ("新公司要给员工交公积金，在哪里开户", "住房公积金企业缴存登记和缴存比例"),
    ("我们要建个厂房，环评要怎么弄", "建设项目环境影响评价（环评）审批怎么办"),
    ("厂里新上了生产线，电不够用，要增加容量找谁", "企业用电报装和用电增容怎么申请"),
    ("工地准备开工了，施工许可证怎么办", "建筑工程施工许可证怎么办理"),
    ("房子建好了，消防验收要准备什么", "建设工程消防验收和消防验收备案"),
    ("我们有几个专利，能不能拿去银行贷款", "知识产权（专利、商标）质押融资怎么办"),
    ("我们小企业没有抵押物，贷款太难了，有没有担保的政策", "中小企业融资担保和贷款贴息政策"),
    ("我们招了个研究生，想把户口落过来怎么办", "人才落户和人才住房补贴政策"),
    ("员工小孩要在这边上小学，怎么报名", "企业员工和引进人才的子女入学怎么安排"),
    ("公司不打算做了，想注销，流程复杂吗", "企业简易注销和一般注销"),
    ("想开个饭馆，需要办什么许可证", "食品经营许可证怎么办理"),
    ("我们发票额度不够用了，怎么提额", "发票申领和增加发票领用数量"),
]


@pytest.fixture(scope="module")
def index_and_titles() -> tuple[Bm25Index, dict[int, str]]:
    articles = read_articles(DEMO_FILE)
    titles = {i: a["title"] for i, a in enumerate(articles, start=1)}
    docs = [Document(i, a["title"], a["keywords"], a["body"]) for i, a in enumerate(articles, start=1)]
    return Bm25Index(docs), titles


def test_questions_name_demo_articles() -> None:
    titles = {a["title"] for a in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["articles"]}
    assert 25 <= len(titles) <= 30
    assert {expected for _, expected in QUESTIONS} <= titles


def test_hit_at_3_on_spoken_questions(index_and_titles: tuple[Bm25Index, dict[int, str]]) -> None:
    index, titles = index_and_titles
    at1 = at3 = 0
    misses = []
    for question, expected in QUESTIONS:
        ranked = [titles[h.id] for h in index.search(question, 3)]
        at1 += bool(ranked) and ranked[0] == expected
        at3 += expected in ranked
        if expected not in ranked:
            misses.append((question, expected, ranked))
    n = len(QUESTIONS)
    print(f"\nknowledge search on {n} questions: hit@1 = {at1 / n:.2f} ({at1}/{n}), hit@3 = {at3 / n:.2f} ({at3}/{n})")
    assert at3 / n >= 0.9, misses
    assert at1 / n >= 0.75, misses
