"""Who may connect to the raw telephony listeners (FastAGI here, AudioSocket in callcenter).

Neither protocol authenticates: whoever reaches the port can pose as Asterisk, feed the IVR
forged caller numbers and leave drafts, or stream audio. The defence is the network: bind to
loopback or a private network, and name the PBX addresses in an allow-list that is checked when
a connection is accepted, before a byte is read.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Callable, Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.10.0/24 ::1"`` -> networks; raises ValueError naming a bad entry."""
    networks: list[Network] = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR network: {item!r}") from None
    return tuple(networks)


class PeerAllowList:
    """``allow(host)``: is this peer address inside one of the networks? Not an IP: no."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    def __call__(self, host: str) -> bool:
        try:
            # A scoped IPv6 peer comes as "fe80::1%eth0"; an IPv4 peer of a dual-stack socket
            # as "::ffff:10.0.0.5", which must match the IPv4 network it belongs to.
            addr = ipaddress.ip_address(host.partition("%")[0])
        except ValueError:
            return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self.networks)


def refusal(peer: object, allow_peer: Callable[[str], bool] | None, open_now: int, limit: int) -> str | None:
    """Why a listener closes a new connection at once (``peer`` as asyncio reports it), or None."""
    host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
    if allow_peer is not None and not allow_peer(host):
        return "peer not in the allowed list"
    if open_now >= limit:
        return f"{limit} connections already open"
    return None


def is_loopback_bind(host: str) -> bool:
    """Whether a listen address is reachable only from this machine ("" and 0.0.0.0 are not)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False  # another host name: assume it resolves to a reachable interface


def allow_list(networks: Iterable[Network]) -> PeerAllowList | None:
    """The check for a listener: None (anyone) when no network is configured."""
    networks = tuple(networks)
    return PeerAllowList(networks) if networks else None


def exposure_warning(listener: str, setting: str, host: str, networks: Iterable[Network]) -> str | None:
    """What to warn about at start-up: a listener reachable from the network that anyone may use."""
    if tuple(networks) or is_loopback_bind(host):
        return None
    return (f"{listener} listens on {host or 'every interface'} and accepts any peer: whoever reaches the "
            f"port can pose as Asterisk; set {setting} to the PBX's addresses (CIDRs)")


class RefusalLog:
    """Logs refused connections without letting a flood flood the log: each reason is logged at
    WARNING the first time and then at most once per ``every`` seconds, with the running count."""

    def __init__(self, logger: logging.Logger, listener: str, *, every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.listener, self.every, self.clock = logger, listener, every, clock
        self.counts: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}

    def note(self, reason: str, peer: object) -> None:
        self.counts[reason] = count = self.counts.get(reason, 0) + 1
        now = self.clock()
        last = self._logged_at.get(reason)
        if last is None or now - last >= self.every:
            self._logged_at[reason] = now
            self.logger.warning("%s: refused a connection from %s (%s); %d refused for this reason so far",
                                self.listener, peer, reason, count)
