"""AMI actions available after Login (Ping, Events, lists, Originate, UserEvent, unknown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.ami.codec import Message
from callcenter.pbxsim.channel import format_time
from callcenter.pbxsim.events import event, list_item

if TYPE_CHECKING:
    from callcenter.pbxsim.ami_server import AmiServer, Conn


def dispatch(server: AmiServer, conn: Conn, name: str, msg: Message) -> None:
    handler = _HANDLERS.get(name)
    if handler is None:
        action = msg.get("Action") or ""
        conn.reply(msg, ("Message", f"Invalid/unknown command: {action}. "
                                    "Use Action: ListCommands to show available commands."), response="Error")
        return
    handler(server, conn, msg)


def _ping(server: AmiServer, conn: Conn, msg: Message) -> None:
    conn.reply(msg, ("Ping", "Pong"), ("Timestamp", f"{server.clock():.6f}"))


def _core_status(server: AmiServer, conn: Conn, msg: Message) -> None:
    started = format_time(server.start_time).split()  # the same moment for startup and last reload
    conn.reply(msg, ("CoreStartupDate", started[0]), ("CoreStartupTime", started[1]),
               ("CoreReloadDate", started[0]), ("CoreReloadTime", started[1]),
               ("CoreCurrentCalls", str(len(server.channels()))), ("CoreProcessedCalls", str(server.processed())))


def _events(server: AmiServer, conn: Conn, msg: Message) -> None:
    conn.events_on = (msg.get("EventMask") or "on").strip().lower() not in ("off", "none", "")
    conn.reply(msg, ("Events", "On" if conn.events_on else "Off"))


def _list(server: AmiServer, conn: Conn, msg: Message, item: str, text: str) -> None:
    aid = msg.action_id
    chans = server.channels()
    conn.reply(msg, ("EventList", "start"), ("Message", text))
    now = server.clock()
    for ch in chans:
        conn.send(list_item(item, ch, aid, now))
    done = [("Event", f"{item}sComplete" if item == "CoreShowChannel" else "StatusComplete")]
    done += [("ActionID", aid)] if aid is not None else []
    done += [("EventList", "Complete"), ("ListItems", str(len(chans)))]
    if item == "Status":
        done.append(("Items", str(len(chans))))
    conn.send(done)


def _core_show_channels(server: AmiServer, conn: Conn, msg: Message) -> None:
    _list(server, conn, msg, "CoreShowChannel", "Channels will follow")


def _status(server: AmiServer, conn: Conn, msg: Message) -> None:
    _list(server, conn, msg, "Status", "Channel status will follow")


def _user_event(server: AmiServer, conn: Conn, msg: Message) -> None:
    conn.reply(msg, ("Message", "Event Sent"))
    extra = [(k, v) for k, v in msg.headers if k.lower() not in ("action", "actionid", "userevent")]
    aid = [("ActionID", msg.action_id)] if msg.action_id is not None else []
    server.broadcast(event("UserEvent", [("UserEvent", msg.get("UserEvent") or ""), *aid, *extra]))


def _originate(server: AmiServer, conn: Conn, msg: Message) -> None:
    if not (msg.get("Channel") or "").strip():
        conn.reply(msg, ("Message", "Channel not specified"), response="Error")
        return
    prio = msg.get("Priority")
    if prio is not None and not prio.strip().isdigit():
        conn.reply(msg, ("Message", "Invalid priority"), response="Error")
        return
    if server.on_originate is None:
        conn.reply(msg, ("Message", "Originate failed"), response="Error")
        return
    handler = server.on_originate
    if (msg.get("Async") or "").strip().lower() in ("true", "yes", "1", "on"):
        conn.reply(msg, ("Message", "Originate successfully queued"))
        server.spawn(_run_async(handler, msg))
        return

    async def sync() -> None:
        ok = await handler(msg)
        if ok:
            conn.reply(msg, ("Message", "Originate successfully queued"))
        else:
            conn.reply(msg, ("Message", "Originate failed"), response="Error")

    server.spawn(sync())


async def _run_async(handler, msg: Message) -> None:  # noqa: ANN001
    await handler(msg)


_HANDLERS = {
    "ping": _ping,
    "corestatus": _core_status,
    "events": _events,
    "coreshowchannels": _core_show_channels,
    "status": _status,
    "userevent": _user_event,
    "originate": _originate,
}
