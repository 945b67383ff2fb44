"""The carrier Asterisk: the telephone network around the hotline, from the same build.

It plays three parts over real PJSIP:

* the carrier the hotline registers to through the shipped trunk template (transport ``trunk``);
  callers are originated here (AMI ``Originate`` of ``Local/<did>@dial/n``, which withholds the
  number when asked and dials the hotline over the trunk) and run a script
  (dialplan context ``caller``): wait, send RFC 4733 digits, play real Mandarin clips, send a fax,
  while ``MixMonitor r()`` records what the caller heard;
* the callees of the hotline's callbacks (context ``callee``): the number's last digit picks the
  behaviour: 1 or 3 answers and presses that digit, 7 is busy, 8 never answers;
* the agent softphone registering to the hotline as ``agent1001`` (transport ``phone``, on
  another loopback address so the hotline's IP identification of the carrier does not swallow
  it); it answers after a ring, records what it heard and plays a clip as the agent's voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.pbx.asterisk import Asterisk

ASTERISK_CONF = """[directories]
[options]
verbose = 3
transmit_silence = yes
documentation_language = en_US
"""


@dataclass(frozen=True)
class CarrierAddresses:
    trunk_ip: str  # the hotline's ZT_TRUNK_HOST
    phone_ip: str  # where the agent softphone lives
    ami_port: int
    rtp_start: int


def pjsip_conf(addr: CarrierAddresses, hotline_sip: str, trunk_user: str, trunk_password: str,
               agent_password: str) -> str:
    return f"""[global]
type = global
user_agent = Carrier PBX
endpoint_identifier_order = username,ip

[trunk]
type = transport
protocol = udp
bind = {addr.trunk_ip}:5060

[phone]
type = transport
protocol = udp
bind = {addr.phone_ip}:5060

; the hotline registers as {trunk_user} and dials out through here
[{trunk_user}]
type = endpoint
transport = trunk
context = callee
disallow = all
allow = alaw,ulaw
auth = {trunk_user}-auth
aors = {trunk_user}
direct_media = no
rtp_symmetric = yes
dtmf_mode = rfc4733
send_pai = yes
trust_id_outbound = yes
t38_udptl = no
[{trunk_user}-auth]
type = auth
auth_type = userpass
username = {trunk_user}
password = {trunk_password}
[{trunk_user}]
type = aor
max_contacts = 1
remove_existing = yes

; the agent's softphone
[agentphone-auth]
type = auth
auth_type = userpass
username = agent1001
password = {agent_password}
[agentphone]
type = registration
transport = phone
outbound_auth = agentphone-auth
server_uri = sip:{hotline_sip}
client_uri = sip:agent1001@{hotline_sip}
contact_user = agent1001
retry_interval = 2
expiration = 120
[agentphone]
type = endpoint
transport = phone
context = agent
disallow = all
allow = alaw,ulaw
aors = agentphone
outbound_auth = agentphone-auth
direct_media = no
rtp_symmetric = yes
dtmf_mode = rfc4733
[agentphone]
type = aor
contact = sip:{hotline_sip}
[agentphone-identify]
type = identify
endpoint = agentphone
match = 127.0.0.1
"""


# Steps are `op:arg` separated by `|` (AMI Originate splits Variable values on commas).
EXTENSIONS_CONF = r"""[general]
static = yes
writeprotect = yes

; the network side of a caller: withheld (CLIR) when WITHHELD=1, then the hotline's trunk
[dial]
exten => _X.,1,ExecIf($["${WITHHELD}" = "1"]?Set(CALLERID(pres)=prohib))
 same => n,Dial(PJSIP/${EXTEN}@${TRUNK_USER})
 same => n,Hangup()

[caller]
exten => run,1,NoOp(Scripted caller ${CALLER_TAG}: ${SCRIPT})
 same => n,MixMonitor(${HEARD_DIR}/${CALLER_TAG}-both.wav,r(${HEARD_DIR}/${CALLER_TAG}-heard.wav))
 same => n,Set(I=1)
 same => n(loop),Set(STEP=${CUT(SCRIPT,|,${I})})
 same => n,GotoIf($["${STEP}" = ""]?end)
 same => n,Set(OP=${CUT(STEP,:,1)})
 same => n,Set(ARG=${CUT(STEP,:,2)})
 same => n,UserEvent(CallerStep,Tag: ${CALLER_TAG},Step: ${STEP})
 same => n,ExecIf($["${OP}" = "wait"]?Wait(${ARG}))
 same => n,ExecIf($["${OP}" = "dtmf"]?SendDTMF(${ARG},300,200))
 same => n,ExecIf($["${OP}" = "play"]?Playback(${ARG}))
 same => n,ExecIf($["${OP}" = "fax"]?SendFAX(${ARG},f))
 same => n,Set(I=$[${I} + 1])
 same => n,Goto(loop)
 same => n(end),UserEvent(CallerDone,Tag: ${CALLER_TAG})
 same => n,Hangup()
exten => h,1,UserEvent(CallerGone,Tag: ${CALLER_TAG},Cause: ${HANGUPCAUSE})

; numbers the hotline calls back: the last digit is the callee's behaviour
[callee]
exten => _X.,1,NoOp(Callback to ${EXTEN} from ${CALLERID(num)})
 same => n,Set(LAST=${EXTEN:-1})
 same => n,UserEvent(CalleeRang,Number: ${EXTEN},From: ${CALLERID(num)})
 same => n,GotoIf($["${LAST}" = "7"]?busy)
 same => n,GotoIf($["${LAST}" = "8"]?noanswer)
 same => n,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,MixMonitor(${HEARD_DIR}/callee-${EXTEN}-${UNIQUEID}.wav,r(${HEARD_DIR}/callee-${EXTEN}-heard.wav))
 same => n,Wait(4)
 same => n,SendDTMF(${LAST},300,200)
 same => n,Wait(8)
 same => n,Hangup()
 same => n(busy),Busy(10)
 same => n(noanswer),Ringing()
 same => n,Wait(120)
 same => n,Hangup()

; the agent softphone: ring, answer, speak (a real clip), listen, hang up
[agent]
exten => _X.,1,Goto(s,1)
exten => agent1001,1,Goto(s,1)
exten => s,1,NoOp(Agent phone rings: ${CALLERID(num)})
 same => n,UserEvent(AgentRang,From: ${CALLERID(num)})
 same => n,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,MixMonitor(${HEARD_DIR}/agent-${UNIQUEID}-heard.wav,r(${HEARD_DIR}/agent-${UNIQUEID}-in.wav))
 same => n,UserEvent(AgentAnswered,Uniqueid: ${UNIQUEID})
 same => n,Wait(1)
 same => n,Playback(${AGENT_CLIP})
 same => n,Wait(${AGENT_TALK_S})
 same => n,Hangup()
"""

MANAGER_CONF = """[general]
enabled = yes
port = {port}
bindaddr = 127.0.0.1
webenabled = no

[carrier]
secret = carrier-ami-secret
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
"""

MODULES_CONF = """[modules]
autoload = yes
noload = res_pjsip_outbound_publish.so
noload = cdr_manager.so
"""


def render(pbx: Asterisk, addr: CarrierAddresses, *, hotline_sip: str, trunk_user: str,
           trunk_password: str, agent_password: str, heard_dir: Path, agent_clip: str,
           agent_talk_s: int = 6) -> None:
    pbx.prepare(ASTERISK_CONF)
    etc = pbx.etc
    (etc / "pjsip.conf").write_text(pjsip_conf(addr, hotline_sip, trunk_user, trunk_password, agent_password))
    globals_ = (f"[globals]\nHEARD_DIR = {heard_dir}\nAGENT_CLIP = {agent_clip}\nTRUNK_USER = {trunk_user}\n"
                f"AGENT_TALK_S = {agent_talk_s}\n\n")
    (etc / "extensions.conf").write_text(EXTENSIONS_CONF.replace("[caller]", globals_ + "[caller]", 1))
    (etc / "manager.conf").write_text(MANAGER_CONF.format(port=addr.ami_port))
    (etc / "modules.conf").write_text(MODULES_CONF)
    (etc / "rtp.conf").write_text(f"[general]\nrtpstart = {addr.rtp_start}\nrtpend = {addr.rtp_start + 99}\n")
    (etc / "logger.conf").write_text("[logfiles]\nconsole => notice,warning,error,verbose\n")
    (etc / "res_fax.conf").write_text("[general]\nstatusevents = yes\nmodems = v17,v27,v29\necm = yes\n")
    (etc / "musiconhold.conf").write_text("[general]\n")
