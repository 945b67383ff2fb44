"""The mail codec on hand-written messy and hostile mail: what Chinese mail systems really send."""

from __future__ import annotations

import base64

from callcenter.mailbox.codec import parse_mail
from callcenter.mailbox.quoting import strip_quoted


def b64(text: str, charset: str) -> bytes:
    return base64.encodebytes(text.encode(charset))


def word(text: str, label: str, encoding: str | None = None) -> bytes:
    """An RFC 2047 encoded word labelled ``label``, its bytes in ``encoding`` (a lying label)."""
    return b"=?" + label.encode() + b"?B?" + base64.b64encode(text.encode(encoding or label)) + b"?="


def test_gbk_body_labelled_gb2312_and_encoded_word_subject_decode() -> None:
    # "镕" and "𠮷" are not in GB2312: Outlook writes them under the GB2312 label anyway.
    raw = (b"From: " + word("王经理", "gb2312") + b" <Wang@Factory.CN>\r\n"
           b"Subject: " + word("关于朱镕基路", "gb2312", "gbk") + b"\r\n " + word("停电的反映", "utf-8") + b"\r\n"
           b"Message-ID: <m1@factory.cn>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + b64("我公司位于朱镕基路𠮷祥园，停电三天。", "gb18030"))
    mail = parse_mail(raw)
    assert mail.sender == "wang@factory.cn" and mail.sender_name == "王经理"
    assert mail.subject == "关于朱镕基路停电的反映"
    assert mail.text == "我公司位于朱镕基路𠮷祥园，停电三天。"
    assert mail.message_id == "<m1@factory.cn>" and mail.automatic is None


def test_raw_8bit_gbk_header_and_unlabelled_body() -> None:
    raw = ("Subject: 企业用地咨询\r\nFrom: a@b.cn\r\n\r\n".encode("gbk") + "用地审批进度如何？".encode("gbk"))
    mail = parse_mail(raw)
    assert mail.subject == "企业用地咨询"
    assert mail.text == "用地审批进度如何？"


def test_html_only_body_becomes_text_without_script_style_or_quote() -> None:
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
            "<div>您好：</div><p>道路施工&nbsp;噪音扰民</p><br><blockquote>以前的邮件</blockquote></body></html>")
    raw = (b"From: x@y.cn\r\nSubject: t\r\nContent-Type: text/html; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(html, "utf-8"))
    text = parse_mail(raw).text
    assert "您好：" in text and "道路施工 噪音扰民" in text
    assert "alert" not in text and "color" not in text and "以前的邮件" not in text


def test_plain_part_preferred_to_html_and_attachments_listed() -> None:
    raw = (b"From: x@y.cn\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=OUT\r\n\r\n"
           b"--OUT\r\nContent-Type: multipart/alternative; boundary=ALT\r\n\r\n"
           b"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe7\xba\xaf\xe6\x96\x87\xe6\x9c\xac\r\n"
           b"--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--ALT--\r\n"
           b"--OUT\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\""
           + word("营业执照.pdf", "gbk") + b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(b"%PDF-1.4 test") + b"--OUT--\r\n")
    mail = parse_mail(raw)
    assert mail.text == "纯文本"
    assert [(a.filename, a.data) for a in mail.attachments] == [("营业执照.pdf", b"%PDF-1.4 test")]


def test_quoted_history_is_cut_off_a_reply() -> None:
    assert strip_quoted("补充：已停电五天\n\n------------------ 原始邮件 ------------------\n发件人: 热线\n旧内容") == "补充：已停电五天"
    assert strip_quoted("好的\n\n在 2026年12月1日 写道：\n> 旧内容\n> 更多") == "好的"
    assert strip_quoted("新情况\n-----Original Message-----\nFrom: a\nold") == "新情况"
    assert strip_quoted("> 只有引用") == "> 只有引用"  # nothing new: the whole text is kept


def test_forwarded_mail_keeps_the_forwarded_content() -> None:
    body = "请处理\n\n---------- 转发邮件 ----------\n发件人: 企业 <a@b.cn>\n主题: 欠薪\n\n工人三个月未发工资"
    raw = (b"From: staff@gov.cn\r\nSubject: " + word("转发：欠薪", "utf-8") + b"\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode())
    mail = parse_mail(raw)
    assert mail.forwarded and "工人三个月未发工资" in mail.text


def test_bounce_by_multipart_report_and_by_mailer_daemon() -> None:
    report = (b"From: Mail Delivery System <MAILER-DAEMON@mx.example.cn>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
              b"--R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
              b"--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--R--\r\n")
    assert parse_mail(report).automatic == "bounce"
    plain = b"From: postmaster@qq.com\r\nSubject: " + word("系统退信", "gbk") + b"\r\n\r\n" + "投递失败".encode("gbk")
    assert parse_mail(plain).automatic == "bounce"


def test_auto_replies_by_header_and_by_subject() -> None:
    for header in (b"Auto-Submitted: auto-replied", b"X-Autoreply: yes", b"Precedence: bulk"):
        assert parse_mail(b"From: a@b.cn\r\n" + header + b"\r\nSubject: Re: x\r\n\r\nbody").automatic == "auto_reply"
    subject = b"Subject: " + word("自动回复：您的来信已收到", "gbk") + b"\r\n"
    assert parse_mail(b"From: a@b.cn\r\n" + subject + b"\r\nbody").automatic == "auto_reply"
    assert parse_mail(b"From: a@b.cn\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nbody").automatic is None
    # A person's mail about holidays, from a client that sets Exchange's suppression header, is drafted.
    person = b"From: a@b.cn\r\nX-Auto-Response-Suppress: All\r\nSubject: " + word("休假期间的用工问题", "utf-8")
    assert parse_mail(person + b"\r\n\r\nbody").automatic is None


def test_thread_headers_are_read() -> None:
    raw = (b"From: a@b.cn\r\nSubject: Re: x\r\nIn-Reply-To: <zt.1@hotline.cn>\r\n"
           b"References: <orig@b.cn>\r\n <zt.1@hotline.cn>\r\n\r\nok")
    assert parse_mail(raw).thread_ids == ("<zt.1@hotline.cn>", "<orig@b.cn>")


def test_broken_and_hostile_mail_never_raises() -> None:
    samples = [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: <<<>>>\r\nSubject: =?gb2312?B?!!!notbase64?=\r\n\r\nx",
        b"From: a@b.cn\r\nContent-Type: multipart/mixed; boundary=NEVERCLOSED\r\n\r\n--NEVERCLOSED\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%%",
        b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E4=B8=AD=ZZ\x00",
        b"Subject: " + b"A" * 100_000 + b"\r\n\r\nbody",
    ]
    for raw in samples:
        mail = parse_mail(raw)
        assert "\x00" not in mail.text and "\x00" not in mail.subject
        assert len(mail.subject) <= 200
    assert parse_mail(samples[2]).sender == ""
    assert parse_mail(samples[4]).text.startswith("中")


def test_oversized_truncated_mail_parses_its_text() -> None:
    attachment = base64.encodebytes(b"%PDF-1.4 " + b"x" * 200_000)
    raw = (b"From: a@b.cn\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "正文在前".encode() + b"\r\n"
           b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment + b"--B--\r\n")
    mail = parse_mail(raw[:5000])  # what a fetch of the first bytes gives
    assert mail.text == "正文在前"
