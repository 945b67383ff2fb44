"""The pure flow engine over the packaged menus (no I/O)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flow import (
    Collect,
    CreateDraft,
    DeskFailed,
    Digits,
    FlowStateError,
    Hangup,
    HungUp,
    LookupOrder,
    MenuError,
    OrderFound,
    OrderNotFound,
    Play,
    Record,
    Recorded,
    Saved,
    SaveSurvey,
    Say,
    Step,
    Timeout,
    Transfer,
    load_menu,
    menu_path,
    parse_menu,
    start,
    step,
)
from ivr.flow.say import number_words, tokenize

HOTLINE = load_menu(menu_path("hotline"))
SURVEY = load_menu(menu_path("survey"))


def run(menu, *events):
    """Start, feed events; return (final state, all actions)."""
    state, actions = start(menu)
    seen = list(actions)
    for event in events:
        state, actions = step(menu, state, event)
        seen += actions
    return state, seen


def kinds(actions, cls):
    return [a for a in actions if isinstance(a, cls)]


def test_welcome_then_main_menu_collect() -> None:
    state, actions = start(HOTLINE)
    assert actions[:2] == [Step("welcome"), Play("welcome", HOTLINE.prompts["welcome"])]
    assert actions[-1] == Collect("main-menu", HOTLINE.prompts["main-menu"], 1, 6000, "#")
    assert "工单查询请按4" in actions[-1].text
    assert state.trace == ("welcome", "main") and state.waiting == "input"


def test_zero_goes_to_agent() -> None:
    state, actions = run(HOTLINE, Digits("0"))
    assert actions[-1] == Transfer("agent") and state.outcome == "transfer:agent"
    assert state.trace[-1] == "agent"


@pytest.mark.parametrize("event, prompt", [(Digits("9"), "invalid-input"), (Timeout(), "no-input")])
def test_three_failures_go_to_agent(event, prompt) -> None:
    state, actions = run(HOTLINE, event)
    assert actions[-2:] == [Play(prompt, HOTLINE.prompts[prompt]), Collect("main-menu", HOTLINE.prompts["main-menu"], 1, 6000)]
    assert state.failures == 1
    state, actions = run(HOTLINE, event, event)
    assert state.failures == 2 and isinstance(actions[-1], Collect)
    state, actions = run(HOTLINE, event, event, event)
    assert actions[-1] == Transfer("agent") and state.waiting == "done"


def test_mixed_failures_count_together_and_reset_on_new_node() -> None:
    state, _ = run(HOTLINE, Digits("7"), Timeout(), Digits("2"))
    assert state.node == "report" and state.failures == 0
    state, actions = run(HOTLINE, Digits("7"), Timeout(), Digits("2"), Digits("5"), Digits("5"))
    assert isinstance(actions[-1], Collect)  # two failures in "report": still asking


@pytest.mark.parametrize("digit, choice", [("1", "policy"), ("2", "report"), ("3", "complaint")])
def test_leave_message_creates_draft_with_menu_choice(digit, choice) -> None:
    state, actions = run(HOTLINE, Digits(digit), Digits("1"))
    assert actions[-2:] == [Play("leave-message", HOTLINE.prompts["leave-message"]), Record(120, 5, "#")]
    state, actions = step(HOTLINE, state, Recorded("/rec/msg-1.wav", 12.5))
    assert actions == [CreateDraft("/rec/msg-1.wav", 12.5, choice)] and state.waiting == "saving"
    state, actions = step(HOTLINE, state, Saved("20261123-0001"))
    assert actions[-2:] == [Play("message-thanks", HOTLINE.prompts["message-thanks"]), Hangup()]
    assert state.trace == ("welcome", "main", choice, "leave-message", "message-thanks")


def test_entry_node_skips_the_menu() -> None:
    state, actions = start(HOTLINE, "leave-message")
    assert actions[-1] == Record(120, 5, "#") and state.trace == ("leave-message",) and state.choice is None


@pytest.mark.parametrize("events", [[Timeout()], [Digits("0")]])
def test_offer_defaults_to_agent(events) -> None:
    _, actions = run(HOTLINE, Digits("2"), *events)
    assert actions[-1] == Transfer("agent") and not kinds(actions, Record)


def test_order_found_reads_back_status_and_deadline() -> None:
    state, actions = run(HOTLINE, Digits("4"), Digits("202611230007"))
    assert actions[-1] == LookupOrder("20261123-0007") and state.waiting == "lookup"
    state, actions = step(HOTLINE, state, OrderFound("20261123-0007", "办理中", "2026年11月30日18时"))
    say = actions[0]
    assert isinstance(say, Say)
    assert say.text == "工单20261123-0007，当前状态办理中，办理期限2026年11月30日18时。"
    assert say.prompt_ids[:3] == ("say-order", "say-2", "say-0")
    assert "say-st-handling" in say.prompt_ids and say.prompt_ids[-2:] == ("say-8", "say-hour")
    assert state.node == "order-after"
    _, tail = step(HOTLINE, state, Timeout())
    assert tail[-1] == Hangup()


def test_order_without_due_date() -> None:
    state, _ = run(HOTLINE, Digits("4"), Digits("202611230007"))
    _, actions = step(HOTLINE, state, OrderFound("20261123-0007", "已办结", None))
    assert actions[0].text == "工单20261123-0007，当前状态已办结。"


def test_order_not_found_three_times_goes_to_agent() -> None:
    number = Digits("202611239999")
    state, actions = run(HOTLINE, Digits("4"), number, OrderNotFound("20261123-9999"))
    assert actions[-2:] == [
        Play("order-not-found", HOTLINE.prompts["order-not-found"]),
        Collect("order-number", HOTLINE.prompts["order-number"], 13, 8000),
    ]
    state, actions = run(HOTLINE, Digits("4"), number, OrderNotFound(""), Digits("12"), number, OrderNotFound(""))
    assert actions[-1] == Transfer("agent")


@pytest.mark.parametrize("events", [
    [Digits("4"), Digits("202611230007")], [Digits("1"), Digits("1"), Recorded("/r.wav", 1.0)],
])
def test_desk_failure_goes_to_agent(events) -> None:
    state, _ = run(HOTLINE, *events)
    state, actions = step(HOTLINE, state, DeskFailed("db down"))
    assert actions[-1] == Transfer("agent")


def test_hangup_ends_without_actions_and_unexpected_events_raise() -> None:
    state, _ = run(HOTLINE, Digits("4"))
    done, actions = step(HOTLINE, state, HungUp())
    assert actions == [] and done.waiting == "done"
    with pytest.raises(FlowStateError):
        step(HOTLINE, done, Digits("1"))
    with pytest.raises(FlowStateError):
        step(HOTLINE, state, Recorded("x", 1.0))


@pytest.mark.parametrize("digit, answer", [("1", "satisfied"), ("2", "basically_satisfied"), ("3", "unsatisfied")])
def test_survey_answers(digit, answer) -> None:
    state, _ = start(SURVEY)
    state, actions = step(SURVEY, state, Digits(digit))
    assert actions == [SaveSurvey(answer)]
    state, actions = step(SURVEY, state, Saved())
    assert state.outcome == "hangup" and state.trace[-1] == "thanks"
    assert actions[-2:] == [Play("survey-thanks", SURVEY.prompts["survey-thanks"]), Hangup()]


def test_survey_question_text() -> None:
    _, actions = start(SURVEY)
    assert actions[-1].text == "请对本次工单办理结果进行评价：满意请按1，基本满意请按2，不满意请按3。"


@pytest.mark.parametrize("events", [[Digits("9"), Timeout(), Digits("4")], [Timeout()] * 3])
def test_survey_three_failures_save_no_answer(events) -> None:
    state, actions = run(SURVEY, *events)
    assert actions[-1] == SaveSurvey(None)
    done, actions = step(SURVEY, state, HungUp())  # hang-up while saving: nothing saved twice
    assert actions == [] and done.waiting == "done"
    _, actions = run(SURVEY, *events, Saved())
    assert actions[-2:] == [Play("survey-goodbye", SURVEY.prompts["survey-goodbye"]), Hangup()]
    _, two = run(SURVEY, *events[:2])
    assert kinds(two, SaveSurvey) == [] and isinstance(two[-1], Collect)


def test_survey_hangup_saves_no_answer() -> None:
    state, _ = start(SURVEY)
    _, actions = step(SURVEY, state, HungUp())
    assert actions == [SaveSurvey(None)]


def test_number_words() -> None:
    assert [number_words(n) for n in ("7", "10", "11", "30", "05", "2026")] == ["七", "十", "十一", "三十", "五", "二零二六"]
    assert tokenize("当前状态：已派单!") == ("say-status", "say-st-dispatched")


# ----------------------------------------------------------------------------- validation


def raw(name: str) -> dict:
    return tomllib.loads(menu_path(name).read_text(encoding="utf-8"))


def test_packaged_menus_validate() -> None:
    assert set(HOTLINE.nodes) >= {"welcome", "main", "order", "leave-message", "agent"}
    assert SURVEY.start == "rate"


def test_unknown_target() -> None:
    data = raw("hotline")
    data["nodes"][1]["choices"]["5"] = "nowhere"
    with pytest.raises(MenuError) as exc:
        parse_menu(data)
    assert exc.value.error_id == "menu-unknown-target" and "nowhere" in str(exc.value)


def test_missing_prompt() -> None:
    data = raw("survey")
    del data["prompts"]["survey-thanks"]
    with pytest.raises(MenuError) as exc:
        parse_menu(data)
    assert exc.value.error_id == "menu-missing-prompt" and "survey-thanks" in str(exc.value)


def test_duplicate_ids() -> None:
    data = raw("survey")
    data["nodes"].append(dict(data["nodes"][1]))
    with pytest.raises(MenuError) as exc:
        parse_menu(data)
    assert exc.value.error_id == "menu-duplicate-id"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["nodes"][0].update(kind="dance"),
        lambda d: d["nodes"][0].update(colour="red"),
        lambda d: d["nodes"][0]["answers"].update({"12": "x"}),
        lambda d: d["nodes"][0].pop("prompt"),
        lambda d: d["nodes"][0].update(timeout_ms="soon"),
        lambda d: d["menu"].pop("start"),
    ],
)
def test_schema_errors(mutate) -> None:
    data = raw("survey")
    mutate(data)
    with pytest.raises(MenuError) as exc:
        parse_menu(data)
    assert exc.value.error_id == "menu-invalid"


def test_syntax_error_and_play_loop(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[menu\n", encoding="utf-8")
    with pytest.raises(MenuError) as exc:
        load_menu(bad)
    assert exc.value.error_id == "menu-syntax"
    data = raw("survey")
    data["nodes"] += [{"id": "a", "kind": "play", "prompts": ["survey-thanks"], "next": "b"},
                      {"id": "b", "kind": "play", "prompts": ["survey-thanks"], "next": "a"}]
    with pytest.raises(MenuError, match="loop"):
        parse_menu(data)


# ----------------------------------------------------------------------------- property

INPUT = st.one_of(st.just(Timeout()), st.text("0123456789*#", min_size=1, max_size=13).map(Digits))


@settings(max_examples=300, deadline=None)
@given(menu=st.sampled_from([HOTLINE, SURVEY]), inputs=st.lists(INPUT, min_size=40, max_size=40),
       found=st.lists(st.booleans(), min_size=10, max_size=10))
def test_any_input_ends_in_transfer_or_hangup(menu, inputs, found) -> None:
    """Whatever the caller keys, the call ends within a bounded number of inputs."""
    state, actions = start(menu)
    inputs, found = iter(inputs), iter(found)
    for _ in range(30):
        if state.waiting == "done":
            break
        if state.waiting == "recording":
            event = Recorded("/r.wav", 3.0)
        elif state.waiting == "saving":
            event = Saved()
        elif state.waiting == "lookup":
            event = OrderFound("x", "办理中", None) if next(found) else OrderNotFound("x")
        else:
            event = next(inputs)
        state, actions = step(menu, state, event)
    assert state.waiting == "done"
    assert isinstance(actions[-1], Transfer | Hangup)
