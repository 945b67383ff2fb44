"""Wire-faithful simulator of the Asterisk side of AMI, FastAGI and AudioSocket (demo and tests)."""

from callcenter.pbxsim.call import CallResult
from callcenter.pbxsim.scenario import Scenario
from callcenter.pbxsim.scenarios import ALL as SCENARIOS
from callcenter.pbxsim.simulator import PbxSimulator

__all__ = ["CallResult", "PbxSimulator", "SCENARIOS", "Scenario"]
