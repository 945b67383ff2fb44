"""callcenter.ami.codec against the real Asterisk 22 AMI captures in ../shared (never copied here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.ami.codec import AmiDecoder, AmiProtocolError, Message, encode_action

BANNER = "Asterisk Call Manager/11.0.0"


@pytest.fixture(scope="module")
def ami_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "asterisk" / "ami"


def rx_files(ami_dir: Path) -> list[Path]:
    files = sorted(ami_dir.glob("*.rx.bin"))
    # Guard against a vacuous pass: the shared set has 16 AMI scenarios.
    assert len(files) >= 16, files
    return files


def scenario(path: Path) -> str:
    return path.name.split(".")[0]


def decode_whole(data: bytes, expect_banner: bool = True) -> tuple[AmiDecoder, list[Message]]:
    decoder = AmiDecoder(expect_banner=expect_banner)
    return decoder, decoder.feed(data)


def decode_chunks(chunks: list[bytes], expect_banner: bool = True) -> tuple[AmiDecoder, list[Message]]:
    decoder = AmiDecoder(expect_banner=expect_banner)
    out: list[Message] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return decoder, out


def timeline_rx_chunks(ami_dir: Path, name: str) -> list[bytes]:
    lines = (ami_dir / f"{name}.timeline.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines[1:]]  # line 1 is the capture header
    return [e["data"].encode("latin-1") for e in entries if e["dir"] == "rx"]


def load(ami_dir: Path, name: str) -> list[Message]:
    decoder, messages = decode_whole((ami_dir / f"{name}.rx.bin").read_bytes())
    assert decoder.buffered == 0
    return messages


# --- every capture: whole == real read() chunks == byte by byte -------------------------------


def test_every_rx_capture_decodes_identically_whole_chunked_and_bytewise(ami_dir: Path) -> None:
    for path in rx_files(ami_dir):
        name = scenario(path)
        data = path.read_bytes()
        whole_dec, whole = decode_whole(data)
        chunks = timeline_rx_chunks(ami_dir, name)
        assert b"".join(chunks) == data, name
        chunk_dec, chunked = decode_chunks(chunks)
        byte_dec, bytewise = decode_chunks([data[i : i + 1] for i in range(len(data))])

        # Independent oracle: every message but the banner ends with exactly one CRLF CRLF.
        assert len(whole) == data.count(b"\r\n\r\n"), name
        assert chunked == whole, name
        assert bytewise == whole, name
        for dec in (whole_dec, chunk_dec, byte_dec):
            assert dec.banner == BANNER, name
            assert dec.buffered == 0, name
            assert dec.malformed_lines == 0, name
            assert dec.invalid_utf8 == 0, name
        assert all(m.kind in ("event", "response") for m in whole), name
        assert all(m.name for m in whole), name


def test_every_tx_capture_decodes_to_actions(ami_dir: Path) -> None:
    tx = sorted(ami_dir.glob("*.tx.bin"))
    assert len(tx) >= 16
    for path in tx:
        data = path.read_bytes()
        decoder, messages = decode_whole(data)
        assert decoder.banner is None, path.name  # clients send no banner
        assert decoder.buffered == 0, path.name
        assert len(messages) == data.count(b"\r\n\r\n") == data.count(b"Action: "), path.name
        for m in messages:
            assert m.kind == "action", (path.name, m)
            assert m.get("Action"), (path.name, m)
        names = [m.name for m in messages]
        assert "Login" in names, path.name
        # Every client ends with Logoff, except after a failed login (the server hung up).
        assert names[-1] == "Logoff" or path.name == "login-failed.tx.bin", (path.name, names)


# --- concrete facts read from the captures ----------------------------------------------------


def test_login_ping_logoff(ami_dir: Path) -> None:
    msgs = load(ami_dir, "login-ping-logoff")
    login = msgs[0]
    assert (login.kind, login.name, login.action_id) == ("response", "Success", "lab-1-001")
    assert login.get("Message") == "Authentication accepted"
    assert msgs[1].kind == "event" and msgs[1].name == "FullyBooted"
    # Ping answers "Ping: Pong" without a Message header; the second Ping had no ActionID.
    pings = [m for m in msgs if m.get("Ping") == "Pong"]
    assert [p.action_id for p in pings] == ["lab-1-002", None]
    assert all(p.get("Message") is None for p in pings)
    # Command output: one Output header per line, no "--END COMMAND--".
    status = next(m for m in msgs if m.action_id == "lab-1-006")
    assert status.get("Message") == "Command output follows"
    assert status.output == ["0 active channels", "0 active calls", "0 calls processed"]
    unknown_cli = next(m for m in msgs if m.action_id == "lab-1-007")
    assert unknown_cli.name == "Error" and unknown_cli.output[0].startswith("No such command")
    assert msgs[-1].name == "Goodbye" and msgs[-1].get("Message") == "Thanks for all the fish."


def test_login_failed(ami_dir: Path) -> None:
    msgs = load(ami_dir, "login-failed")
    assert [(m.name, m.action_id, m.get("Message")) for m in msgs] == [
        ("Error", "lab-1-001", "Permission denied"),
        ("Error", "lab-1-002", "Authentication failed"),
    ]


def test_md5_challenge(ami_dir: Path) -> None:
    msgs = load(ami_dir, "login-md5-challenge")
    assert msgs[0].get("Challenge") == "144976821"


def test_inbound_ivr_call(ami_dir: Path) -> None:
    msgs = load(ami_dir, "inbound-ivr-call")
    cdrs = [m for m in msgs if m.kind == "event" and m.name == "Cdr"]
    assert len(cdrs) == 2
    # Cdr spells it UniqueID, channel events Uniqueid: normalised lookup finds both.
    assert [c.get("uniqueid") for c in cdrs] == ["1795435368.0", "1795435368.1"]
    assert cdrs[0].get("UniqueID") == cdrs[0].get("Uniqueid") == "1795435368.0"
    assert cdrs[0].get("Userfield") == "hotline-lab"
    # The dialplan UserEvent(HotlineMessage, Channel: ...) carries two Channel headers.
    hm = next(m for m in msgs if m.get("UserEvent") == "HotlineMessage")
    assert hm.get_all("Channel") == ["Local/ivr@caller-sim-00000000;1"] * 2
    keys = [k for k, _ in hm.headers]
    assert keys.index("Channel") < keys.index("UserEvent") < len(keys) - 1 - keys[::-1].index("Channel")
    assert hm.get("Status") == "DTMF"
    digits = [m.get("Digit") for m in msgs if m.name == "DTMFEnd"]
    assert digits == ["4", "2", "#", "1", "#"]
    assert [m.name for m in msgs if m.name in ("MixMonitorStart", "MixMonitorStop")] == [
        "MixMonitorStart",
        "MixMonitorStop",
    ]


def test_cel_spelling_normalised(ami_dir: Path) -> None:
    msgs = load(ami_dir, "inbound-ivr-call")
    cel = next(m for m in msgs if m.name == "CEL")
    assert ("CallerIDnum", "") in cel.headers
    assert cel.get("CallerIDNum") == cel.get("calleridnum") == ""
    assert cel.get("LinkedID") == cel.get("Linkedid") == "1795435368.0"


def test_mixmonitor_split_response(ami_dir: Path) -> None:
    chunks = timeline_rx_chunks(ami_dir, "mixmonitor-ami")
    # The capture really has the MixMonitorMute response split across two reads.
    assert b"Response: Success\r\n" in chunks and any(c.startswith(b"ActionID: lab-1-005\r\n\r\n") for c in chunks)
    _, msgs = decode_chunks(chunks)
    mute = [m for m in msgs if m.action_id == "lab-1-005"]
    assert mute == [Message((("Response", "Success"), ("ActionID", "lab-1-005")))]
    assert mute[0].kind == "response"
    hangup = next(m for m in msgs if m.action_id == "lab-1-008")
    assert hangup.get("Message") == "Channel Hungup"


def test_originate_response_is_an_event_even_with_response_header(ami_dir: Path) -> None:
    msgs = load(ami_dir, "originate-busy")
    orig = [m for m in msgs if m.get("Event") == "OriginateResponse"]
    assert orig, "capture has an OriginateResponse"
    assert orig[0].kind == "event" and orig[0].name == "OriginateResponse"
    assert orig[0].get("Response") == "Failure" and orig[0].get("Reason") == "5"
    assert orig[0].action_id == "lab-1-002"


def test_userevent_action_event_carries_action_id(ami_dir: Path) -> None:
    msgs = load(ami_dir, "userevent")
    ev = next(m for m in msgs if m.get("UserEvent") == "HotlineTest")
    assert (ev.kind, ev.name, ev.action_id, ev.get("Ticket")) == ("event", "UserEvent", "lab-1-002", "T-1001")


# --- synthetic cases --------------------------------------------------------------------------


def _split_everywhere(data: bytes) -> list[list[bytes]]:
    return [[data[:i], data[i:]] for i in range(1, len(data))]


def test_utf8_split_mid_character_decodes_intact() -> None:
    data = "Event: Newchannel\r\nCallerIDName: 张伟\r\nConnectedLineName: Müller\r\n\r\n".encode()
    expected = [Message((("Event", "Newchannel"), ("CallerIDName", "张伟"), ("ConnectedLineName", "Müller")))]
    cut_zhang = data.index("张".encode()) + 1  # inside the 3-byte sequence of 张
    cut_mueller = data.index("ü".encode()) + 1  # inside the 2-byte sequence of ü
    for cut in (cut_zhang, cut_zhang + 1, cut_mueller):
        decoder = AmiDecoder(expect_banner=False)
        assert decoder.feed(data[:cut]) == []
        assert decoder.feed(data[cut:]) == expected
        assert decoder.invalid_utf8 == 0
    for chunks in _split_everywhere(data):
        assert decode_chunks(chunks, expect_banner=False)[1] == expected


def test_genuinely_invalid_utf8_is_replaced_and_counted() -> None:
    decoder = AmiDecoder(expect_banner=False)
    msgs = decoder.feed(b"Event: X\r\nName: a\xffb\r\n\r\n")
    assert msgs[0].get("Name") == "a\ufffdb"
    assert decoder.invalid_utf8 == 1


def test_duplicate_headers_kept_in_order_and_lookup_normalised() -> None:
    _, msgs = decode_whole(b"Event: UserEvent\r\nChannel: a\r\nUniqueid: 1.2\r\nChannel: b\r\n\r\n",
                           expect_banner=False)
    m = msgs[0]
    assert m.headers == (("Event", "UserEvent"), ("Channel", "a"), ("Uniqueid", "1.2"), ("Channel", "b"))
    assert m.get("channel") == "a"
    assert m.get_all("CHANNEL") == ["a", "b"]
    assert m.get("UniqueID") == m.get("uniqueid") == "1.2"
    assert m.get("Missing") is None and m.get("Missing", "x") == "x" and m.get_all("Missing") == []
    assert "UNIQUEID" in m and "Missing" not in m


def test_bare_lf_and_mixed_line_endings() -> None:
    data = b"Asterisk Call Manager/11.0.0\nResponse: Success\nActionID: 1\n\nEvent: A\r\nX: 1\r\n\n"
    decoder, msgs = decode_whole(data)
    assert decoder.banner == BANNER
    assert [m.headers for m in msgs] == [(("Response", "Success"), ("ActionID", "1")), (("Event", "A"), ("X", "1"))]
    assert decode_chunks([data[i : i + 1] for i in range(len(data))])[1] == msgs


def test_banner_only_recognised_at_start_and_when_absent() -> None:
    decoder = AmiDecoder()
    assert decoder.feed(b"Asterisk Call Man") == []
    assert decoder.banner is None
    assert decoder.feed(b"ager/11.0.0\r\nEvent: A\r\n\r\n") == [Message((("Event", "A"),))]
    assert decoder.banner == BANNER
    # A stream that starts with a header has no banner and loses nothing.
    decoder = AmiDecoder()
    assert decoder.feed(b"Event: A\r\n\r\n") == [Message((("Event", "A"),))]
    assert decoder.banner is None


def test_malformed_lines_do_not_crash_and_are_counted() -> None:
    decoder = AmiDecoder(expect_banner=False)
    msgs = decoder.feed(b"Event: A\r\nno colon here\r\n: empty name\r\nValue: x: y\r\n\r\n")
    assert msgs[0].headers == (("Event", "A"), ("Value", "x: y"))
    assert msgs[0].malformed == ("no colon here", ": empty name")
    assert decoder.malformed_lines == 2


def test_values_keep_inner_spacing_and_empty_values() -> None:
    _, msgs = decode_whole(b"Response: Success\r\nOutput:   indented\r\nAccountCode: \r\n\r\n", expect_banner=False)
    assert msgs[0].output == ["  indented"]
    assert msgs[0].get("AccountCode") == ""


def test_legacy_response_follows_kept_whole() -> None:
    # Not in the Asterisk 22 captures (they use Output: headers), but older servers send this.
    data = (b"Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
            b"Channel   Location: x\n\nline after blank\n--END COMMAND--\r\n\r\nEvent: Next\r\n\r\n")
    for chunks in [[data], *_split_everywhere(data)]:
        _, msgs = decode_chunks(chunks, expect_banner=False)
        assert [m.name for m in msgs] == ["Follows", "Next"]
        assert msgs[0].action_id == "c1"
        assert msgs[0].output == ["Channel   Location: x", "", "line after blank"]


def test_oversize_buffer_raises_typed_error() -> None:
    decoder = AmiDecoder(max_buffer=1024, expect_banner=False)
    decoder.feed(b"Event: A\r\n" + b"X: " + b"y" * 500)
    with pytest.raises(AmiProtocolError) as info:
        decoder.feed(b"y" * 600)
    assert info.value.error_id == "ami-protocol-error"
    with pytest.raises(AmiProtocolError):
        decoder.feed(b"\r\n\r\n")  # the stream position is lost: stay failed
    # Many complete messages in one feed are not "oversize": only an unterminated tail counts.
    decoder = AmiDecoder(max_buffer=1024, expect_banner=False)
    assert len(decoder.feed(b"Event: A\r\n\r\n" * 1000)) == 1000
    # A banner line that never ends is bounded too.
    with pytest.raises(AmiProtocolError):
        AmiDecoder(max_buffer=64).feed(b"A" * 100)


def test_encode_action_format_and_roundtrip() -> None:
    raw = encode_action("Originate", [("Channel", "Local/ivr@caller-sim"), ("Variable", "A=1"),
                                      ("Variable", "B=张伟")], action_id="zt-1")
    assert raw == ("Action: Originate\r\nActionID: zt-1\r\nChannel: Local/ivr@caller-sim\r\n"
                   "Variable: A=1\r\nVariable: B=张伟\r\n\r\n").encode()
    _, msgs = decode_whole(raw, expect_banner=False)
    assert len(msgs) == 1
    m = msgs[0]
    assert (m.kind, m.name, m.action_id) == ("action", "Originate", "zt-1")
    assert m.get_all("Variable") == ["A=1", "B=张伟"]
    assert encode_action("Ping") == b"Action: Ping\r\n\r\n"
    assert encode_action("Getvar", {"Variable": "RECDIR", "Channel": ""}, "x") == (
        b"Action: Getvar\r\nActionID: x\r\nVariable: RECDIR\r\nChannel: \r\n\r\n")


def test_encode_action_matches_captured_client_bytes(ami_dir: Path) -> None:
    tx = (ami_dir / "mixmonitor-ami.tx.bin").read_bytes()
    assert encode_action("Hangup", [("Channel", "Local/long@caller-sim-0000000e;1"), ("Cause", "16")],
                         "lab-1-008") in tx


@pytest.mark.parametrize("bad", [
    {"name": "Ping\r\nAction: Hangup"},
    {"action_id": "1\r\nAction: Hangup"},
    {"headers": [("Channel", "SIP/1\r\n\r\nAction: Hangup")]},
    {"headers": [("Channel", "SIP/1\nX: y")]},
    {"headers": [("Channel", "SIP/1\rX: y")]},
    {"headers": [("Bad\r\nName", "v")]},
    {"headers": [("Na:me", "v")]},
    {"headers": [("", "v")]},
    {"headers": [("Action", "Hangup")]},
    {"headers": [("ActionID", "other")], "action_id": "1"},
    {"name": ""},
])
def test_encode_action_refuses_injection(bad: dict) -> None:
    kwargs = {"name": "Ping", "headers": (), "action_id": None, **bad}
    with pytest.raises(ValueError):
        encode_action(**kwargs)


def test_message_is_immutable() -> None:
    m = Message.of({"Event": "A"})
    with pytest.raises(AttributeError):
        m.headers = ()  # type: ignore[misc]
    assert hash(m) == hash(Message((("Event", "A"),)))
    assert Message.of([]).kind == "other" and Message.of([]).name is None


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_random_chunking_of_a_capture(shared_dir: Path, cuts: list[int]) -> None:
    data = (shared_dir / "fixtures" / "asterisk" / "ami" / "userevent.rx.bin").read_bytes()
    bounds = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    chunks = [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert decode_chunks(chunks)[1] == decode_whole(data)[1]


@settings(max_examples=300, deadline=None)
# No NUL: the decoder drops a message holding one (tests/security/test_hostile_ami.py).
@given(st.lists(st.tuples(st.text(alphabet=st.characters(blacklist_characters=":\r\n\0", blacklist_categories=("Cs",)),
                                  min_size=1, max_size=12),
                          st.text(alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",)),
                                  max_size=30)),
                min_size=1, max_size=8))
def test_lazy_and_eager_parsing_agree(pairs: list[tuple[str, str]]) -> None:
    """The decoder defers header parsing; what it finally yields must equal an eager parse."""
    text = "\r\n".join(f"{k}: {v}" for k, v in pairs)
    lazy = Message.lazy(text)
    kind, name = lazy.kind, lazy.name  # read from the first line only
    eager = Message(lazy.headers, lazy.malformed)  # forces the full parse
    assert (kind, name) == (eager.kind, eager.name)
    assert AmiDecoder(expect_banner=False).feed(text.encode() + b"\r\n\r\n") == [eager]
