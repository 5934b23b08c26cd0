#!/usr/bin/env bash
# Ports added and removed at run time (/vhacc/port/add, /vhacc/port/del) while
# other ports carry traffic: a testpmd frontend with two virtio-user ports sends
# through the cross-connected vm1/vm2 of the default configuration (flowgen),
# while a loopback port vm3 is added, used by a second testpmd, and removed
# under traffic, several times. vm1/vm2 traffic must keep flowing, no ring
# may break, and vhacc must answer and stop cleanly afterwards.
set -uo pipefail
cd "$(dirname "$0")/../.."
VHACC=${VHACC:-build/app/vhacc/vhacc}
tmp=$(mktemp -d /tmp/vhacc-hp.XXXXXX)
prefix="vhacc-hp-$$"
run="$tmp/run"
source tests/integration/lib.sh

cleanup() {
	kill_pids
	rm -rf "$tmp"
}
trap cleanup EXIT

"$VHACC" --run-dir "$run" -- -l 0,1 --in-memory --no-pci --file-prefix "$prefix" \
	>"$tmp/vhacc.log" 2>&1 &
vpid=$!
pids+=($vpid)
if ! wait_for 20 grep -q "vhacc: ready" "$tmp/vhacc.log"; then
	ko "vhacc starts (log: $(tail -5 "$tmp/vhacc.log"))"
	echo "test_port_hotplug: $pass passed, $fail failed"
	exit 1
fi

flowgen ab --vdev "net_virtio_user0,path=$run/vm1.sock" \
	--vdev "net_virtio_user1,path=$run/vm2.sock"
if wait_for 30 grows vm2 rxq0 packets 0 && wait_for 10 grows vm1 rxq0 packets 0; then
	ok "traffic flows vm1 <-> vm2"
else
	ko "traffic vm1 <-> vm2 (testpmd: $(tail -3 "$tmp/ab.log"))"
fi
# Frames sent while testpmd's second port was still coming up may have met a
# peer that was not running yet: count only what the hotplug rounds drop.
peer_down_vm1=$(stat_of vm1 qp0 drop_peer_down)
peer_down_vm2=$(stat_of vm2 qp0 drop_peer_down)

for round in 1 2 3; do
	j=$(tel "$prefix" "/vhacc/port/add,vm3,attach=loopback")
	json_check "round $round: add vm3 (loopback)" "$j" 'assert d["ok"] == 1, d'
	check "round $round: vm3 socket exists" wait_for 5 test -S "$run/vm3.sock"
	j=$(tel "$prefix" /vhacc/ports)
	json_check "round $round: /vhacc/ports lists vm3" "$j" 'assert set(d) == {"vm1", "vm2", "vm3"}, d'

	flowgen "c$round" --vdev "net_virtio_user0,path=$run/vm3.sock"
	cpid=$last_pid
	if wait_for 30 grows vm3 rxq0 packets 0; then
		ok "round $round: vm3 loops its frontend's traffic back"
	else
		ko "round $round: vm3 loopback traffic (testpmd: $(tail -3 "$tmp/c$round.log"))"
	fi

	before=$(stat_of vm2 rxq0 packets)
	j=$(tel "$prefix" /vhacc/port/del,vm3)
	json_check "round $round: delete vm3 with its frontend connected" "$j" 'assert d["ok"] == 1, d'
	check "round $round: vm3 socket removed" test ! -e "$run/vm3.sock"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	if wait_for 10 grows vm2 rxq0 packets "$before"; then
		ok "round $round: vm1 -> vm2 traffic continues after the delete"
	else
		ko "round $round: vm1 -> vm2 traffic stopped ($before packets before)"
	fi
done

j=$(tel "$prefix" /vhacc/ports)
json_check "/vhacc/ports no longer lists vm3" "$j" 'assert set(d) == {"vm1", "vm2"}, d'
for p in vm1 vm2; do
	j=$(tel "$prefix" "/vhacc/port/stats,$p")
	base=peer_down_$p
	json_check "$p: no ring broken, nothing dropped for a down peer during the rounds" "$j" '
for q in ("rxq0", "txq0"):
    assert d[q]["broken"] == 0 and d[q]["running"] == 1, d
assert d["qp0"]["drop_peer_down"] == '"${!base}"', d'
done

j=$(tel "$prefix" /vhacc/port/add,vm1)
json_check "adding an existing name fails with EEXIST" "$j" 'assert d["ok"] == 0 and d["errno"] == 17, d'
j=$(tel "$prefix" /vhacc/port/add,vm4,mtu=5)
json_check "a bad value names the key" "$j" 'assert d["ok"] == 0 and "mtu" in d["message"], d'
j=$(tel "$prefix" /vhacc/port/add,vm4,attach=xconnect:vm1)
json_check "xconnect to a port that is attached elsewhere is refused" "$j" 'assert d["ok"] == 0 and "vm1" in d["message"], d'
j=$(tel "$prefix" /vhacc/port/del,nope)
json_check "deleting an unknown port fails with ENODEV" "$j" 'assert d["ok"] == 0 and d["errno"] == 19, d'
check "no stray socket for refused ports" test ! -e "$run/vm4.sock"

# vm2 goes and comes back: the re-added port is cross-connected to vm1 again.
j=$(tel "$prefix" /vhacc/port/del,vm2)
json_check "delete vm2 under traffic" "$j" 'assert d["ok"] == 1, d'
j=$(tel "$prefix" /vhacc/port/info,vm1)
json_check "vm1 stays, its peer gone" "$j" 'assert d["name"] == "vm1", d'
j=$(tel "$prefix" /vhacc/port/add,vm2,attach=xconnect:vm1)
json_check "re-add vm2 cross-connected to vm1" "$j" 'assert d["ok"] == 1, d'
j=$(tel "$prefix" /vhacc/lcores)
json_check "/vhacc/lcores shows the re-added queue" "$j" 'assert "vm2:0" in d["worker1"]["queues"], d'

t0=$SECONDS
kill -TERM "$vpid"
if wait_for 5 bash -c "! kill -0 $vpid 2>/dev/null"; then
	wait "$vpid"
	check "vhacc stops cleanly after the hotplug rounds ($((SECONDS - t0)) s)" test $? -eq 0
else
	ko "vhacc still running 5 s after SIGTERM"
fi

echo "test_port_hotplug: $pass passed, $fail failed"
((fail == 0))
