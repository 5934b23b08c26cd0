#!/usr/bin/env bash
# vhacc as an operator meets it: --help, configuration errors (one clear line,
# non-zero exit, nothing started), the default configuration's sockets,
# read-only telemetry through dpdk-telemetry.py, and clean shutdown on
# SIGTERM/SIGINT within 5 s with the sockets unlinked.
set -uo pipefail
cd "$(dirname "$0")/../.."
VHACC=${VHACC:-build/app/vhacc/vhacc}
tmp=$(mktemp -d /tmp/vhacc-app.XXXXXX)
pid=
source tests/integration/lib.sh

cleanup() {
	[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# -- help and usage errors --------------------------------------------------
out=$("$VHACC" --help 2>&1)
check "--help exits 0 and prints usage" bash -c '[[ $0 == *"Usage: vhacc"* && $0 == *"--config"* ]]' "$out"
"$VHACC" --no-such-option >/dev/null 2>&1
check "unknown option exits 2" test $? -eq 2

# -- configuration errors: one line naming the key, nothing started ----------
expect_config_error() { # name, expected substring, vhacc args...
	local name=$1 want=$2
	shift 2
	local err rc
	err=$("$VHACC" --run-dir "$tmp/bad" "$@" -- -l 0,1 --in-memory --no-pci \
		--file-prefix "vhacc-app-bad-$$" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc -ne 0 && $err == *"$want"* && ! -e $tmp/bad/vm1.sock ]] &&
		[[ $(grep -c 'configuration error' <<<"$err") -eq 1 ]]; then
		ok "$name"
	else
		ko "$name (rc=$rc, stderr: $err)"
	fi
}
expect_config_error "mtu out of range names the key" "port.vm1.mtu" --set port.vm1.mtu=99999
expect_config_error "bad attach names the key" "attach" --set port.vm1.attach=bogus
expect_config_error "unknown feature names the key" "offer" --set port.vm1.offer=no_such_feature
cat >"$tmp/bad.conf" <<'CONF'
[global]
run_dir = /tmp
[port a]
socket = a.sock
queue_pairs = zero
CONF
expect_config_error "file error names file, line and key" "bad.conf:5: queue_pairs" -c "$tmp/bad.conf"
expect_config_error "missing file is reported" "nonexistent.conf" -c "$tmp/nonexistent.conf"
expect_config_error "worker lcore not in EAL is refused" "worker 7" --set worker.7.queues=vm1:0,vm2:0

out=$("$VHACC" --check --run-dir "$tmp/run" 2>&1)
check "--check prints the default ports" bash -c '[[ $0 == *"port vm1"* && $0 == *"port vm2"* && $0 == *xconnect* ]]' "$out"

# -- the default configuration running -----------------------------------------
prefix="vhacc-app-$$"
"$VHACC" --run-dir "$tmp/run" -- -l 0,1 --in-memory --no-pci --file-prefix "$prefix" \
	>"$tmp/vhacc.log" 2>&1 &
pid=$!
if wait_for 20 test -S "$tmp/run/vm1.sock" -a -S "$tmp/run/vm2.sock"; then
	ok "default configuration creates vm1.sock and vm2.sock under the run directory"
else
	ko "default configuration sockets (log: $(tail -5 "$tmp/vhacc.log"))"
fi
check "startup prints the run directory" grep -q "run directory $tmp/run" "$tmp/vhacc.log"

wait_for 10 bash -c "[[ -S /var/run/dpdk/$prefix/dpdk_telemetry.v2 ]]"
j=$(tel "$prefix" /vhacc/ports)
check "/vhacc/ports lists vm1 and vm2" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/ports"]
assert set(d) == {"vm1", "vm2"}, d' "$j"
j=$(tel "$prefix" /vhacc/port/info,vm1)
check "/vhacc/port/info shows socket, attachment, link" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/port/info"]
assert d["socket"] == sys.argv[2] + "/vm1.sock", d
assert d["attach"] == "xconnect:vm2" and d["link"] == "down" and d["connected"] == 0, d
assert d["queue_pairs"] == 1 and "numa_node" in d and d["socket_mode"] == "server", d' "$j" "$tmp/run"
j=$(tel "$prefix" /vhacc/port/info,1)
check "/vhacc/port/info accepts a port id" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["/vhacc/port/info"]["name"] == "vm2"' "$j"
j=$(tel "$prefix" /vhacc/port/stats,vm2)
check "/vhacc/port/stats has per-queue counters" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/port/stats"]
for q in ("rxq0", "txq0"):
    for k in ("packets", "bytes", "broken", "notifications", "drop_too_big"):
        assert d[q][k] == 0, (q, k, d)
assert "drop_peer_down" in d["qp0"], d' "$j"
j=$(tel "$prefix" /vhacc/port/stats,nope)
check "unknown port gives an error object, not null" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/port/stats"]
assert d["ok"] == 0 and d["errno"] > 0 and "no such port" in d["message"], d' "$j"
j=$(tel "$prefix" /vhacc/lcores)
check "/vhacc/lcores shows the worker and its queues" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/lcores"]
assert d["control"] == 0, d
assert d["worker1"]["queues"] == "vm1:0 vm2:0", d
assert 0 <= d["worker1"]["busy_percent"] <= 100 and d["worker1"]["loops"] > 0, d' "$j"

# -- clean shutdown ------------------------------------------------------------
stop_check() { # signal, name
	local t0=$SECONDS
	kill "-$1" "$pid"
	if wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"; then
		wait "$pid"
		local rc=$?
		pid=
		if [[ $rc -eq 0 && ! -e $tmp/run/vm1.sock && ! -e $tmp/run/vm2.sock ]]; then
			ok "$2 stops within 5 s ($((SECONDS - t0)) s), exit 0, sockets unlinked"
		else
			ko "$2: rc=$rc, sockets: $(ls "$tmp/run")"
		fi
	else
		ko "$2: still running after 5 s"
	fi
}
stop_check TERM SIGTERM

# SIGINT on a client-mode port that has nobody to connect to (it keeps retrying).
"$VHACC" --run-dir "$tmp/run" --set port.vm1.mode=client -- -l 0,1 --in-memory --no-pci \
	--file-prefix "$prefix" >"$tmp/vhacc2.log" 2>&1 &
pid=$!
if wait_for 20 grep -q "vhacc: ready" "$tmp/vhacc2.log"; then
	j=$(tel "$prefix" /vhacc/port/info,vm1)
	check "client-mode port is reported as client, not connected" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/vhacc/port/info"]
assert d["socket_mode"] == "client" and d["connected"] == 0, d' "$j"
	stop_check INT SIGINT
else
	ko "client-mode start (log: $(tail -5 "$tmp/vhacc2.log"))"
fi

echo "test_app: $pass passed, $fail failed"
((fail == 0))
