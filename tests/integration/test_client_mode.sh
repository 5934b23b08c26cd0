#!/usr/bin/env bash
# A client-mode port (vhacc connects to the frontend's socket) and its
# reconnection: vm1 is a client of a testpmd virtio-user frontend in server
# mode, vm2 a server port; traffic flows vm1 <-> vm2; the vm1 frontend is
# killed and started again, and vhacc must reconnect on its own and carry
# traffic again, with vm2 untouched.
set -uo pipefail
cd "$(dirname "$0")/../.."
VHACC=${VHACC:-build/app/vhacc/vhacc}
tmp=$(mktemp -d /tmp/vhacc-cm.XXXXXX)
prefix="vhacc-cm-$$"
run="$tmp/run"
source tests/integration/lib.sh

cleanup() {
	kill_pids
	rm -rf "$tmp"
}
trap cleanup EXIT

is() { # port key value
	[[ $(info_of "$1" "$2") == "$3" ]]
}

mkdir -p "$run"
# vm1's frontend listens first; vhacc connects to it.
flowgen a --vdev "net_virtio_user0,path=$run/vm1-fe.sock,server=1"
a=$last_pid
"$VHACC" --run-dir "$run" --set port.vm1.mode=client --set port.vm1.socket=vm1-fe.sock \
	-- -l 0,1 --in-memory --no-pci --file-prefix "$prefix" >"$tmp/vhacc.log" 2>&1 &
vpid=$!
pids+=($vpid)
if ! wait_for 20 grep -q "vhacc: ready" "$tmp/vhacc.log"; then
	ko "vhacc starts with a client-mode port (log: $(tail -5 "$tmp/vhacc.log"))"
	echo "test_client_mode: $pass passed, $fail failed"
	exit 1
fi
flowgen b --vdev "net_virtio_user0,path=$run/vm2.sock"

check "vm1 (client) connects to its frontend" wait_for 30 is vm1 link up
check "vm1 reports socket_mode client" is vm1 socket_mode client
if wait_for 30 grows vm2 rxq0 packets 0 && wait_for 10 grows vm1 rxq0 packets 0; then
	ok "traffic flows between the client port and the server port"
else
	ko "traffic vm1 <-> vm2 (a: $(tail -2 "$tmp/a.log"), b: $(tail -2 "$tmp/b.log"))"
fi

kill "$a"
wait "$a" 2>/dev/null
check "vm1 goes down when its frontend dies" wait_for 10 is vm1 link down
check "vhacc keeps running" kill -0 "$vpid"
before=$(stat_of vm1 rxq0 packets)

flowgen a --vdev "net_virtio_user0,path=$run/vm1-fe.sock,server=1"
a=$last_pid
check "vm1 reconnects on its own when the frontend returns" wait_for 30 is vm1 link up
check "vm1 counts two connections" is vm1 connects 2
if wait_for 30 grows vm1 rxq0 packets "$before"; then
	ok "traffic flows again after the reconnection"
else
	ko "no traffic after reconnection ($before packets before; a: $(tail -2 "$tmp/a.log"))"
fi
j=$(tel "$prefix" /vhacc/port/stats,vm2)
json_check "vm2 was not disturbed: no broken ring" "$j" '
assert d["rxq0"]["broken"] == 0 and d["txq0"]["broken"] == 0 and d["rxq0"]["running"] == 1, d'

kill -TERM "$vpid"
if wait_for 5 bash -c "! kill -0 $vpid 2>/dev/null"; then
	wait "$vpid"
	check "vhacc stops cleanly with a connected client port" test $? -eq 0
else
	ko "vhacc still running 5 s after SIGTERM"
fi

echo "test_client_mode: $pass passed, $fail failed"
((fail == 0))
