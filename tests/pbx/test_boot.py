"""The shipped configuration on a real Asterisk 22.10.1: it boots without errors and has what
docker/asterisk/selftest.sh checks in the image (modules, contexts, queue, AMI user, PJSIP, fax)."""

from __future__ import annotations

import re

from tests.pbx.hotline import SHIPPED
from tests.pbx.world import World


def boot_log(world: World) -> str:
    text = world.hotline.log_path.read_text(errors="replace")
    return text.split("Asterisk Ready", 1)[0]


def test_the_shipped_configuration_boots_without_errors(world: World) -> None:
    log = boot_log(world)
    assert "Unable to load config file" not in log, [s for s in log.splitlines() if "Unable to load config" in s]
    errors = [line for line in log.splitlines() if "ERROR[" in line]
    assert not errors, errors


def test_every_required_module_and_context_is_there(world: World) -> None:
    modules = (SHIPPED / "conf" / "modules.conf").read_text()
    for module in re.findall(r"(?m)^require\s*=>?\s*([a-z0-9_]+\.so)", modules):
        assert module in world.hotline.rx(f"module show like {module}"), module
    for context in ("hotline-in", "hotline-queue", "agi-fail", "zt-say", "zt-live", "zt-live-spy", "fax-in",
                    "fax-result", "survey-out", "outbound", "outbound-result", "from-trunk", "agents"):
        assert f"'{context}'" in world.hotline.rx(f"dialplan show {context}"), context
    assert re.search(r"(?m)^hotline-q has", world.hotline.rx("queue show hotline-q"))
    assert re.search(r"username:\s*zhitong", world.hotline.rx("manager show user zhitong"))
    assert "spandsp" in world.hotline.rx("fax show capabilities").lower()
    assert re.search(r"Logging:\s+Enabled", world.hotline.rx("cdr show status"), re.I)
