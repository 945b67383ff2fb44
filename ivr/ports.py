"""What the IVR routes need from the back office; implemented in ``callcenter`` (tests use a fake)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SURVEY_ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


@dataclass(frozen=True)
class OrderStatusView:
    """What the caller hears: ``status_text`` should be one of ivr.flow.say.STATUS_WORDS, ``due_text``
    written like ``2026年11月30日18时`` (Arabic digits) so the word prompts can speak it."""

    number: str
    status_text: str
    due_text: str | None


class HotlineDesk(Protocol):
    async def order_status(self, order_number: str) -> OrderStatusView | None:
        """The order ``YYYYMMDD-NNNN``, or None when there is no such order."""
        ...

    async def leave_message(
        self,
        *,
        caller: str,
        caller_name: str,
        recording: str,
        uniqueid: str,
        linkedid: str,
        menu_choice: str | None,
    ) -> str:
        """Create a draft order for a voice message; returns the draft order number.

        ``recording`` is the WAV path Asterisk wrote; after an abrupt disconnect during the
        recording it may be short or missing, but the draft is still created (caller number kept).
        ``menu_choice`` is "policy" | "report" | "complaint" (or None).
        """
        ...

    async def record_survey(self, *, order_number: str, answer: str | None, uniqueid: str) -> None:
        """``answer`` is one of SURVEY_ANSWERS, or None when no valid answer was given."""
        ...
