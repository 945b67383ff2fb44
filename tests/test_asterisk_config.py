"""Static checks of the Asterisk deployment in docker/ (no Asterisk needed).

A small parser for Asterisk's .conf dialect (sections, templates, ``key = value``,
``exten =>``/``same =>``, ``#include``) and a dialplan walker that follows
Goto/GotoIf/Gosub to prove that the hotline paths never end in dead air.
The real load test is docker/asterisk/selftest.sh, run at image build time.
"""

from __future__ import annotations

import ipaddress
import os
import pathlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCKER = Path(__file__).resolve().parents[1] / "docker"
CONF = DOCKER / "asterisk" / "conf"
ENTRYPOINT = DOCKER / "asterisk" / "entrypoint.sh"
TRUNK_TEMPLATE = DOCKER / "asterisk" / "templates" / "pjsip_trunk.conf.tmpl"
COMPOSE = DOCKER / "compose.yaml"

AGI_SCRIPTS = {"hotline", "survey"}
REQUIRED_MODULES = {
    "res_agi.so", "app_queue.so", "app_mixmonitor.so", "app_audiosocket.so", "res_fax.so",
    "res_fax_spandsp.so", "cdr_manager.so", "res_pjsip.so", "chan_pjsip.so", "pbx_config.so",
}
HANGUP_APPS = {"hangup", "busy", "congestion"}
AUDIBLE_APPS = {"playback", "background", "queue", "agi", "dial", "receivefax"}


# --------------------------------------------------------------------------- .conf parser

@dataclass
class Section:
    name: str
    options: tuple[str, ...]  # ("!",) template, ("+",) append, or template names
    entries: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        values = self.getall(key)
        return values[-1] if values else None

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.entries if k.lower() == key.lower()]


@dataclass
class ConfFile:
    sections: list[Section]
    includes: list[tuple[str, str]]  # (directive, file name) of includes not found on disk

    def all(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def one(self, name: str) -> Section:
        found = self.all(name)
        assert len(found) == 1, f"expected one [{name}], found {len(found)}"
        return found[0]

    def names(self) -> set[str]:
        return {s.name for s in self.sections}


def strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out).strip()


SECTION_RE = re.compile(r"^\[([^\]]+)\](?:\(([^)]*)\))?$")
KEY_RE = re.compile(r"^([^=]+?)\s*=>?\s*(.*)$")


def parse_conf_text(text: str, base: Path | None = None, into: ConfFile | None = None) -> ConfFile:
    conf = into or ConfFile([], [])
    for raw in text.splitlines():
        line = strip_comment(raw)
        if not line:
            continue
        if line.startswith("#"):
            directive, _, arg = line.partition(" ")
            assert directive in ("#include", "#tryinclude"), f"unknown directive {line!r}"
            name = arg.strip().strip('"')
            target = (base / name) if base is not None else None
            if target is not None and target.is_file():
                parse_conf_text(target.read_text(encoding="utf-8"), base, conf)
            else:
                conf.includes.append((directive, name))
            continue
        m = SECTION_RE.match(line)
        if m:
            opts = tuple(o.strip() for o in (m.group(2) or "").split(",") if o.strip())
            conf.sections.append(Section(m.group(1).strip(), opts))
            continue
        m = KEY_RE.match(line)
        assert m, f"unparseable line {raw!r}"
        assert conf.sections, f"key outside a section: {raw!r}"
        conf.sections[-1].entries.append((m.group(1).strip(), m.group(2).strip()))
    return conf


def load(name: str) -> ConfFile:
    path = CONF / name
    return parse_conf_text(path.read_text(encoding="utf-8"), CONF)


# --------------------------------------------------------------------------- dialplan model

@dataclass
class Step:
    context: str
    exten: str
    index: int  # position in the extension's priority list
    label: str | None
    app: str
    args: str


@dataclass
class Dialplan:
    contexts: dict[str, dict[str, list[Step]]]
    includes: dict[str, list[str]]
    globals: dict[str, str]


PRIO_RE = re.compile(r"^(\d+|n)(?:\(([A-Za-z0-9_-]+)\))?$")
APP_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$", re.S)


def split_args(s: str, sep: str = ",") -> list[str]:
    """Split on sep outside parentheses/brackets/braces."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def parse_dialplan(conf: ConfFile) -> Dialplan:
    contexts: dict[str, dict[str, list[Step]]] = {}
    includes: dict[str, list[str]] = {}
    globals_: dict[str, str] = {}
    for section in conf.sections:
        if section.name == "general":
            continue
        if section.name == "globals":
            globals_.update(dict(section.entries))
            continue
        assert section.name not in contexts, f"context [{section.name}] defined twice"
        exts: dict[str, list[Step]] = {}
        contexts[section.name] = exts
        includes[section.name] = []
        current: str | None = None
        for key, value in section.entries:
            if key == "include":
                includes[section.name].append(value)
                continue
            assert key in ("exten", "same"), f"[{section.name}] unexpected key {key!r}"
            parts = split_args(value)
            if key == "exten":
                current, parts = parts[0].strip(), parts[1:]
            assert current is not None, f"[{section.name}] 'same' before any 'exten'"
            prio, app_text = parts[0].strip(), ",".join(parts[1:]).strip()
            m = PRIO_RE.match(prio)
            assert m, f"[{section.name}] bad priority {prio!r}"
            steps = exts.setdefault(current, [])
            if m.group(1) == "n":
                assert steps, f"[{section.name}] {current}: 'n' priority without priority 1"
            else:
                assert int(m.group(1)) == len(steps) + 1, f"[{section.name}] {current}: priority gap at {prio}"
            am = APP_RE.match(app_text)
            assert am, f"[{section.name}] {current}: cannot parse application {app_text!r}"
            steps.append(Step(section.name, current, len(steps), m.group(2), am.group(1), am.group(2) or ""))
    return Dialplan(contexts, includes, globals_)


def pattern_matches(pattern: str, exten: str) -> bool:
    if not pattern.startswith("_"):
        return pattern == exten
    rx = ""
    chars = iter(pattern[1:])
    for ch in chars:
        if ch == "X":
            rx += "[0-9]"
        elif ch == "Z":
            rx += "[1-9]"
        elif ch == "N":
            rx += "[2-9]"
        elif ch == ".":
            rx += ".+"
        elif ch == "!":
            rx += ".*"
        elif ch == "[":
            cls = ""
            for c in chars:
                if c == "]":
                    break
                cls += c
            rx += f"[{cls}]"
        else:
            rx += re.escape(ch)
    return re.fullmatch(rx, exten) is not None


def find_exten(dp: Dialplan, context: str, exten: str, seen: frozenset[str] = frozenset()) -> list[Step] | None:
    """Resolve like Asterisk: exact match first, then patterns, then included contexts."""
    exts = dp.contexts[context]
    if exten in exts:
        return exts[exten]
    for name, steps in exts.items():
        if pattern_matches(name, exten):
            return steps
    for inc in dp.includes.get(context, []):
        if inc not in seen and inc in dp.contexts:
            found = find_exten(dp, inc, exten, seen | {context})
            if found is not None:
                return found
    return None


def resolve_target(dp: Dialplan, here: Step, target: str) -> tuple[list[Step], int]:
    """A Goto-style target ([[context,]exten,]priority|label) -> (extension steps, index)."""
    parts = [p.strip() for p in split_args(target)]
    prio = parts[-1]
    prio = re.sub(r"\(.*\)$", "", prio, flags=re.S)  # Gosub arguments
    if len(parts) == 3:
        context, exten = parts[0], parts[1]
    elif len(parts) == 2:
        context, exten = here.context, parts[0]
    else:
        context, exten = here.context, here.exten
    assert context in dp.contexts, f"{here.context},{here.exten}: target context {context!r} does not exist"
    steps = find_exten(dp, context, exten)
    assert steps is not None, f"{here.context},{here.exten}: target {context},{exten} does not exist"
    if prio.isdigit():
        index = int(prio) - 1
        assert 0 <= index < len(steps), f"target {context},{exten},{prio}: no such priority"
        return steps, index
    for s in steps:
        if s.label == prio:
            return steps, s.index
    raise AssertionError(f"target {context},{exten},{prio}: no such label")


def goto_branches(args: str) -> list[str | None]:
    """GotoIf/GosubIf(cond?iftrue[:iffalse]) -> [iftrue, iffalse]; None/'' = fall through."""
    cond_end = args.rfind("?")
    assert cond_end > 0, f"GotoIf without '?': {args!r}"
    branches = split_args(args[cond_end + 1:], ":")
    true = branches[0].strip() or None
    false = branches[1].strip() if len(branches) > 1 and branches[1].strip() else None
    return [true, false]


@dataclass
class Path:
    steps: list[Step]
    end: str  # "hangup", "return", "falloff", "loop"


def walk(dp: Dialplan, steps: list[Step], index: int, visited: frozenset = frozenset(), depth: int = 0) -> list[Path]:
    """Every control-flow path from steps[index]; Gosub is inlined."""
    assert depth < 50, "dialplan walk too deep"
    path: list[Step] = []
    while True:
        if index >= len(steps):
            return [Path(path, "falloff")]
        step = steps[index]
        key = (step.context, step.exten, step.index)
        if key in visited:
            return [Path(path, "loop")]
        visited = visited | {key}
        path.append(step)
        app = step.app.lower()
        if app in HANGUP_APPS:
            return [Path(path, "hangup")]
        if app == "return":
            return [Path(path, "return")]
        if app == "goto":
            tgt_steps, tgt_index = resolve_target(dp, step, step.args)
            return [Path(path + p.steps, p.end) for p in walk(dp, tgt_steps, tgt_index, visited, depth + 1)]
        if app == "gotoif":
            result = []
            for branch in goto_branches(step.args):
                if branch is None:
                    sub = walk(dp, steps, index + 1, visited, depth + 1)
                else:
                    tgt_steps, tgt_index = resolve_target(dp, step, branch)
                    sub = walk(dp, tgt_steps, tgt_index, visited, depth + 1)
                result += [Path(path + p.steps, p.end) for p in sub]
            return result
        if app == "gosub":
            tgt_steps, tgt_index = resolve_target(dp, step, step.args)
            result = []
            for sub in walk(dp, tgt_steps, tgt_index, frozenset(), depth + 1):
                if sub.end == "return":
                    rest = walk(dp, steps, index + 1, visited, depth + 1)
                    result += [Path(path + sub.steps + p.steps, p.end) for p in rest]
                else:
                    result.append(Path(path + sub.steps, sub.end))
            return result
        index += 1


def walk_from(dp: Dialplan, context: str, exten: str = "s") -> list[Path]:
    return walk(dp, dp.contexts[context][exten], 0)


def apps(path: Path) -> list[str]:
    return [s.app.lower() for s in path.steps]


def assert_never_silent(paths: list[Path], where: str) -> None:
    """Each path ends with an explicit hangup, and something audible runs before it."""
    assert paths, f"{where}: no paths"
    for p in paths:
        trail = " -> ".join(f"{s.context},{s.exten},{s.index + 1}:{s.app}" for s in p.steps)
        assert p.end == "hangup", f"{where}: path ends by {p.end} (silence): {trail}"
        assert any(a in AUDIBLE_APPS for a in apps(p)), f"{where}: nothing audible on path {trail}"


@pytest.fixture(scope="module")
def dialplan() -> Dialplan:
    return parse_dialplan(load("extensions.conf"))


# --------------------------------------------------------------------------- the checker itself can fail

def test_walker_detects_dead_air_and_bad_targets():
    bad = parse_dialplan(parse_conf_text(
        "[a]\nexten => s,1,Answer()\n same => n,GotoIf($[\"${X}\" = \"1\"]?b,s,1)\n same => n,NoOp(silence)\n"
        "[b]\nexten => s,1,Playback(x)\n same => n,Hangup()\n"
    ))
    ends = sorted(p.end for p in walk_from(bad, "a"))
    assert ends == ["falloff", "hangup"]
    with pytest.raises(AssertionError, match="silence"):
        assert_never_silent(walk_from(bad, "a"), "a")
    missing = parse_dialplan(parse_conf_text("[a]\nexten => s,1,Goto(nowhere,s,1)\n"))
    with pytest.raises(AssertionError, match="does not exist"):
        walk_from(missing, "a")
    assert pattern_matches("_X.", "12345") and not pattern_matches("_X.", "s")
    assert pattern_matches("_100X", "1002") and not pattern_matches("_100X", "1012")
    assert parse_conf_text("[x]\nsecret = a\\;b ; comment\n").one("x").get("secret") == "a;b"


# --------------------------------------------------------------------------- extensions.conf

def test_all_jump_targets_exist(dialplan: Dialplan):
    checked = 0
    for context, exts in dialplan.contexts.items():
        for inc in dialplan.includes[context]:
            assert inc in dialplan.contexts, f"[{context}] includes missing context {inc}"
        for steps in exts.values():
            for step in steps:
                app = step.app.lower()
                if app in ("goto", "gosub"):
                    resolve_target(dialplan, step, step.args)
                    checked += 1
                elif app in ("gotoif", "gosubif"):
                    for branch in goto_branches(step.args):
                        if branch:
                            resolve_target(dialplan, step, branch)
                            checked += 1
                m = re.search(r"hangup_handler_(?:push|wipe)\)=(.+)$", step.args)
                if m:
                    resolve_target(dialplan, step, m.group(1))
                    checked += 1
    assert checked >= 10


def test_agi_urls_use_known_scripts_and_global_host(dialplan: Dialplan):
    assert dialplan.globals.get("ZT_AGI_HOST") == "app"
    assert dialplan.globals.get("ZT_RECDIR") == "/var/spool/asterisk/zhitong/recordings"
    assert dialplan.globals.get("ZT_FAXDIR") == "/var/spool/asterisk/zhitong/fax"
    # the app listens on these ports by default (ZHITONG_AGI_PORT / ZHITONG_AUDIOSOCKET_PORT)
    assert dialplan.globals.get("ZT_AGI_PORT") == "4573"
    assert dialplan.globals.get("ZT_AUDIOSOCKET_PORT") == "9092"
    scripts = set()
    for exts in dialplan.contexts.values():
        for steps in exts.values():
            for step in steps:
                if step.app.lower() in ("agi", "eagi"):
                    url = split_args(step.args)[0].strip()
                    m = re.fullmatch(r"agi://\$\{ZT_AGI_HOST\}:\$\{ZT_AGI_PORT\}/([a-z-]+)", url)
                    assert m, f"[{step.context}] AGI URL {url!r} must be agi://${{ZT_AGI_HOST}}:${{ZT_AGI_PORT}}/<script>"
                    assert m.group(1) in AGI_SCRIPTS, f"unknown FastAGI script {m.group(1)!r}"
                    scripts.add(m.group(1))
    assert scripts == AGI_SCRIPTS


def test_hotline_in_records_runs_agi_and_branches_on_zt_next(dialplan: Dialplan):
    ctx = dialplan.contexts["hotline-in"]
    assert {"s", "12345"} <= set(ctx) and any(e.startswith("_") for e in ctx)
    for entry in ("12345", "_X."):
        assert find_exten(dialplan, "hotline-in", entry.lstrip("_").replace("X.", "9876")) is not None
    steps = ctx["s"]
    names = [s.app for s in steps]
    assert names[:2] == ["NoOp", "Answer"] or names[0] == "Answer"
    args = {s.app: s.args for s in steps}
    assert args["MixMonitor"] == "${ZT_CALL_RECORDING}"
    assert any(s.app == "Set" and s.args == "ZT_CALL_RECORDING=${ZT_RECDIR}/call-${UNIQUEID}.wav" for s in steps)
    # the app learns the recording from a UserEvent (the `dialplan` class is not read by our manager user)
    announce = next(s.index for s in steps if s.app == "UserEvent")
    assert names.index("MixMonitor") < announce and args["UserEvent"] == "ZhitongRecording,File: ${ZT_CALL_RECORDING}"
    assert any(s.app == "Set" and s.args == "CDR(userfield)=hotline" for s in steps)
    agi = next(s.index for s in steps if s.app == "AGI")
    assert names.index("MixMonitor") < agi and names.index("Answer") < agi
    branches = [s for s in steps[agi:] if s.app == "GotoIf" and "ZT_NEXT" in s.args]
    conds = {re.search(r'"(\w+)"\s*\]', s.args).group(1): s for s in branches}
    assert set(conds) == {"agent", "hangup"}
    tgt, idx = resolve_target(dialplan, conds["agent"], goto_branches(conds["agent"].args)[0])
    assert (tgt[idx].context, tgt[idx].exten, idx) == ("hotline-queue", "s", 0)
    tgt, idx = resolve_target(dialplan, conds["hangup"], goto_branches(conds["hangup"].args)[0])
    assert tgt[idx].app == "Hangup" and tgt[idx].args == "16"
    # default (ZT_NEXT unset / AGI failed): the first non-branch step after the ZT_NEXT checks
    default = next(s for s in steps[branches[-1].index + 1:])
    assert default.app == "Goto" and default.args == "agi-fail,s,1"
    assert_never_silent(walk_from(dialplan, "hotline-in"), "hotline-in")
    assert_never_silent(walk(dialplan, ctx["12345"], 0), "hotline-in,12345")


def test_queued_calls_are_transcribed_live_by_a_spy_leg_never_on_the_callers_channel(dialplan: Dialplan):
    queue = dialplan.contexts["hotline-queue"]["s"]
    names = [s.app for s in queue]
    assert names.index("Gosub") < names.index("Queue") and queue[names.index("Gosub")].args == "zt-live,s,1"
    live = dialplan.contexts["zt-live"]["s"]
    apps = [s.app for s in live]
    # AudioSocket() holds its channel until the socket closes: only the originated spy leg runs it
    assert "AudioSocket" not in apps and "AudioSocket" not in [s.app for s in dialplan.contexts["hotline-transcribe"]["s"]]
    originate = live[apps.index("Originate")]
    assert originate.args.startswith("Local/${ZT_LIVE_TOKEN}@zt-live-spy/n,app,AudioSocket,")
    assert originate.args.endswith(",,,a")  # asynchronous: the caller's dialplan goes on at once
    assert apps.index("UserEvent") < apps.index("Originate")  # the app knows the stream's call first
    spy = next(iter(dialplan.contexts["zt-live-spy"].values()))
    assert spy[0].app == "ChanSpy" and "g(${EXTEN})" in spy[0].args and "E" in spy[0].args.split(",")[1]


def test_agi_fail_apologises_queues_then_says_goodbye(dialplan: Dialplan):
    paths = walk_from(dialplan, "agi-fail")
    assert_never_silent(paths, "agi-fail")
    for p in paths:
        a = apps(p)
        assert "queue" in a, "agi-fail must try the agent queue"
        q = a.index("queue")
        assert "playback" in a[:q], "apology before the queue"
        assert "playback" in a[q:], "goodbye after the queue gives up"
        assert "agi" not in a, "agi-fail must not call the AGI again (loop)"
    queue = next(s for s in dialplan.contexts["agi-fail"]["s"] if s.app == "Queue")
    assert split_args(queue.args)[0] == "hotline-q"


def test_hotline_queue_has_max_wait_and_no_dead_end(dialplan: Dialplan):
    steps = dialplan.contexts["hotline-queue"]["s"]
    queue = next(s for s in steps if s.app == "Queue")
    qargs = split_args(queue.args)
    assert qargs[0] == "hotline-q" and len(qargs) >= 5 and qargs[4].strip(), "Queue needs a timeout (5th arg)"
    assert dialplan.globals.get("ZT_QUEUE_WAIT", "").isdigit() or qargs[4].strip().isdigit()
    assert any(s.app == "AGI" and split_args(s.args)[1:] == ["message"] for s in steps)
    assert_never_silent(walk_from(dialplan, "hotline-queue"), "hotline-queue")


def test_hotline_queue_trusts_zt_next_not_agistatus_after_the_message_agi(dialplan: Dialplan):
    # A FastAGI server that closes at once (peer refused, connections capped) leaves
    # AGISTATUS=SUCCESS: only ZT_NEXT=hangup says the message was taken.
    steps = dialplan.contexts["hotline-queue"]["s"]
    agi = next(s.index for s in steps if s.app == "AGI")
    branches = [s for s in steps[agi:] if s.app == "GotoIf"]
    assert not any("AGISTATUS" in s.args for s in branches)
    conds = {re.search(r'"(\w+)"\s*\]', s.args).group(1): s for s in branches if "ZT_NEXT" in s.args}
    assert set(conds) == {"agent", "hangup"}
    tgt, idx = resolve_target(dialplan, conds["agent"], goto_branches(conds["agent"].args)[0])
    assert (tgt[idx].context, idx) == ("agi-fail", 0)
    default = steps[branches[-1].index + 1]
    assert default.app == "Gosub" and default.args.startswith("zt-say,s,1(queue-busy")


def test_a_caller_the_queue_gave_up_on_hears_that_the_agents_are_busy_before_the_message(dialplan: Dialplan):
    """Queue() returns only without an agent (JOINEMPTY, LEAVEEMPTY, TIMEOUT…); the caller heard
    "正在为您转接人工服务" and must be told why nobody answered before being asked for a message,
    by the dialplan or by the hotline AGI's `message` entry (once, not twice)."""
    from ivr import flow
    from ivr.routes.hotline import ENTRIES

    steps = dialplan.contexts["hotline-queue"]["s"]
    queue = next(s.index for s in steps if s.app == "Queue")
    agi = next(s for s in steps[queue:] if s.app == "AGI")
    said = [s.args for s in steps[queue:agi.index] if s.app == "Gosub" and s.args.startswith("zt-say,")]
    menu = flow.load_menu(flow.menu_path("hotline"))
    entry = menu.node(ENTRIES[split_args(agi.args)[1]])
    busy_text = [menu.prompts[p] for p in entry.prompts if "坐席繁忙" in menu.prompts[p]]
    by_dialplan = any("busy" in args for args in said)
    by_agi = entry.kind == "play" and bool(busy_text)
    assert by_dialplan != by_agi, (said, entry)
    if by_agi:  # then the same entry goes on to take the message
        assert menu.node(entry.next or "").kind == "record"


def test_zt_say_always_plays_something(dialplan: Dialplan):
    for p in walk_from(dialplan, "zt-say"):
        assert p.end == "return" and "playback" in apps(p)
    for exts in dialplan.contexts.values():
        for steps in exts.values():
            for s in steps:
                if s.app == "Gosub" and s.args.startswith("zt-say,"):
                    m = re.search(r"\((.*)\)$", s.args)
                    prompt, fallback = split_args(m.group(1))
                    assert prompt.strip() and fallback.strip(), f"zt-say needs a prompt and a stock fallback: {s.args}"


def test_fax_in_receives_with_hangup_handler_event(dialplan: Dialplan):
    steps = dialplan.contexts["fax-in"]["s"]
    names = [s.app for s in steps]
    rx = next(s for s in steps if s.app == "ReceiveFAX")
    assert split_args(rx.args)[0] == "${ZT_FAXDIR}/fax-${UNIQUEID}.tif"
    push = next(s for s in steps if "hangup_handler_push" in s.args)
    assert push.index < rx.index, "hangup handler must be pushed before ReceiveFAX"
    assert push.args.endswith("=fax-result,s,1")
    assert names[-1] == "Hangup"
    handler = dialplan.contexts["fax-result"]["s"]
    event = next(s for s in handler if s.app == "UserEvent")
    fields = [f.strip() for f in split_args(event.args)]
    assert fields[0] == "FaxResult"
    headers = dict(f.split(": ", 1) for f in fields[1:])
    assert headers["Status"] == "${FAXOPT(status)}"
    assert headers["Pages"] == "${FAXOPT(pages)}"
    assert {"StatusStr", "Error", "File"} <= set(headers)
    assert handler[-1].app == "Return"
    trunk = dialplan.contexts["from-trunk"]
    assert "12346" in trunk and "12346" in dialplan.contexts["fax-in"]


def test_survey_out_runs_survey_agi(dialplan: Dialplan):
    steps = dialplan.contexts["survey-out"]["s"]
    names = [s.app for s in steps]
    assert "Answer" in names and names[-1] == "Hangup"
    agi = next(s for s in steps if s.app == "AGI")
    assert agi.args == "agi://${ZT_AGI_HOST}:${ZT_AGI_PORT}/survey"
    assert names.index("Answer") < agi.index
    for p in walk_from(dialplan, "survey-out"):
        assert p.end == "hangup"


def test_outbound_dials_carrier_and_reports_failure(dialplan: Dialplan):
    assert find_exten(dialplan, "outbound", "13800138000") is not None
    assert find_exten(dialplan, "outbound", "1001") is not None
    dial = [s for steps in dialplan.contexts["outbound"].values() for s in steps if s.app == "Dial"]
    assert any("@carrier" in s.args for s in dial)
    for ext in dialplan.contexts["outbound"]:
        for p in walk(dialplan, dialplan.contexts["outbound"][ext], 0):
            assert p.end == "hangup", f"outbound {ext} falls off"


# --------------------------------------------------------------------------- other configs

def test_manager_user_and_event_filters():
    conf = load("manager.conf")
    general = conf.one("general")
    assert general.get("enabled") == "yes" and general.get("port") == "5038"
    assert general.get("webenabled") == "no"
    users = [s for s in conf.sections if s.name == "zhitong"]
    assert users and users[0].options == ()
    user = users[0]
    read = {c.strip() for c in (user.get("read") or "").split(",")}
    write = {c.strip() for c in (user.get("write") or "").split(",")}
    assert {"system", "call", "agent", "user", "dtmf", "cdr", "agi"} <= read
    assert "all" not in read and "dialplan" not in read
    assert {"system", "call", "agent", "originate", "reporting"} <= write
    assert user.get("secret") is None, "the AMI secret must not be committed"
    assert ("#include", "manager_secret.conf") in conf.includes
    assert user.getall("deny") == ["0.0.0.0/0.0.0.0"] and user.getall("permit")

    excluded, included = set(), set()
    for key, value in user.entries:
        m = re.fullmatch(r"eventfilter\((.*)\)", key)
        if m:
            crit = dict(re.findall(r"(\w+)\(([^)]*)\)", m.group(1)))
            assert set(crit) <= {"action", "name", "header", "method"}, crit
            target = excluded if crit.get("action") == "exclude" else included
            if "name" in crit and "header" not in crit:
                target.add(crit["name"])
        elif key == "eventfilter":
            lm = re.fullmatch(r"(!?)Event: (\w+)", value)
            if lm:
                (excluded if lm.group(1) else included).add(lm.group(2))
    assert {"VarSet", "Newexten"} <= excluded
    assert not included, "an include filter would turn the user into an allow-list"
    keep = {"Newstate", "Hangup", "Cdr", "DTMFBegin", "DTMFEnd", "AGIExecStart", "AGIExecEnd",
            "MixMonitorStart", "QueueCallerJoin", "AgentConnect", "UserEvent", "FAXStatus",
            "ReceiveFAX", "OriginateResponse", "CoreShowChannel", "Status", "FullyBooted"}
    assert not keep & excluded


def test_entrypoint_generates_every_include():
    script = ENTRYPOINT.read_text(encoding="utf-8")
    for name in ("manager.conf", "pjsip.conf"):
        for directive, inc in load(name).includes:
            assert f'$ETC/{inc}"' in script, f"{name}: {directive} {inc} is not written by entrypoint.sh"
    assert "[zhitong](+)" in script and "ZT_AMI_SECRET" in script


def test_queue_members_are_pjsip_agents():
    queues = load("queues.conf")
    q = queues.one("hotline-q")
    assert q.get("strategy") in {"ringall", "rrmemory", "leastrecent", "fewestcalls", "random", "linear"}
    members = q.getall("member")
    assert len(members) >= 2
    pjsip = load("pjsip.conf")
    endpoints = {s.name for s in pjsip.sections if s.options and s.options[0] == "endpoint-agent"}
    for m in members:
        iface = m.split(",")[0]
        assert iface.startswith("PJSIP/") and iface[6:] in endpoints, f"member {iface} is not a PJSIP agent"
    assert "unavailable" in (q.get("joinempty") or "")


def test_pjsip_contexts_exist(dialplan: Dialplan):
    pjsip = load("pjsip.conf")
    transports = [s for s in pjsip.sections if s.get("type") == "transport"]
    assert transports and transports[0].get("bind") == "0.0.0.0:5060"
    contexts = {s.get("context") for s in pjsip.sections if s.get("context")}
    trunk = parse_conf_text(TRUNK_TEMPLATE.read_text(encoding="utf-8"))
    contexts |= {s.get("context") for s in trunk.sections if s.get("context")}
    assert {"agents", "from-trunk"} <= contexts
    assert contexts <= set(dialplan.contexts)
    assert any(s.name == "carrier" and s.get("type") == "endpoint" for s in trunk.sections)
    for s in pjsip.sections + trunk.sections:
        assert s.get("password") in (None, "{{ZT_TRUNK_PASSWORD}}"), f"[{s.name}] committed password"


def test_res_fax_cdr_and_modules():
    fax = load("res_fax.conf").one("general")
    assert fax.get("statusevents") == "yes" and fax.get("ecm") == "yes" and fax.get("maxrate") == "14400"
    assert load("cdr.conf").one("general").get("enable") == "yes"
    assert load("cdr_manager.conf").one("general").get("enabled") == "yes"
    mods = load("modules.conf").one("modules")
    assert mods.get("autoload") == "yes"
    loaded = set(mods.getall("require")) | set(mods.getall("load"))
    noload = set(mods.getall("noload"))
    assert REQUIRED_MODULES <= loaded
    assert not (loaded & noload)
    assert "app_audiosocket.so" in loaded and "res_audiosocket.so" in loaded


# Optional files whose absence Asterisk 22 logs at every boot, with the module that reads them and
# its message (from the 22.10.1 sources: config_options.c and res_sorcery_config.c log "Unable to
# load config file" for every module built on them; the others have messages of their own).
OPTIONAL_CONFS = {
    "features.conf": ("main/features_config.c", "ERROR config_options.c: Unable to load config file 'features.conf'"),
    "acl.conf": ("main/named_acl.c", "ERROR config_options.c: Unable to load config file 'acl.conf'"),
    "udptl.conf": ("main/udptl.c", "ERROR config_options.c: Unable to load config file 'udptl.conf'"),
    "cel.conf": ("main/cel.c", "ERROR config_options.c: Unable to load config file 'cel.conf'"),
    "stasis.conf": ("main/stasis.c", "ERROR config_options.c: Unable to load config file 'stasis.conf'"),
    "ccss.conf": ("main/ccss.c", "WARNING ccss.c: Could not find valid ccss.conf file. Using cc_max_requests"),
    "pjproject.conf": ("res_pjproject", "ERROR res_sorcery_config.c: Unable to load config file 'pjproject.conf'"),
    "pjsip_notify.conf": ("res_pjsip_notify", "ERROR config_options.c: Unable to load config file 'pjsip_notify.conf'"),
    "pjsip_wizard.conf": ("res_pjsip_config_wizard",
                          "ERROR res_pjsip_config_wizard.c: Unable to load config file 'pjsip_wizard.conf'"),
    "res_parking.conf": ("res_parking", "ERROR config_options.c: Unable to load config file 'res_parking.conf'"),
    "ari.conf": ("res_ari", "ERROR res_sorcery_config.c: Unable to load config file 'ari.conf'"),
    "websocket_client.conf": ("res_websocket_client",
                              "ERROR res_sorcery_config.c: Unable to load config file 'websocket_client.conf'"),
    "aeap.conf": ("res_aeap", "ERROR res_sorcery_config.c: Unable to load config file 'aeap.conf'"),
    "statsd.conf": ("res_statsd", "ERROR config_options.c: Unable to load config file 'statsd.conf'"),
    "prometheus.conf": ("res_prometheus", "ERROR config_options.c: Unable to load config file 'prometheus.conf'"),
    "agents.conf": ("app_agent_pool", "ERROR config_options.c: Unable to load config file 'agents.conf'"),
    "confbridge.conf": ("app_confbridge", "ERROR config_options.c: Unable to load config file 'confbridge.conf'"),
    "amd.conf": ("app_amd", "ERROR app_amd.c: Configuration file amd.conf missing."),
    "followme.conf": ("app_followme", "WARNING app_followme.c: No follow me config file (followme.conf), so no"),
    "festival.conf": ("app_festival", "WARNING app_festival.c: No such configuration file festival.conf"),
    "cli_aliases.conf": ("res_clialiases",
                         "ERROR res_clialiases.c: res_clialiases configuration file 'cli_aliases.conf' not found"),
    "res_stun_monitor.conf": ("res_stun_monitor", "WARNING res_stun_monitor.c: Unable to load config res_stun_monitor.conf"),
    "res_config_sqlite3.conf": ("res_config_sqlite3",
                                "ERROR res_config_sqlite3.c: Missing config file 'res_config_sqlite3.conf'"),
    "http.conf": ("main/http.c", ""),  # silent when missing; shipped to state that the HTTP server is off
}


def test_the_optional_config_files_asterisk_looks_for_are_shipped():
    for name, (module, _) in OPTIONAL_CONFS.items():
        path = CONF / name
        assert path.is_file(), f"{name} (read by {module}) is not shipped"
        text = path.read_text(encoding="utf-8")
        assert text.startswith("; Exists "), f"{name} must say first why it exists"
        parse_conf_text(text, CONF)  # well-formed
    # The ones that would switch something on are explicitly off.
    assert load("http.conf").one("general").get("enabled") == "no"
    assert load("ari.conf").one("general").get("enabled") == "no"
    assert load("cel.conf").one("general").get("enable") == "no"
    for name in ("statsd.conf", "prometheus.conf"):
        assert load(name).one("general").get("enabled") == "no", name
    assert not [s for s in load("features.conf").sections if s.name in ("featuremap", "applicationmap")]


def test_the_self_test_fails_the_build_on_any_missing_config_file():
    script = (DOCKER / "asterisk" / "selftest.sh").read_text(encoding="utf-8")
    pattern = re.search(r"^MISSING_CONF='([^']+)'$", script, re.M)
    assert pattern and 'grep -Ei "$MISSING_CONF" /var/log/asterisk/messages.log' in script
    missing = re.compile(pattern.group(1), re.I)
    for name, (_, message) in OPTIONAL_CONFS.items():
        assert not message or missing.search(message), f"the self-test would not notice a missing {name}"
    assert not missing.search("NOTICE res_parking.c: Adding default_parking_lot profile to res_parking")
    assert load("logger.conf").one("logfiles").get("messages.log") == "notice,warning,error"


def test_rtp_range_matches_compose():
    rtp = load("rtp.conf").one("general")
    start, end = rtp.get("rtpstart"), rtp.get("rtpend")
    assert f'"{start}-{end}:{start}-{end}/udp"' in COMPOSE.read_text(encoding="utf-8")


def test_dockerfile_builds_asterisk_22_with_spandsp():
    text = (DOCKER / "asterisk" / "Dockerfile").read_text(encoding="utf-8")
    assert "downloads.asterisk.org/pub/telephony/asterisk/asterisk-${ASTERISK_VERSION}.tar.gz" in text
    assert "ARG ASTERISK_VERSION=22-current" in text
    assert "debian:bookworm-slim" in text and "libspandsp-dev" in text and "libspandsp2" in text
    for module in REQUIRED_MODULES - {"pbx_config.so"}:
        assert f"--enable {module[:-3]}" in text, f"menuselect does not enable {module}"
    assert "COPY conf/ /etc/asterisk/" in text and "zhitong-asterisk-selftest" in text


# --------------------------------------------------------------------------- compose.yaml (text only)

def yaml_block(text: str, key: str, indent: int) -> str:
    """The lines under `key:` at the given indentation (a light YAML reader)."""
    lines = text.splitlines()
    pad = " " * indent
    for i, line in enumerate(lines):
        if line == f"{pad}{key}:":
            out = []
            for nxt in lines[i + 1:]:
                if nxt.strip() and not nxt.lstrip().startswith("#") and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                out.append(nxt)
            return "\n".join(out)
    raise AssertionError(f"no `{key}:` at indent {indent}")


def test_compose_services_volumes_and_env():
    text = COMPOSE.read_text(encoding="utf-8")
    services = yaml_block(text, "services", 0)
    asterisk, app = yaml_block(services, "asterisk", 2), yaml_block(services, "app", 2)
    yaml_block(services, "postgres", 2)
    assert "zhitong-spool:" in yaml_block(text, "volumes", 0)
    assert "zhitong-prompts:" in yaml_block(text, "volumes", 0)
    for svc in (asterisk, app):
        vols = yaml_block(svc, "volumes", 4)
        assert "- zhitong-spool:/var/spool/asterisk/zhitong" in vols
        assert "- zhitong-prompts:/var/lib/asterisk/sounds/zhitong" in vols
    env = dict(re.findall(r"^\s{6}(ZHITONG_\w+):\s*(.+)$", yaml_block(app, "environment", 4), re.M))
    assert env["ZHITONG_AMI_HOST"] == "asterisk"
    assert env["ZHITONG_AMI_PORT"] == '"5038"' and env["ZHITONG_AGI_PORT"] == '"4573"'
    assert env["ZHITONG_AGI_HOST"] == "0.0.0.0", "FastAGI must listen beyond the app container's loopback"
    assert env["ZHITONG_AMI_USERNAME"] == "zhitong" and env["ZHITONG_AMI_AUTH"] == "md5"
    # The app reads recordings where the dialplan writes them (ZT_RECDIR), by file name only.
    assert env["ZHITONG_RECORDINGS_DIR"] == "/var/spool/asterisk/zhitong/recordings"
    assert env["ZHITONG_BLOB_DIR"].startswith("/var/lib/zhitong/")  # the app's own volume
    assert env["ZHITONG_DATABASE_URL"].startswith("postgresql+asyncpg://")
    ast_env = yaml_block(asterisk, "environment", 4)
    secret = re.search(r"ZT_AMI_SECRET:\s*(\S+)", ast_env).group(1)
    assert env["ZHITONG_AMI_SECRET"] == secret, "app and asterisk must share the AMI secret"
    ports = yaml_block(asterisk, "ports", 4)
    assert '"5060:5060/udp"' in ports and "5038" not in ports, "AMI must not be published"
    assert "5038" not in yaml_block(app, "ports", 4)
    assert "context: asterisk" in yaml_block(asterisk, "build", 4)
    assert "healthcheck:" in asterisk
    depends = yaml_block(app, "depends_on", 4)
    assert "asterisk:" in depends and "postgres:" in depends
    assert '"2000"' in yaml_block(app, "group_add", 4)


def test_compose_lets_only_the_asterisk_container_open_fastagi_and_audiosocket():
    text = COMPOSE.read_text(encoding="utf-8")
    services = yaml_block(text, "services", 0)
    asterisk, app = yaml_block(services, "asterisk", 2), yaml_block(services, "app", 2)
    pinned = re.search(r"ipv4_address:\s*(\S+)", yaml_block(asterisk, "networks", 4)).group(1)
    subnet = re.search(r"subnet:\s*(\S+)", yaml_block(text, "networks", 0)).group(1)
    env = dict(re.findall(r"^\s{6}(ZHITONG_\w+):\s*(.+)$", yaml_block(app, "environment", 4), re.M))
    assert env["ZHITONG_AGI_ALLOWED_PEERS"] == pinned and env["ZHITONG_AUDIOSOCKET_ALLOWED_PEERS"] == pinned
    default = re.fullmatch(r"\$\{\w+:-([0-9./]+)\}", pinned).group(1)
    assert ipaddress.ip_address(default) in ipaddress.ip_network(re.fullmatch(r"\$\{\w+:-(\S+)\}", subnet).group(1))
    assert "4573" not in yaml_block(app, "ports", 4) and "9092" not in yaml_block(app, "ports", 4)


# --------------------------------------------------------------------------- entrypoint.sh, run

# The options res_pjsip_outbound_registration.c (Asterisk 22.10.1) registers for type=registration.
REGISTRATION_OPTIONS = {
    "type", "server_uri", "client_uri", "contact_user", "contact_header_params", "transport", "outbound_proxy",
    "expiration", "max_random_initial_delay", "retry_interval", "forbidden_retry_interval", "fatal_retry_interval",
    "max_retries", "auth_rejection_permanent", "outbound_auth", "support_path", "support_outbound",
    "security_negotiation", "security_mechanisms", "line", "endpoint", "user_agent",
}


def test_the_trunk_keeps_registering_after_a_fatal_reply():
    """Without fatal_retry_interval one 404 stopped registration until a reload; a rejected challenge
    (auth_rejection_permanent, default yes) and max_retries (default 10) stopped it for good too."""
    trunk = parse_conf_text(TRUNK_TEMPLATE.read_text(encoding="utf-8"))
    [reg] = [s for s in trunk.sections if s.get("type") == "registration"]
    assert {k for k, _ in reg.entries} <= REGISTRATION_OPTIONS
    assert int(reg.get("fatal_retry_interval") or 0) > 0
    assert int(reg.get("forbidden_retry_interval") or 0) > 0
    assert 0 < int(reg.get("retry_interval") or 0) <= 300
    assert reg.get("auth_rejection_permanent") == "no"
    assert int(reg.get("max_retries") or 10) >= 1000


def run_entrypoint(tmp_path: pathlib.Path, template: str | None = None,
                   **env: str) -> tuple[subprocess.CompletedProcess, pathlib.Path]:
    """`entrypoint.sh --render-only` with every directory moved into tmp_path (as the real-PBX tests do)."""
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    share = TRUNK_TEMPLATE.parent
    if template is not None:
        share = tmp_path / "share"
        share.mkdir(exist_ok=True)
        (share / TRUNK_TEMPLATE.name).write_text(template, encoding="utf-8")
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ZT_ASTERISK_ETC": str(etc),
            "ZT_ASTERISK_SHARE": str(share), "ZT_ASTERISK_SPOOL": str(tmp_path / "spool"),
            "ZT_ASTERISK_PROMPTS": str(tmp_path / "prompts"), "ZT_AMI_SECRET": "ami;secret",
            "ZT_AGENT_PASSWORD": "agent-password"}
    run = subprocess.run(["sh", str(ENTRYPOINT), "--render-only"], env={**base, **env}, capture_output=True,
                         text=True, timeout=30)
    return run, etc


def test_the_entrypoint_renders_into_the_directories_it_is_given(tmp_path: pathlib.Path):
    run, etc = run_entrypoint(tmp_path)
    assert run.returncode == 0, run.stderr
    manager = parse_conf_text((etc / "manager_secret.conf").read_text(encoding="utf-8"))
    assert manager.one("zhitong").get("secret") == "ami;secret"  # written escaped, read back whole
    assert (etc / "pjsip_trunk.conf").read_text(encoding="utf-8").startswith("; no carrier trunk")
    for name in ("manager_secret.conf", "pjsip_secrets.conf", "pjsip_nat.conf", "pjsip_trunk.conf"):
        assert (etc / name).stat().st_mode & 0o777 == 0o640, name
    for folder in ("spool", "spool/recordings", "spool/fax", "prompts"):
        assert (tmp_path / folder).stat().st_mode & 0o7777 == 0o2775, folder


def test_the_trunk_template_is_rendered_outside_its_comments_only(tmp_path: pathlib.Path):
    run, etc = run_entrypoint(tmp_path, ZT_TRUNK_HOST="sip.carrier.example", ZT_TRUNK_USER="hotline01",
                              ZT_TRUNK_PASSWORD="pa;ss", NAME="leaked-value")
    assert run.returncode == 0, run.stderr
    text = (etc / "pjsip_trunk.conf").read_text(encoding="utf-8")
    assert "{{NAME}} = environment variable NAME" in text and "leaked-value" not in text
    trunk = parse_conf_text(text)
    assert not [v for s in trunk.sections for _, v in s.entries if "{{" in v]
    auth = next(s for s in trunk.sections if s.get("type") == "auth")
    assert (auth.get("username"), auth.get("password")) == ("hotline01", "pa;ss")
    [reg] = [s for s in trunk.sections if s.get("type") == "registration"]
    assert reg.get("client_uri") == "sip:hotline01@sip.carrier.example"


def test_comments_of_every_kind_are_copied_as_they_are(tmp_path: pathlib.Path):
    template = (
        "; {{A}} in a comment line\n"
        "[x]  ; {{A}} after a section\n"
        "user = {{A}} ; and {{B}} after a value\n"
        "escaped = x\\;{{A}}\n"
        ";-- a block {{A}}\n"
        "still {{A}} ;-- nested {{B}} --; still {{B}}\n"
        "--; host = {{B}}\n"
        ";---- a line comment, not a block {{A}}\n"
        "last = {{B}}\n"
    )
    run, etc = run_entrypoint(tmp_path, template, ZT_TRUNK_HOST="h", ZT_TRUNK_USER="u", A="va;l", B="vb")
    assert run.returncode == 0, run.stderr
    assert (etc / "pjsip_trunk.conf").read_text(encoding="utf-8") == (
        "; {{A}} in a comment line\n"
        "[x]  ; {{A}} after a section\n"
        "user = va\\;l ; and {{B}} after a value\n"
        "escaped = x\\;va\\;l\n"
        ";-- a block {{A}}\n"
        "still {{A}} ;-- nested {{B}} --; still {{B}}\n"
        "--; host = vb\n"
        ";---- a line comment, not a block {{A}}\n"
        "last = vb\n"
    )


def test_a_value_of_more_than_one_line_is_refused(tmp_path: pathlib.Path):
    run, _ = run_entrypoint(tmp_path, ZT_TRUNK_HOST="h", ZT_TRUNK_USER="u", ZT_TRUNK_PASSWORD="pw\n[evil]\ntype = x")
    assert run.returncode != 0 and "ZT_TRUNK_PASSWORD must be one line" in run.stderr
