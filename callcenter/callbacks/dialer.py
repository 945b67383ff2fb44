"""Dial a satisfaction survey: an async AMI Originate into the survey context.

The channel id is ours (``ChannelId``), so the call record and the OriginateResponse can be tied
to the job even when Asterisk answers before our own bookkeeping is done.
"""

from __future__ import annotations

import re

from callcenter.ami.client import AmiClient
from callcenter.calls.services import CallService
from worksheet.errors import ValidationError

# Only digits (and a leading +) may reach a dial string: anything else could address another
# channel or inject options.
_PHONE = re.compile(r"^\+?\d{3,20}$")
ORIGINATE_TIMEOUT_S = 10.0


class AmiDialer:
    def __init__(self, ami: AmiClient, calls: CallService | None, *, channel: str = "Local/{phone}@outbound",
                 context: str = "survey-out", caller_id: str = "12345", ring_timeout_s: int = 30) -> None:
        self.ami, self.calls = ami, calls
        self.channel, self.context, self.caller_id = channel, context, caller_id
        self.ring_timeout_s = ring_timeout_s

    async def originate(self, *, order_number: str, phone: str, channel_id: str) -> str:
        digits = re.sub(r"[\s\-()]", "", phone)
        if not _PHONE.match(digits):
            raise ValidationError(f"not a phone number that can be dialled: {phone!r}")
        action_id = self.ami.next_action_id()
        if self.calls is not None:  # the call record is linked to the order from its first event
            self.calls.expect_originate(action_id, channel_id=channel_id, order_number=order_number)
        result = await self.ami.action("Originate", [
            ("Channel", self.channel.format(phone=digits)), ("Context", self.context), ("Exten", "s"),
            ("Priority", "1"), ("Async", "true"), ("ChannelId", channel_id), ("CallerID", self.caller_id),
            ("Timeout", str(self.ring_timeout_s * 1000)), ("Variable", f"ZT_ORDER_NUMBER={order_number}"),
        ], action_id=action_id, timeout=ORIGINATE_TIMEOUT_S)
        if not result.ok:
            raise RuntimeError(f"Originate refused: {result.message or result.response.headers}")
        return action_id
