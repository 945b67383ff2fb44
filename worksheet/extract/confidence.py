"""Calibrated confidence: an extractor's raw score turned into the measured chance that the field
is right, and the rule that marks a field confident.

The raw scores of the rules are orderings, not probabilities. `fit` learns, per field, a
non-decreasing step function from raw score to accuracy on labelled transcripts (isotonic
regression by pooling adjacent violators), shrunk towards the accuracy the field had on calls
nobody tuned for, or towards the rule's own score where that is lower (a Beta prior of
`PRIOR_WEIGHT` transcripts): the labelled data are the data the rules were written against, so
their accuracy alone would flatter the rules. A field is *confident* only when its calibrated
estimate is at least `CONFIDENT`; the rest are suggestions the agent checks.

Only values heard in the text (with a span) are calibrated. An inferred value (the caller ID as
the contact phone, the enterprise on file for the caller's mobile, the category no cue named) and
a field with no calibration (nothing labelled to measure it on) keep the rule's score and are never
confident, however sure the rule: nothing has measured them. Normal urgency has no span either,
but it is decided on the whole text (no urgent word in it), not inferred from outside it.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Mapping

from .types import CONFIDENT, FIELDS, DraftFields, FieldValue

__all__ = ["CONFIDENT", "Steps", "calibrate", "calibrated", "fit"]
PRIOR_WEIGHT = 20.0
WHOLE_TEXT = frozenset({"urgency"})  # fields decided on the whole text: calibrated without a span

Steps = tuple[tuple[float, float], ...]  # (lowest raw score of the step, calibrated accuracy), ascending


def fit(pairs: Iterable[tuple[float, bool]], prior: float, weight: float = PRIOR_WEIGHT) -> Steps:
    """Steps from (raw score, was right) pairs; `prior` is the field's accuracy on unseen calls."""
    groups: dict[float, list[float]] = {}
    for raw, right in pairs:
        group = groups.setdefault(raw, [0.0, 0.0])
        group[0] += right
        group[1] += 1
    blocks: list[list[float]] = []  # [lowest raw, right, count]
    for raw in sorted(groups):
        blocks.append([raw, *groups[raw]])
        # Pool while a block is no more accurate than the one below it.
        while len(blocks) > 1 and blocks[-1][1] / blocks[-1][2] <= blocks[-2][1] / blocks[-2][2]:
            top = blocks.pop()
            blocks[-1][1] += top[1]
            blocks[-1][2] += top[2]
    shrunk = [(low, (right + weight * min(prior, low)) / (count + weight)) for low, right, count in blocks]
    # Shrinking can undo the order (small blocks move more): a step never claims more than the
    # steps above it, which keeps the estimate cautious where the data are thin.
    out: list[tuple[float, float]] = []
    ceiling = 1.0
    for low, p in reversed(shrunk):
        ceiling = min(ceiling, p)
        out.append((round(low, 4), round(ceiling, 4)))
    return tuple(reversed(out))


def calibrated(steps: Steps, raw: float) -> float:
    """The accuracy of the step `raw` falls in (below the lowest step: the lowest step's)."""
    lows = [low for low, _ in steps]
    at = bisect.bisect_right(lows, raw + 1e-9) - 1
    return steps[max(at, 0)][1]


def calibrate(draft: DraftFields, table: Mapping[str, Steps]) -> DraftFields:
    """`draft` with each heard field's confidence replaced by its calibrated estimate."""
    changes: dict[str, FieldValue] = {}
    for name in FIELDS:
        found: FieldValue = getattr(draft, name)
        if found.value is not None and (found.span is not None or name in WHOLE_TEXT) and (steps := table.get(name)):
            changes[name] = dataclasses.replace(found, confidence=round(calibrated(steps, found.confidence), 3),
                                                calibrated=True)
    return dataclasses.replace(draft, **changes)
