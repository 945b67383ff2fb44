"""One call's AMI event stream, cut out of everything a manager user received, and its normal form.

Used by the parity test (tests/pbx/test_parity.py) to compare what the real Asterisk sends the
app's manager user with what the PBX simulator sends for the same scenario. Pure functions on
the tap's event dicts (tests/pbx/ami.py), no I/O.

**Which events belong to a call.** Those naming one of its channels: a Linkedid (also as
``Dest``/``Spyer``/``Spyee``/``LocalOne``/``LocalTwo`` prefixed), or a Uniqueid of a channel of
the call (``Cdr`` names it ``UniqueID``, ``OriginateResponse`` only ``Uniqueid``). The
live-transcription spy leg (``Local/<token>@zt-live-spy-...``) has a Linkedid of its own: it
belongs to the call whose ``UserEvent: ZhitongAudioSocket`` announced the UUID the token is made
of. ``BridgeCreate``/``BridgeDestroy`` name only their bridge (one a channel of the call entered),
``QueueMemberStatus`` only the member's interface (one the call's queue rang), between the call's
first and last event.

**Normal form** (:func:`normalise`), where values are ignored and only structure is kept:

* ``names``: the set of event names (``UserEvent/<its UserEvent>`` for user events);
* ``shapes``: for each of those, the set of header-name sets it came with;
* ``sequences``: per channel, the order of its events. Channels are labelled by the order the
  call created them and their kind (``0:PJSIP``, ``1:Local;1``...), since names and ids differ.
  An event belongs to the channel it is about (``Channel``; a ``DialBegin`` without a caller to
  its ``DestChannel``, ``ChanSpyStart`` to the spying channel, ``LocalBridge`` to the ``;1``
  half). Runs whose length depends on prompt lengths and the digits pressed are collapsed: every
  ``AGIExecStart``/``AGIExecEnd`` (and the ``ZhitongIvr`` steps the script sends) is ``AGI``,
  every ``DTMFBegin``/``DTMFEnd`` is ``DTMF``, DTMF inside an AGI run belongs to it, and repeats
  merge into one;
* ``unordered``: events whose position Asterisk does not fix, compared as counts per channel
  (``Cdr``, written by the CDR engine's own thread; ``HangupRequest``, raised by whoever asks the
  channel to hang up: the far end, the other half of a Local pair, the originator giving up, so
  it races the channel's own dialplan; it must still come before the channel's ``Hangup``) or as
  sets (``OriginateResponse``, sent by the originating thread; ``BridgeCreate``/``BridgeDestroy``;
  ``QueueMemberStatus``, from device state changes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Event = dict[str, str]

_LINKED = ("Linkedid", "DestLinkedid", "SpyerLinkedid", "SpyeeLinkedid", "LocalOneLinkedid", "LocalTwoLinkedid")
_UNIQUE = ("Uniqueid", "UniqueID", "DestUniqueid", "SpyerUniqueid", "SpyeeUniqueid", "LocalOneUniqueid",
           "LocalTwoUniqueid")
# The channel an event is about, when it has no Uniqueid of its own: first of these present.
_OWNER = ("Uniqueid", "UniqueID", "SpyerUniqueid", "LocalOneUniqueid", "DestUniqueid")
SPY_MARK = "@zt-live-spy-"
AUDIOSOCKET_EVENT = "ZhitongAudioSocket"
IVR_STEP_EVENT = "ZhitongIvr"
_AGI = frozenset({"AGIExecStart", "AGIExecEnd"})
_DTMF = frozenset({"DTMFBegin", "DTMFEnd"})
_COUNTED = frozenset({"Cdr", "HangupRequest"})
_BUCKETS = {"OriginateResponse": "originate", "BridgeCreate": "bridge", "BridgeDestroy": "bridge",
            "QueueMemberStatus": "queue"}
_META = frozenset({"_at"})


def key(e: Event) -> str:
    name = e.get("Event", "")
    return f"{name}/{e.get('UserEvent', '')}" if name == "UserEvent" else name


def collect(events: Sequence[Event], first_uniqueid: str) -> list[Event]:
    """The events of the call whose first channel has ``first_uniqueid``, in arrival order."""
    linked = {e.get("Linkedid", "") for e in events
              if e.get("Event") == "Newchannel" and e.get("Uniqueid") == first_uniqueid}
    linked.discard("")
    if not linked:
        return []
    while True:  # spy legs announced by the call join it, with whatever they link
        tokens = {e.get("UUID", "").replace("-", "").lower() for e in events
                  if key(e) == f"UserEvent/{AUDIOSOCKET_EVENT}" and e.get("Linkedid") in linked}
        more = {e.get("Linkedid", "") for e in events if e.get("Event") == "Newchannel"
                and SPY_MARK in e.get("Channel", "") and e.get("Exten", "").lower() in tokens} - linked - {""}
        if not more:
            break
        linked |= more
    uids = {e["Uniqueid"] for e in events if e.get("Event") == "Newchannel" and e.get("Linkedid") in linked}
    mine = [i for i, e in enumerate(events) if any(e.get(k) in linked for k in _LINKED)
            or any(e.get(k) in uids for k in _UNIQUE)]
    bridges = {events[i].get("BridgeUniqueid") for i in mine} - {None}
    members = {events[i].get("Interface") for i in mine if events[i].get("Event") == "AgentCalled"} - {None}
    first, last, wanted = mine[0], mine[-1], set(mine)
    out = []
    for i, e in enumerate(events):
        if i in wanted or (e.get("Event") in ("BridgeCreate", "BridgeDestroy") and e.get("BridgeUniqueid") in bridges):
            out.append(e)
        elif e.get("Event") == "QueueMemberStatus" and e.get("Interface") in members and first <= i <= last:
            out.append(e)
    return out


@dataclass
class Normal:
    names: set[str] = field(default_factory=set)
    shapes: dict[str, set[frozenset[str]]] = field(default_factory=dict)
    sequences: dict[str, list[str]] = field(default_factory=dict)
    unordered: dict[str, Counter[str] | set[str]] = field(default_factory=dict)


def _labels(events: Iterable[Event]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for e in events:
        if e.get("Event") == "Newchannel" and (uid := e.get("Uniqueid")) and uid not in labels:
            name = e.get("Channel", "")
            kind = name.partition("/")[0]
            if kind == "Local":
                kind += ";" + name.rpartition(";")[2]
            labels[uid] = f"{len(labels)}:{kind}"
    return labels


def _token(e: Event) -> str:
    name = e.get("Event", "")
    if name in _AGI or key(e) == f"UserEvent/{IVR_STEP_EVENT}":
        return "AGI"
    if name in _DTMF:
        return "DTMF"
    if name == "UserEvent":
        return key(e)
    if name.startswith("Dial") and "Channel" not in e:
        return f"{name}@dest"  # dialled by no channel (Originate): only the callee's block
    return name


def _collapse(tokens: list[str]) -> list[str]:
    merged = _merge(tokens)
    inside = [i for i, tok in enumerate(merged)  # keys pressed while a script ran belong to its run
              if tok == "DTMF" and 0 < i < len(merged) - 1 and merged[i - 1] == merged[i + 1] == "AGI"]
    return _merge([tok for i, tok in enumerate(merged) if i not in inside])


def _merge(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        if not (out and out[-1] == tok and tok in ("AGI", "DTMF")):
            out.append(tok)
    return out


def normalise(events: Sequence[Event]) -> Normal:
    labels = _labels(events)
    out = Normal()
    tokens: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    buckets: dict[str, set[str]] = {}
    gone: set[str] = set()  # labels of the channels whose Hangup came
    for e in events:
        k = key(e)
        out.names.add(k)
        out.shapes.setdefault(k, set()).add(frozenset(h for h in e if h not in _META))
        name = e.get("Event", "")
        if name in _BUCKETS:
            buckets.setdefault(_BUCKETS[name], set()).add(name)
            continue
        owner = next((e[h] for h in _OWNER if h in e), "")
        label = labels.get(owner, "?")
        if name in _COUNTED:
            late = " after Hangup" if name == "HangupRequest" and label in gone else ""
            counts[f"{name} {label}{late}"] += 1
            continue
        if name == "Hangup":
            gone.add(label)
        tokens.setdefault(label, []).append(_token(e))
    out.sequences = {label: _collapse(seq) for label, seq in sorted(tokens.items())}
    out.unordered = {"counts": counts, **{b: s for b, s in sorted(buckets.items())}}
    return out


def differences(real: Normal, sim: Normal) -> list[str]:
    """What the simulator does differently, one line per difference (empty: same normal form)."""
    diff: list[str] = []
    for name in sorted(real.names - sim.names):
        diff.append(f"missing event {name}")
    for name in sorted(sim.names - real.names):
        diff.append(f"extra event {name}")
    for name in sorted(real.names & sim.names):
        want, have = real.shapes[name], sim.shapes[name]
        for shape in want - have:
            diff.append(f"{name}: no event with headers {sorted(shape)}")
        for shape in have - want:
            extra = sorted(shape - set().union(*want)) if want else []
            lacking = sorted(min(want, key=lambda w: len(w ^ shape)) - shape) if want else []
            diff.append(f"{name}: headers Asterisk never sends together (extra {extra}, lacking {lacking})")
    for label in sorted(set(real.sequences) | set(sim.sequences)):
        want_seq, have_seq = real.sequences.get(label), sim.sequences.get(label)
        if want_seq != have_seq:
            diff.append(f"channel {label}:\n    Asterisk  {want_seq}\n    simulator {have_seq}")
    if real.unordered != sim.unordered:
        diff.append(f"unordered events:\n    Asterisk  {real.unordered}\n    simulator {sim.unordered}")
    return diff
