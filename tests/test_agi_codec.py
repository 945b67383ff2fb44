"""ivr.agi.codec against the real Asterisk 22 FastAGI captures in ../shared (never copied here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.agi.codec import (
    AgiItem,
    AgiProtocolError,
    AgiReply,
    HangupNotice,
    HeaderReader,
    Quoted,
    ReplyReader,
    format_command,
    parse_command,
    parse_headers,
    parse_reply,
)

SCENARIOS = ["agi-full-session", "agi-ivr-in-call"]


@pytest.fixture(scope="module")
def agi_dir(shared_dir: Path) -> Path:
    path = shared_dir / "fixtures" / "asterisk" / "agi"
    # Guard against a vacuous pass: every scenario we test must really be there, and no new one unseen.
    assert sorted(p.name.split(".")[0] for p in path.glob("*.rx.bin")) == SCENARIOS
    return path


def rx_chunks(agi_dir: Path, name: str) -> list[bytes]:
    lines = (agi_dir / f"{name}.timeline.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    events = [json.loads(line) for line in lines]
    return [e["data"].encode("latin-1") for e in events if e["dir"] == "rx"]


def tx_lines(agi_dir: Path, name: str) -> list[bytes]:
    return (agi_dir / f"{name}.tx.bin").read_bytes().splitlines(keepends=True)


def decode(chunks: list[bytes]) -> tuple[object, list[AgiItem]]:
    """Feed chunks as a FastAGI server would: header reader first, then the reply reader."""
    headers, replies = HeaderReader(), ReplyReader()
    items: list[AgiItem] = []
    for chunk in chunks:
        if headers.request is None:
            if headers.feed(chunk) is None:
                continue
            chunk = headers.remainder
        items += replies.feed(chunk)
    assert headers.request is not None
    assert not replies.pending, "capture ends inside a reply"
    return headers.request, items


# --------------------------------------------------------------------------- captures


@pytest.mark.parametrize("name", SCENARIOS)
def test_headers_match_json(agi_dir: Path, name: str) -> None:
    expected = json.loads((agi_dir / f"{name}.headers.json").read_text(encoding="utf-8"))
    assert all(k.startswith("agi_") for k in expected)
    req = parse_headers((agi_dir / f"{name}.rx.bin").read_bytes())
    assert {f"agi_{k}": v for k, v in req.headers.items()} == expected
    assert req.ignored_lines == ()
    assert req.network_script == expected["agi_network_script"]
    assert req.uniqueid == expected["agi_uniqueid"]
    assert req.channel == expected["agi_channel"]
    assert req.callerid == expected["agi_callerid"]
    assert req.extension == expected["agi_extension"] == "s"
    assert req.context == expected["agi_context"]
    assert req.headers["accountcode"] == ""  # "agi_accountcode: " on the wire: empty, not missing


def test_header_facts_ivr_in_call(agi_dir: Path) -> None:
    req = parse_headers((agi_dir / "agi-ivr-in-call.rx.bin").read_bytes())
    assert req.network_script == "ivr"
    assert req.args == ["first-arg", "second arg"]
    assert req.uniqueid == "1795435368.0"
    assert req.channel == "Local/ivr@caller-sim-00000000;1"
    assert req.callerid == "+15551230001"
    assert req.context == "hotline-in"


def test_header_facts_full_session(agi_dir: Path) -> None:
    req = parse_headers((agi_dir / "agi-full-session.rx.bin").read_bytes())
    assert req.network_script == "ivr-full"
    assert req.args == ["arg1", "arg two"]
    assert req.headers["request"] == "agi://127.0.0.1:4573/ivr-full"


@pytest.mark.parametrize("name", SCENARIOS)
def test_timeline_chunks_bytewise_and_whole_agree(agi_dir: Path, name: str) -> None:
    rx = (agi_dir / f"{name}.rx.bin").read_bytes()
    chunks = rx_chunks(agi_dir, name)
    assert b"".join(chunks) == rx
    # The header block really is split across two reads in both captures.
    assert b"\n\n" not in chunks[0]
    whole = decode([rx])
    assert decode(chunks) == whole
    assert decode([rx[i : i + 1] for i in range(len(rx))]) == whole
    assert whole[0] == parse_headers(rx)


@pytest.mark.parametrize("name", SCENARIOS)
def test_one_reply_per_command(agi_dir: Path, name: str) -> None:
    _, items = decode([(agi_dir / f"{name}.rx.bin").read_bytes()])
    replies = [i for i in items if isinstance(i, AgiReply)]
    assert len(replies) == len(tx_lines(agi_dir, name))


def test_ivr_in_call_replies(agi_dir: Path) -> None:
    _, items = decode(rx_chunks(agi_dir, "agi-ivr-in-call"))
    assert items == [
        AgiReply(200, 0, None, {}, "result=0"),  # ANSWER
        AgiReply(200, 1, "+15551230001", {}, "result=1 (+15551230001)"),  # GET FULL VARIABLE
        AgiReply(200, 0, None, {"endpos": "11234"}, "result=0 endpos=11234"),  # STREAM FILE
        AgiReply(200, 42, None, {}, "result=42"),  # GET DATA: the digits 42, '#' not included
        AgiReply(200, 1, None, {}, "result=1"),  # SET VARIABLE
        AgiReply(200, 1, None, {}, "result=1"),  # VERBOSE
    ]
    assert not any(isinstance(i, HangupNotice) for i in items)


def test_full_session_replies_line_up_with_commands(agi_dir: Path) -> None:
    _, items = decode(rx_chunks(agi_dir, "agi-full-session"))
    commands = [parse_command(line) for line in tx_lines(agi_dir, "agi-full-session")]
    # Exactly one HANGUP notice, written just before the reply to the command after HANGUP.
    hangups = [n for n, i in enumerate(items) if isinstance(i, HangupNotice)]
    assert hangups == [12]
    replies = [i for i in items if isinstance(i, AgiReply)]
    by_cmd = list(zip(commands, replies, strict=True))
    names = [c[0] for c in commands]
    assert names.index("HANGUP") == 11 and commands[12] == ("GET VARIABLE", ["IVR_CHOICE"])

    def reply(name: str, nth: int = 0) -> AgiReply:
        return [r for c, r in by_cmd if c[0] == name][nth]

    assert reply("CHANNEL STATUS").result == 6  # 6 = line up
    assert reply("GET FULL VARIABLE").data == "+15551230005"
    assert reply("GET VARIABLE", 0) == AgiReply(200, 0, None, {}, "result=0")  # NOSUCHVAR: unset
    assert reply("STREAM FILE", 0).extra == {"endpos": "11234"}
    assert reply("GET DATA").result == 42
    assert reply("GET VARIABLE", 1).data == "42"
    no_such = reply("NOSUCHCOMMAND")
    assert (no_such.code, no_such.text, no_such.ok) == (510, "Invalid or unknown command", False)
    usage = reply("STREAM FILE", 1)  # sent without arguments
    assert usage.code == 520 and usage.result is None
    assert usage.text == "Invalid command syntax.  Proper usage follows:"
    assert usage.data is not None and usage.data.startswith("Send the given file, allowing playback")
    assert usage.data.splitlines()[-1] == "    <value>FAILED</value>"
    assert "520" not in usage.data
    assert reply("HANGUP").result == 1
    # After the hangup GET VARIABLE still works, media commands get 511.
    assert reply("GET VARIABLE", 2).data == "42"
    dead = reply("STREAM FILE", 2)
    assert dead.code == 511
    assert dead.text == "Command Not Permitted on a dead channel or intercept routine"


@pytest.mark.parametrize("name", SCENARIOS)
def test_tx_commands_round_trip(agi_dir: Path, name: str) -> None:
    lines = tx_lines(agi_dir, name)
    assert lines and all(line.endswith(b"\n") for line in lines)
    for line in lines:
        cmd, args = parse_command(line)
        assert format_command(cmd, *args) == line
        # Semantic round trip too: plain strings (no Quoted marker) give the same words back.
        assert parse_command(format_command(cmd, *(str(a) for a in args))) == (cmd, args)


def test_tx_command_facts(agi_dir: Path) -> None:
    lines = tx_lines(agi_dir, "agi-full-session") + tx_lines(agi_dir, "agi-ivr-in-call")
    cmds = [parse_command(line) for line in lines]
    assert ("STREAM FILE", ["hello-world", "", "0"]) in cmds  # "" = no escape digits
    assert ("STREAM FILE", ["beep", ""]) in cmds
    assert ("STREAM FILE", []) in cmds
    assert ("GET FULL VARIABLE", ["${CALLERID(num)}"]) in cmds
    assert ("GET DATA", ["beep", "8000", "4"]) in cmds
    assert ("EXEC", ["NoOp", "hello from fastagi"]) in cmds
    assert ("VERBOSE", ["hotline ivr finished", "1"]) in cmds
    assert ("NOSUCHCOMMAND", ["foo"]) in cmds
    set_var = next(a for c, a in cmds if c == "SET VARIABLE")
    assert set_var == ["IVR_CHOICE", "42"] and isinstance(set_var[1], Quoted)


# --------------------------------------------------------------------------- quoting


def test_format_quoting() -> None:
    assert format_command("ANSWER") == b"ANSWER\n"
    assert format_command("STREAM FILE", "beep", "") == b'STREAM FILE beep ""\n'
    assert format_command("GET DATA", "beep", 8000, 4) == b"GET DATA beep 8000 4\n"
    assert format_command("EXEC", "NoOp", "a b") == b'EXEC NoOp "a b"\n'
    assert format_command("EXEC", "NoOp", 'say "hi"') == b'EXEC NoOp "say \\"hi\\""\n'
    assert format_command("EXEC", "NoOp", "a\\b") == b'EXEC NoOp "a\\\\b"\n'
    assert format_command("EXEC", "NoOp", "a\tb") == b'EXEC NoOp "a\tb"\n'
    assert format_command("SET VARIABLE", "X", Quoted("42")) == b'SET VARIABLE X "42"\n'
    assert format_command("VERBOSE", "你好 世界", 1) == 'VERBOSE "你好 世界" 1\n'.encode()


@pytest.mark.parametrize("bad", ["1\nHANGUP", "x\r", "\n", "nul\0"])
def test_format_refuses_line_breaks(bad: str) -> None:
    with pytest.raises(ValueError):
        format_command("SET VARIABLE", "X", bad)


@pytest.mark.parametrize("name", ["", "ANSWER\nHANGUP", "GET  DATA", " ANSWER", 'EXEC "x"', "A\r"])
def test_format_refuses_bad_names(name: str) -> None:
    with pytest.raises(ValueError):
        format_command(name)


def test_format_refuses_other_types_and_too_many_words() -> None:
    with pytest.raises(TypeError):
        format_command("VERBOSE", True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_command("VERBOSE", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_command("EXEC", *(["x"] * 127))


def test_parse_command_follows_asterisk_parse_args() -> None:
    assert parse_command('EXEC NoOp a"b c"d') == ("EXEC", ["NoOp", "ab cd"])
    assert parse_command("EXEC NoOp a\\ b  \\\\") == ("EXEC", ["NoOp", "a b", "\\"])
    assert parse_command('get  full\tvariable "x y"') == ("get full variable", ["x y"])
    assert parse_command("GET") == ("GET", [])
    assert parse_command("GET VARIABLES x") == ("GET", ["VARIABLES", "x"])
    for bad in ["", "   ", '"ANSWER"', 'EXEC "open', "EXEC x\\"]:
        with pytest.raises(AgiProtocolError):
            parse_command(bad)


_arg = st.text(st.characters(blacklist_characters="\n\r\0", blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=300)
@given(st.lists(_arg | st.integers(), max_size=8))
def test_quoting_round_trips_through_asterisk_parser(args: list[str | int]) -> None:
    name, parsed = parse_command(format_command("EXEC", *args))
    assert name == "EXEC" and parsed == [str(a) for a in args]


# --------------------------------------------------------------------------- replies


def test_parse_reply_shapes() -> None:
    assert parse_reply("200 result=-1") == AgiReply(200, -1, None, {}, "result=-1")
    assert parse_reply("200 result=0 (timeout)").data == "timeout"
    r = parse_reply("200 result=1 (a (b)) endpos=3")
    assert (r.data, r.extra) == ("a (b)", {"endpos": "3"})
    assert parse_reply("200 result=1 ()").data == ""
    assert parse_reply("HANGUP") == HangupNotice()
    short = parse_reply("520 Invalid command syntax.  Proper usage not available.")
    assert (short.code, short.data) == (520, None)


def test_multiline_520_split_anywhere() -> None:
    wire = (
        b"520-Invalid command syntax.  Proper usage follows:\nUsage: FOO\n  more\n520 End of proper usage.\n"
    )
    expected = [
        AgiReply(520, None, "Usage: FOO\n  more", {}, "Invalid command syntax.  Proper usage follows:")
    ]
    assert ReplyReader().feed(wire) == expected
    reader = ReplyReader()
    out: list[AgiItem] = []
    for i in range(len(wire)):
        out += reader.feed(wire[i : i + 1])
        assert reader.pending == (i < len(wire) - 1)
    assert out == expected


@pytest.mark.parametrize(
    "line",
    [
        b"garbage",
        b"200 result=abc",
        b"200result=1",
        b"200",
        b"200 result=1 (open",
        b"200 result=1 junk",
        b"HANGUP now",
    ],
)
def test_garbage_reply_is_protocol_error(line: bytes) -> None:
    with pytest.raises(AgiProtocolError) as err:
        ReplyReader().feed(line + b"\n")
    assert err.value.error_id == "agi-protocol-error"


def test_unknown_code_is_not_ok_and_reader_survives_errors() -> None:
    assert ReplyReader().feed(b"999 who knows\n") == [AgiReply(999, text="who knows")]
    reader = ReplyReader()
    with pytest.raises(AgiProtocolError) as err:
        reader.feed(b"200 result=1\nnonsense\n200 result=0\n")
    assert err.value.items == (AgiReply(200, 1, None, {}, "result=1"),)
    assert reader.feed(b"") == [AgiReply(200, 0, None, {}, "result=0")]
    assert reader.feed(b"200 result=2\r\n") == [AgiReply(200, 2, None, {}, "result=2")]


def test_unbounded_line_and_usage_are_refused() -> None:
    with pytest.raises(AgiProtocolError):
        ReplyReader().feed(b"2" * (64 * 1024 + 1))
    with pytest.raises(AgiProtocolError):
        ReplyReader().feed(b"520-x\n" + b"y" * 1000 + (b"\n" + b"z" * 1000) * 300)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_reply_reader_never_crashes(data: bytes) -> None:
    try:
        items = ReplyReader().feed(data)
    except AgiProtocolError:
        return
    assert all(isinstance(i, AgiReply | HangupNotice) for i in items)
    assert all(i.result is not None for i in items if isinstance(i, AgiReply) and i.code == 200)


# --------------------------------------------------------------------------- headers


def test_headers_tolerate_unknown_and_malformed_lines() -> None:
    req = parse_headers(
        b"agi_network_script: x\nagi_new_thing: 1\nnot a header\nagi_arg_2: b\nagi_arg_1: a\n\n200 result=0\n"
    )
    assert req.network_script == "x"
    assert req.headers["new_thing"] == "1"
    assert req.ignored_lines == ("not a header",)
    assert req.args == ["a", "b"]
    assert req.uniqueid == "" and req.channel == ""


def test_headers_crlf_and_script_fallback() -> None:
    req = parse_headers(b"agi_request: agi://10.0.0.1:4573/menu?lang=zh\r\nagi_channel: PJSIP/a-1\r\n\r\n")
    assert req.network_script == "menu" and req.channel == "PJSIP/a-1"
    assert req.headers["request"] == "agi://10.0.0.1:4573/menu?lang=zh"


@pytest.mark.parametrize(
    "block", [b"", b"\n", b"GET / HTTP/1.1\nHost: x\n\n", b"agi_channel: x\n\n", b"\xff\xfe\n\n"]
)
def test_unusable_header_block(block: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        parse_headers(block)


def test_header_reader_limits_and_misuse() -> None:
    reader = HeaderReader()
    with pytest.raises(AgiProtocolError):
        for _ in range(100):
            reader.feed(b"agi_x: " + b"y" * 1000 + b"\n")
    done = HeaderReader()
    assert done.feed(b"agi_network_script: s\n\nHANGUP\n") is not None
    assert done.remainder == b"HANGUP\n"
    with pytest.raises(RuntimeError):
        done.feed(b"more")


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_header_reader_never_crashes(data: bytes) -> None:
    try:
        HeaderReader().feed(data)
    except AgiProtocolError:
        pass


@pytest.mark.parametrize(
    ("line", "result", "raw", "data"),
    [("200 result= (timeout)", None, "", "timeout"), ("200 result=12*# (timeout)", None, "12*#", "timeout"),
     ("200 result=007", 7, None, None)],
)
def test_get_data_results_that_are_not_integers(line: str, result: int | None, raw: str | None, data: str | None) -> None:
    reply = parse_reply(line)
    assert isinstance(reply, AgiReply) and reply.ok
    assert (reply.result, reply.extra.get("result"), reply.data) == (result, raw, data)
