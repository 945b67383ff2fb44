"""The service's AMI client against a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import random
import socket

import pytest

from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.ami.codec import Message
from tests.ami_fake import FakeAmi, frame


def config(port: int, **kw: object) -> AmiConfig:
    base: dict[str, object] = dict(host="127.0.0.1", port=port, username="zhitong", secret="s3cret",
                                   backoff_initial=0.05, backoff_max=0.2, auth_retry=0.3, ping_interval=30)
    base.update(kw)
    return AmiConfig(**base)  # type: ignore[arg-type]


async def wait_for(cond: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


async def shut_down(client: AmiClient, task: asyncio.Task[None], server: FakeAmi) -> None:
    await client.stop()
    await asyncio.gather(task, return_exceptions=True)
    await server.close()


def event(name: str, **headers: str) -> bytes:
    return frame(("Event", name), *headers.items())


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_login_then_events_in_order_with_utf8_split_across_reads(auth: str) -> None:
    server = FakeAmi()
    port = await server.start()
    seen: list[Message] = []
    client = AmiClient(config(port, auth=auth), seen.append)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 5)
        assert server.logins == 1
        login = [m for m in server.actions if m.get("Action") == "Login"][0]
        assert (login.get("Secret") is None) == (auth == "md5")  # MD5 never sends the secret
        writer = server.writers[0]
        data = event("Newchannel", Uniqueid="1.1", Linkedid="1.1", CallerIDName="张伟 Müller")
        cut = data.index("伟".encode()) + 1  # inside the 3-byte character
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(data[:cut])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(data[cut:] + b"".join(event("DTMFEnd", Digit=str(i)) for i in range(50)))
        await writer.drain()
        await wait_for(lambda: len(seen) >= 52)
        names = [m.get("CallerIDName") for m in seen if m.name == "Newchannel"]
        assert names == ["张伟 Müller"]
        assert [m.get("Digit") for m in seen if m.name == "DTMFEnd"] == [str(i) for i in range(50)]
    finally:
        await shut_down(client, task, server)


async def test_events_repeating_an_action_id_are_events_and_lists_are_collected() -> None:
    def script(fake: FakeAmi, writer: asyncio.StreamWriter, msg: Message) -> bytes | None:
        aid = ("ActionID", msg.get("ActionID") or "")
        if msg.get("Action") == "UserEvent":  # the event can come before the response
            return event("UserEvent", UserEvent="HotlineTest", ActionID=aid[1]) + frame(
                ("Response", "Success"), aid, ("Message", "Event Sent"))
        if msg.get("Action") == "Originate":
            return frame(("Response", "Success"), aid, ("Message", "Originate successfully queued")) + event(
                "OriginateResponse", ActionID=aid[1], Response="Failure", Reason="5", Uniqueid="<unknown>")
        if msg.get("Action") == "CoreShowChannels":
            return (frame(("Response", "Success"), aid, ("EventList", "start"),
                          ("Message", "Channels will follow"))
                    + event("CoreShowChannel", ActionID=aid[1], Channel="A", Uniqueid="1.1")
                    + event("CoreShowChannel", ActionID=aid[1], Channel="B", Uniqueid="1.2")
                    + event("CoreShowChannelsComplete", ActionID=aid[1], EventList="Complete", ListItems="2"))
        return None

    server = FakeAmi(on_action=script)
    port = await server.start()
    seen: list[Message] = []
    client = AmiClient(config(port), seen.append)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 5)
        ue = await client.action("UserEvent", [("UserEvent", "HotlineTest")])
        assert ue.ok and ue.events == []
        orig = await client.action("Originate", [("Channel", "Local/busy@fail-sim"), ("Async", "true")])
        assert orig.message == "Originate successfully queued"
        chans = await client.action("CoreShowChannels")
        assert [m.get("Channel") for m in chans.events] == ["A", "B"]
        assert chans.complete is not None and chans.complete.get("ListItems") == "2"
        await client.dispatcher.drained()
        assert [m.name for m in seen if m.name != "FullyBooted"] == ["UserEvent", "OriginateResponse"]
    finally:
        await shut_down(client, task, server)


async def test_wrong_secret_logs_one_error_and_retries_slowly(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeAmi(secret="other")
    port = await server.start()
    client = AmiClient(config(port, auth_retry=0.3), lambda m: None)
    caplog.set_level(logging.DEBUG, logger="callcenter.ami.client")
    task = asyncio.create_task(client.run())
    try:
        await asyncio.sleep(1.0)
        # ~1 s with a 0.3 s retry: a handful of attempts, not a hot loop.
        assert 2 <= server.refused <= 5
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "refused" in errors[0].getMessage()
        assert not client.connected.is_set()
    finally:
        await shut_down(client, task, server)


async def test_reconnects_after_the_server_drops_and_runs_the_session_hook_again() -> None:
    server = FakeAmi()
    port = await server.start()
    sessions: list[int] = []

    async def on_session(c: AmiClient) -> None:
        sessions.append(c.sessions)

    client = AmiClient(config(port), lambda m: None, on_session=on_session, rng=random.Random(1))
    task = asyncio.create_task(client.run())
    try:
        await wait_for(lambda: sessions == [1])
        server.drop_all()
        await wait_for(lambda: sessions == [1, 2])
        assert server.connections == 2
    finally:
        await shut_down(client, task, server)


async def test_the_disconnect_is_reported_when_the_reader_sees_it_not_when_the_session_hook_is_done() -> None:
    """The owner dates the calls Asterisk dropped by this report: a session hook still busy (a slow
    database write in the resync) must not hold it back."""
    server = FakeAmi()
    port = await server.start()
    release = asyncio.Event()
    reported: list[bool] = []

    async def on_session(c: AmiClient) -> None:
        await release.wait()

    client = AmiClient(config(port), lambda m: None, on_session=on_session,
                       on_disconnect=lambda: reported.append(release.is_set()))
    task = asyncio.create_task(client.run())
    try:
        await wait_for(lambda: client.sessions == 1)
        server.drop_all()
        await wait_for(lambda: reported == [False])  # the hook is still waiting
        assert not client.connected.is_set()
        release.set()
        await wait_for(lambda: client.sessions == 2)
        assert reported == [False]  # once per session, never twice
    finally:
        release.set()
        await shut_down(client, task, server)


async def test_slow_async_handler_keeps_order_applies_backpressure_and_survives_errors() -> None:
    server = FakeAmi()
    port = await server.start()
    handled: list[str] = []

    async def handler(msg: Message) -> None:
        if msg.name != "DTMFEnd":
            return
        await asyncio.sleep(random.random() / 1000)
        if msg.get("Digit") == "13":
            raise RuntimeError("handler bug")
        handled.append(msg.get("Digit") or "")

    client = AmiClient(config(port), handler)
    client.dispatcher.high_water, client.dispatcher.low_water = 20, 5
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 5)
        server.writers[0].write(b"".join(event("DTMFEnd", Digit=str(i)) for i in range(300)))
        await wait_for(lambda: len(handled) == 299)
        assert handled == [str(i) for i in range(300) if i != 13]
        assert client.dispatcher.errors == 1
        assert client.dispatcher.backlog == 0
    finally:
        await shut_down(client, task, server)


async def names_seen_by_panoramisk(factory: object | None) -> list[str]:
    from panoramisk import Manager

    server = FakeAmi()
    port = await server.start()
    names: list[str] = []
    kwargs = {"protocol_factory": factory} if factory else {}
    manager = Manager(host="127.0.0.1", port=port, username="zhitong", secret="s3cret", ping_delay=60,
                      loop=asyncio.get_running_loop(), **kwargs)
    manager.register_event("Newchannel", lambda m, e: names.append(e.CallerIDName))
    try:
        await manager.connect()
        await wait_for(lambda: server.logins == 1)
        writer = server.writers[0]
        data = event("Newchannel", CallerIDName="张伟")
        cut = data.index("伟".encode()) + 1
        writer.write(data[:cut])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(data[cut:])
        await writer.drain()
        await wait_for(lambda: len(names) == 1)
    finally:
        manager.close()
        await server.close()
    return names


async def test_panoramisk_manager_with_our_protocol_keeps_split_characters() -> None:
    from callcenter.ami.panoramisk_compat import Utf8AMIProtocol

    assert await names_seen_by_panoramisk(Utf8AMIProtocol) == ["张伟"]
    # The bug we work around; if a panoramisk release fixes it, this line tells us.
    assert await names_seen_by_panoramisk(None) != ["张伟"]


async def test_an_oversized_frame_drops_the_connection_and_the_client_reconnects() -> None:
    server = FakeAmi()
    port = await server.start()
    seen: list[Message] = []
    client = AmiClient(config(port), seen.append)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 5)
        writer = server.writers[0]
        writer.write(event("DTMFEnd", Digit="1") + b"X-Junk: " + b"x" * (2 * 1024 * 1024))
        await writer.drain()
        await wait_for(lambda: client.sessions == 2)
        assert [m.get("Digit") for m in seen if m.name == "DTMFEnd"] == ["1"]  # what came before is kept
    finally:
        await shut_down(client, task, server)


async def test_an_action_whose_caller_gave_up_does_not_log_when_the_connection_drops(caplog) -> None:
    """A connection loss fails every pending action; one whose awaiting task is gone (timed out,
    cancelled) must not surface later as asyncio's "Future exception was never retrieved" ERROR."""
    import gc

    from callcenter.ami.connection import AmiConnection, AmiConnectionLost

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def is_closing(self) -> bool:
            return False

    conn = AmiConnection(lambda m: None)
    conn.transport = Transport()  # type: ignore[assignment]
    abandoned = conn.send(b"Action: Ping\\r\\n\\r\\n", "a1")
    awaited = conn.send(b"Action: Ping\\r\\n\\r\\n", "a2")
    with caplog.at_level(logging.ERROR):
        conn.connection_lost(None)
        with pytest.raises(AmiConnectionLost):
            await awaited  # whoever still waits gets the error
        assert abandoned.done()
        del abandoned, conn
        gc.collect()
        await asyncio.sleep(0)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
