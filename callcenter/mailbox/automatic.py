"""Mail that no person wrote: bounces and auto-replies are recognised and never drafted (pure).

Drafting them would file "我正在休假" as an enterprise's request and, worse, answering them would
start a mail loop with another robot. Signals, strongest first: a delivery report (RFC 3464
multipart/report or a MAILER-DAEMON/postmaster sender), RFC 3834 ``Auto-Submitted``, the
de-facto ``X-Autoreply``/``X-Autorespond``, ``Precedence: bulk|junk|auto_reply``, and the
subjects Chinese and English mail systems give them. Exchange's ``X-Auto-Response-Suppress`` is
not a signal: some clients set it on mail a person wrote, and a lost request is worse than a
robot's mail drafted.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(r"(undeliver|delivery status notification|delivery (has )?failed|returned mail|"
                             r"退信|系统退信|投递失败|无法投递|发送失败)", re.IGNORECASE)
# Only prefixes robots write: "休假…" could begin a real question about holidays.
_AUTO_SUBJECT = re.compile(r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|自动回复|自动答复)", re.IGNORECASE)


def automatic_kind(msg: EmailMessage, sender: str) -> str | None:
    """"bounce", "auto_reply", or None for mail a person sent."""
    content_type = msg.get_content_type()
    report = str(msg.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report in ("delivery-status", ""):
        return "bounce"
    subject = str(msg.get("Subject", "") or "")
    if _BOUNCE_SENDERS.match(sender) or (not sender and _BOUNCE_SUBJECT.search(subject)):
        return "bounce"
    if content_type == "multipart/report":  # read receipts (disposition-notification) and the like
        return "auto_reply"
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto_reply"
    if any(msg.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return "auto_reply"
    if str(msg.get("Precedence", "") or "").strip().lower() in ("bulk", "junk", "auto_reply"):
        return "auto_reply"
    if _AUTO_SUBJECT.search(subject):
        return "auto_reply"
    if _BOUNCE_SUBJECT.search(subject) and msg.get("Return-Path", "").strip() in ("<>", ""):
        return "bounce"
    return None
