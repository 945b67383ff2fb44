"""Who may connect to FastAGI and AudioSocket: the allow-list settings, their start-up warning,
and the composition root wiring them into the real listeners."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket

import pytest

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.settings import Settings, SettingsError
from callcenter.telephony import start_telephony
from ivr.peers import PeerAllowList, exposure_warning, parse_networks
from tests.ivr_fakes import FakeAsterisk


def test_allowed_peers_are_read_as_networks_and_a_typo_stops_the_start() -> None:
    settings = Settings.from_env({"ZHITONG_AGI_ALLOWED_PEERS": "10.0.0.5, 192.168.10.0/24 fd00::/8",
                                  "ZHITONG_AUDIOSOCKET_ALLOWED_PEERS": "172.18.0.3"})
    assert [str(n) for n in settings.agi_allowed_peers] == ["10.0.0.5/32", "192.168.10.0/24", "fd00::/8"]
    assert [str(n) for n in settings.audiosocket_allowed_peers] == ["172.18.0.3/32"]
    assert Settings.from_env({}).agi_allowed_peers == ()
    for bad in ("asterisk", "10.0.0.300", "10.0.0.0/33", "10.0.0.5;rm -rf /"):
        with pytest.raises(SettingsError, match="ZHITONG_AGI_ALLOWED_PEERS"):
            Settings.from_env({"ZHITONG_AGI_ALLOWED_PEERS": bad})


def test_the_allow_list_matches_addresses_as_sockets_report_them() -> None:
    allow = PeerAllowList(parse_networks("10.0.0.0/8, 2001:db8::/32"))
    assert allow("10.1.2.3") and allow("::ffff:10.1.2.3")  # an IPv4 peer on a dual-stack socket
    assert allow("2001:db8::1") and not allow("fe80::1%eth0")
    assert not allow("11.0.0.1") and not allow("") and not allow("not-an-ip") and not allow("::ffff:11.0.0.1")
    assert all(isinstance(n, ipaddress.IPv4Network | ipaddress.IPv6Network) for n in allow.networks)


@pytest.mark.parametrize("host, networks, warned", [
    ("0.0.0.0", "", True), ("", "", True), ("::", "", True), ("10.0.0.2", "", True), ("pbx-net", "", True),
    ("0.0.0.0", "10.0.0.5", False), ("127.0.0.1", "", False), ("::1", "", False), ("localhost", "", False),
])
def test_a_listener_open_to_the_network_without_an_allow_list_is_warned_about(host, networks, warned) -> None:
    warning = exposure_warning("FastAGI", "ZHITONG_AGI_ALLOWED_PEERS", host, parse_networks(networks))
    assert (warning is not None) == warned
    if warning:
        assert "ZHITONG_AGI_ALLOWED_PEERS" in warning


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("allowed, served", [("10.0.0.0/8", False), ("127.0.0.0/8", True)])
async def test_the_composition_root_gives_the_fastagi_server_its_allow_list(db_url, caplog, allowed, served) -> None:
    await upgrade(db_url)
    settings = Settings(database_url=db_url, agi_host="127.0.0.1", agi_port=free_port(),
                        agi_allowed_peers=parse_networks(allowed))
    services = build_services(settings)
    with caplog.at_level(logging.WARNING):
        tel = await start_telephony(settings, services, speech=False)
    try:
        assert tel.agi is not None and tel.agi_port == settings.agi_port
        commands = await asyncio.wait_for(FakeAsterisk(["hangup"]).call(settings.agi_port, "hotline"), 5)
        assert bool(commands) == served and tel.agi.refused == (0 if served else 1)
        assert not [r for r in caplog.records if "accepts any peer" in r.getMessage()]  # loopback: no warning
    finally:
        await tel.stop()
        await services.engine.dispose()
