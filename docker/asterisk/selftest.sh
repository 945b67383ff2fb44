#!/bin/bash
# Build-time smoke test (run by the Dockerfile): start the freshly built
# Asterisk with the shipped config and check that it really loaded what the
# hotline depends on. Any failure fails the image build.
set -eu

ZT_AMI_SECRET=selftest-secret ZT_AGENT_PASSWORD=selftest-password \
    /usr/local/bin/zhitong-asterisk-entrypoint --render-only

/usr/sbin/asterisk -U asterisk -G asterisk   # daemonizes
cleanup() {
    /usr/sbin/asterisk -rx "core stop now" >/dev/null 2>&1 || true
    sleep 2
    # do not ship the self-test secrets or state in the image
    rm -f /etc/asterisk/manager_secret.conf /etc/asterisk/pjsip_secrets.conf \
        /etc/asterisk/pjsip_nat.conf /etc/asterisk/pjsip_trunk.conf \
        /var/lib/asterisk/astdb.sqlite3 /var/log/asterisk/messages.log
}
trap cleanup EXIT

rx() { /usr/sbin/asterisk -rx "$1"; }
fail() { echo "selftest: $*" >&2; tail -n 50 /var/log/asterisk/messages.log >&2 || true; exit 1; }

i=0
until rx "core show uptime" 2>/dev/null | grep -q "System uptime"; do
    i=$((i + 1)); [ "$i" -lt 60 ] || fail "asterisk did not boot"
    sleep 1
done
rx "core waitfullybooted" >/dev/null

# Every optional config file a loaded module reads is shipped in conf/: a missing one is logged at
# each boot ("Unable to load config file 'x.conf'" and kin) and the module runs on defaults nobody
# chose. The messages are those of Asterisk 22's modules (see tests/test_asterisk_config.py).
MISSING_CONF='unable to load config|missing config file|configuration file .*(not found|missing)|could not find valid [a-z_]+[.]conf|no such configuration file|no follow me config file'
missing=$(grep -Ei "$MISSING_CONF" /var/log/asterisk/messages.log || true)
[ -z "$missing" ] || fail "configuration files missing at boot:
$missing"

for m in $(sed -n 's/^require[[:space:]]*=>\{0,1\}[[:space:]]*\([a-z0-9_]*\.so\).*/\1/p' /etc/asterisk/modules.conf); do
    rx "module show like $m" | grep -q "^$m" || fail "module $m not loaded"
done

for c in hotline-in hotline-queue agi-fail zt-say fax-in fax-result survey-out outbound outbound-result from-trunk agents; do
    rx "dialplan show $c" | grep -q "'$c'" || fail "context $c missing"
done
rx "dialplan show s@agi-fail" | grep -q "Queue(hotline-q" || fail "agi-fail does not queue"
rx "dialplan show s@hotline-in" | grep -q "agi://\${ZT_AGI_HOST}:\${ZT_AGI_PORT}/hotline" || fail "hotline AGI missing"
rx "dialplan show globals" | grep -q "ZT_AGI_HOST=app" || fail "global ZT_AGI_HOST missing"
rx "queue show hotline-q" | grep -q "^hotline-q has" || fail "queue hotline-q missing"
rx "manager show user zhitong" | grep -Eq "username:[[:space:]]*zhitong" || fail "AMI user zhitong missing"
rx "pjsip show endpoints" | grep -Eq "Endpoint:[[:space:]]+agent1001" || fail "PJSIP endpoint agent1001 missing"
rx "pjsip show transports" | grep -q "transport-udp" || fail "PJSIP transport missing"
rx "fax show capabilities" | grep -qi "spandsp" || fail "spandsp fax technology missing"
rx "cdr show status" | grep -Eiq "Logging:[[:space:]]+Enabled" || fail "CDR disabled"

# A real AMI login with the rendered secret (bash /dev/tcp, no extra tools).
ami_login() {
    exec 3<>/dev/tcp/127.0.0.1/5038 || return 1
    printf 'Action: Login\r\nUsername: zhitong\r\nSecret: selftest-secret\r\n\r\n' >&3
    local line
    while IFS= read -r -t 5 line <&3; do
        case "$line" in
            "Response: Success"*) exec 3>&-; return 0 ;;
            "Response: "*) exec 3>&-; return 1 ;;
        esac
    done
    exec 3>&-
    return 1
}
ami_login || fail "AMI login as zhitong failed"
echo "selftest: OK"
