"""Who is calling: the TCP peer's address, or, when the peer is one of our reverse proxies
(ZHITONG_TRUSTED_PROXIES), the address it put in X-Forwarded-For. Anyone can send that header,
so it is believed only from the proxies, and read from the right: each trusted proxy appends the
address it received the request from, and the first untrusted one is the client."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, networks: Sequence[str] = ()) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in networks)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, request: web.Request) -> str:
        peer = request.remote or "unknown"  # the TCP peer (aiohttp itself ignores forwarding headers)
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in request.headers.getall("X-Forwarded-For", ()) for hop in value.split(",")]
        client = peer
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # garbage from beyond our proxies: the last address we could trust stands
            client = hop
            if not self.trusts(hop):
                break
        return client
