"""The demo's story as plain data: which events happen, in which order, to which enterprises.

A visitor should see every way work reaches the hotline and what happens to it, once each,
different enterprises with different problems: a voice message, a live-transcribed call with an
agent, an SMS, a fax, a complaint left by voice, an order closed by a satisfaction survey, one
that missed its deadline and got a supervision card, a caller checking an order's status. The
enterprises are drawn from the demo directory with a fixed seed, so every run (and the test that
checks it) tells the same story. After it, the demo only trickles (see callcenter.demo.player).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from callcenter.enterprises.loader import read_directory_csv
from callcenter.enterprises.service import DEMO_DIRECTORY
from worksheet.extract.directory import DirectoryEntry

SEED = 13
Kind = Literal["voice", "agent_call", "sms", "fax", "survey", "card", "status_query"]


@dataclass(frozen=True)
class Beat:
    kind: Kind
    menu: str = ""  # voice: the IVR key pressed (1 政策咨询, 2 反映问题, 3 投诉建议)
    lines: tuple[str, ...] = ()  # sms/fax: what the enterprise writes ({name}, {contact}, {mobile} filled in)
    subject: str = ""  # survey/card: the order an agent registered earlier
    unit: str = ""  # survey/card: its lead unit (a demo unit code)

    @property
    def makes_draft(self) -> bool:
        return self.kind in ("voice", "agent_call", "sms", "fax")


STORY: tuple[Beat, ...] = (
    Beat("voice", menu="2"),
    Beat("sms", lines=("您好，我是{name}的{contact}。园区门口的路灯坏了一个多月，晚上货车进出很危险，请尽快安排维修。",)),
    Beat("agent_call"),
    Beat("fax", lines=("{name}", "咨询：我公司今年新招员工三十人，", "请问稳岗补贴的申请条件和办理流程。",
                       "联系人：{contact} 电话：{mobile}")),
    Beat("survey", subject="厂区门前道路积水", unit="zjj"),
    Beat("voice", menu="3"),
    Beat("card", subject="技术改造补贴申报后迟迟没有答复", unit="gxj"),
    Beat("status_query"),
)


@dataclass(frozen=True)
class Cast:
    """Who does what: one enterprise per beat, then more for the trickle, all distinct."""

    enterprises: tuple[DirectoryEntry, ...]

    def of(self, index: int) -> DirectoryEntry:
        return self.enterprises[index % len(self.enterprises)]


def cast(seed: int = SEED) -> Cast:
    entries, _ = read_directory_csv(DEMO_DIRECTORY)
    usable = [e for e in entries if e.mobile and e.contact_person]
    return Cast(tuple(random.Random(seed).sample(usable, len(usable))))


def fill(lines: tuple[str, ...], who: DirectoryEntry) -> tuple[str, ...]:
    return tuple(line.format(name=who.name, contact=who.contact_person or "", mobile=who.mobile or "")
                 for line in lines)


def fax_line(who: DirectoryEntry) -> str:
    """The enterprise's fax machine: a Mianyang landline (the directory only knows mobiles)."""
    return "0816" + (who.mobile or "0000000")[-7:]
