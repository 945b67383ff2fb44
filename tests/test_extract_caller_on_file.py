"""A caller whose mobile is a registered contact's in the enterprise directory: the draft names that
enterprise (no span: nothing in the text said so), unless the text names one itself."""

from __future__ import annotations

from callcenter.enterprises.loader import directory_from_csv
from callcenter.enterprises.service import DEMO_DIRECTORY
from worksheet.extract import extract_draft
from worksheet.extract.draft import CALLER_ON_FILE

DIRECTORY = directory_from_csv(DEMO_DIRECTORY)
HUAXIANG_CONTACT = "19620116410"  # 绵阳华翔物流有限公司's contact in the demo directory


def test_the_registered_contacts_mobile_names_the_enterprise() -> None:
    for caller in (HUAXIANG_CONTACT, "+86 196-2011-6410", "sip:+8619620116410@carrier"):
        fields = extract_draft("上海分公司和后期总部设于上海外滩", directory=DIRECTORY, caller_id=caller)
        assert fields.enterprise_name.value == "绵阳华翔物流有限公司", caller
        assert fields.enterprise_name.confidence == CALLER_ON_FILE and fields.enterprise_name.span is None
        assert fields.contact_phone.value == HUAXIANG_CONTACT


def test_a_name_in_the_text_wins_and_strangers_get_none() -> None:
    named = extract_draft("我是绵阳恒瑞精密电子有限公司的，园区路灯坏了", directory=DIRECTORY, caller_id=HUAXIANG_CONTACT)
    assert named.enterprise_name.value == "绵阳恒瑞精密电子有限公司"
    stranger = extract_draft("园区路灯坏了", directory=DIRECTORY, caller_id="13800138000")
    assert stranger.enterprise_name.value is None
    assert extract_draft("园区路灯坏了", directory=None, caller_id=HUAXIANG_CONTACT).enterprise_name.value is None
    assert DIRECTORY.by_mobile("anonymous") is None and DIRECTORY.by_mobile(None) is None
