"""The new-order form opened for a live call (/orders/new?call=<linkedid>): the agent who opens it
holds the call, and the call's live draft (callcenter/speech/live_drafts.py) fills that agent's
form alone; the order it registers is linked to the call."""

from __future__ import annotations

import re

from aiohttp import web

from callcenter.keys import AUDIT, CALLS, CLOCK, LIVE_DRAFTS
from worksheet.model import Actor, Role

LINKEDID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
# The roles that see a caller's number in full in a draft form (the draft page shows it, audited).
SEE_PHONES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def _live(request: web.Request, linkedid: str) -> bool:
    record = request.app[CALLS].tracker.record(linkedid) if LINKEDID.match(linkedid) else None
    return record is not None and not record.get("ended_at")


async def claim_call(request: web.Request, actor: Actor, linkedid: str) -> str:
    """Hold ``linkedid`` for this agent's form; a page error when the call is over or held by another."""
    if not _live(request, linkedid):
        raise web.HTTPNotFound(text="该通话已结束或不存在，请在草稿列表中处理通话生成的草稿。")
    reveal = actor.role in SEE_PHONES
    if not request.app[LIVE_DRAFTS].claim(linkedid, actor.id, reveal_phone=reveal):
        raise web.HTTPConflict(text="此通话已由其他坐席受理。")
    if reveal:  # the caller's number may appear in full in the form as they say it
        await request.app[AUDIT].record(actor, "view-phone", linkedid, request.app[CLOCK](), "live draft form")
    return linkedid


async def link_call(request: web.Request, actor: Actor, linkedid: str, number: str) -> None:
    """The form held for a call registered ``number``: the call names it (so the recording makes no
    second draft) and the call's live drafts stop."""
    drafts = request.app[LIVE_DRAFTS]
    held = drafts.claims.get(linkedid)
    if held is None or held.agent != actor.id:
        return  # a call this agent does not hold is not theirs to link
    drafts.release(linkedid, actor.id)
    await request.app[CALLS].link_order(linkedid, number)
