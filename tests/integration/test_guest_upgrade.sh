#!/usr/bin/env bash
# Backend hot upgrade under a real guest: a QEMU VM (TCG, Linux virtio-net)
# sends sequence-numbered frames through vhacc to a testpmd peer that
# returns them (--forward-mode=macswap); in the middle of the traffic vhacc is
# replaced the way doc/port-modes.md tells an operator to, with
# scripts/vhacc-ctl:
#
#   suspend vm, suspend peer, state-save both, SIGTERM the old vhacc,
#   start the new one with start_mode = freeze, state-load both, resume
#   both with --wait (each waits until its frontend set its rings up again).
#
# QEMU's vhost-user chardev reconnects (reconnect=1) to vhacc's server
# socket; the peer is a testpmd virtio-user in server mode, to which vhacc
# connects as a client. The guest (guest_tools/seq.c) checks every frame
# that comes back: each sequence number exactly once, in order, unchanged.
# See doc/testing-guest.md.
#
#   tests/integration/test_guest_upgrade.sh [--cases split,packed] [--count N]
#       [--pps N] [--keep]
#
# Cases (one guest boot each):
#   split   virtio-net-pci defaults (split virtqueues, mergeable buffers,
#           EVENT_IDX): QEMU's own ring position after the reconnect is the
#           saved one
#   packed  packed=on: QEMU cannot read a packed ring's position back when
#           its backend is gone and sends a stale one; the loaded state must
#           win (checked in the new vhacc's log)
# In both, the frames lost must be exactly those QEMU discarded while vhacc
# was away, as the new vhacc counted them (txq0 frontend_used).
# Output: "PASS: <name>" / "FAIL: <name>: <reason>" lines; exit 0 iff all pass.
#
# Environment: VHACC (binary, default build/app/vhacc/vhacc), TESTPMD, QEMU,
# QEMU_EXTRA, VHACC_GUEST_PVH, CC (guest_lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."

cases=split,packed
count=12000
pps=1000
keep=0
while (($#)); do
	case $1 in
	--cases) cases=$2; shift 2 ;;
	--cases=*) cases=${1#*=}; shift ;;
	--count) count=$2; shift 2 ;;
	--count=*) count=${1#*=}; shift ;;
	--pps) pps=$2; shift 2 ;;
	--pps=*) pps=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--cases split,packed] [--count N] [--pps N] [--keep]" >&2; exit 2 ;;
	esac
done

VHACC=${VHACC:-build/app/vhacc/vhacc}
CTL=scripts/vhacc-ctl
T0=$SECONDS
CASE_DEADLINE=200  # one case, every wait included: boot, traffic, upgrade, report (~30 s seen)
TOTAL_DEADLINE=480 # no case starts unless it can end before this

guest_mac=52:54:00:00:00:01
peer_mac=52:54:00:00:00:02

# ok, ko, wait_for
source tests/integration/lib.sh
# alive, stop_pid, dump, guest_prereqs, guest_images, guest_tools_image, guest_boot, ...
source tests/integration/guest_lib.sh

guest_script_start vhacc-upgrade

finish() { guest_script_finish "guest hot upgrade"; }

# ctl <prefix> <vhacc-ctl arguments...>: the CLI an operator's hook would call
ctl() {
	local p=$1
	shift
	"$GUEST_PY" "$CTL" --prefix "$p" --timeout 10 "$@"
}

# json_field <key path...>: a value out of the JSON on stdin ("" if absent)
json_field() {
	"$GUEST_PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d = d.get(k, {}) if isinstance(d, dict) else {}
print("" if d == {} else d)' "$@" 2>/dev/null
}

# -- the peer: testpmd virtio-user in server mode, returning every frame ------
start_peer() { # case
	stdbuf -oL "$TESTPMD" -l 0,1 --in-memory --single-file-segments --no-pci -m 256 \
		--file-prefix "vhacc-upg-peer-$$" \
		--vdev "net_virtio_user0,path=$run/peer-fe.sock,server=1,mac=$peer_mac,queue_size=256" \
		-- --forward-mode=macswap --nb-cores=1 --total-num-mbufs=8192 --stats-period=1 \
		>"$tmp/peer-$1.log" 2>&1 </dev/null &
	peer_pid=$!
	peer_ready() { grep -q 'packet forwarding - ports=' "$tmp/peer-$1.log" && [[ -S $run/peer-fe.sock ]]; }
	if wait_for 30 peer_ready "$1" && alive "$peer_pid"; then
		ok "$1: macswap peer (testpmd virtio-user server=1) forwards, vhacc connected to it"
		return 0
	fi
	ko "$1: macswap peer forwards, vhacc connected to it" "not ready in 30 s$(alive "$peer_pid" || echo ' (exited)')"
	dump "peer testpmd" "$tmp/peer-$1.log" 30
	return 1
}

# -- vhacc: vm (server socket, QEMU reconnects) <-> peer (client of testpmd) --
# start_vhacc <case> <generation> <start_mode>: prefix in $be_prefix
start_vhacc() {
	local c=$1 g=$2 mode=$3 conf=$tmp/vhacc-$1-$2.conf log=$tmp/vhacc-$1-$2.log
	cat >"$conf" <<-EOF
		[global]
		run_dir = $run

		[port vm]
		socket = $run/vm.sock
		mode = server
		start_mode = $mode
		attach = xconnect:peer

		[port peer]
		socket = $run/peer-fe.sock
		mode = client
		start_mode = $mode
		attach = xconnect:vm
	EOF
	be_prefix="vhacc-upg-$$-$c-$g"
	"$VHACC" -c "$conf" -- -l 0,1 --in-memory --no-pci --file-prefix "$be_prefix" \
		>"$log" 2>&1 </dev/null &
	be_pid=$!
	be_ready() { grep -q 'vhacc: ready' "$log" && [[ -S $run/vm.sock ]]; }
	if wait_for 30 be_ready && alive "$be_pid"; then
		return 0
	fi
	ko "$c: vhacc ($g) ready" "not ready in 30 s$(alive "$be_pid" || echo ' (exited)')"
	dump "vhacc ($g)" "$log" 30
	return 1
}

port_field() { # port, /vhacc/port/<what>, key path...
	local port=$1 what=$2
	shift 2
	ctl "$be_prefix" --json "$what" "$port" | json_field "$@"
}


# -- the upgrade, as an operator's hook does it -------------------------------
# upgrade <case>: appends to $tmp/upgrade-<case>.log; returns 1 on a failed step
upgrade() {
	local c=$1 p step t0 t1
	exec 4>>"$tmp/upgrade-$c.log"
	t0=${EPOCHREALTIME/./}
	# The guest's port last, and vhacc stopped right after: QEMU discards
	# what the guest queues between that suspend and its link going down.
	for p in peer vm; do
		step="suspend $p"
		ctl "$be_prefix" suspend "$p" --drain-timeout 1000 >&4 2>&4 || { echo "$step" >&4; return 1; }
		step="state-save $p"
		ctl "$be_prefix" state-save "$p" "$tmp/$p-$c.state" >&4 2>&4 || { echo "$step" >&4; return 1; }
	done
	at_suspend=$(port_field vm stats txq0 packets)
	stop_pid "$be_pid"
	be_pid=
	start_vhacc "$c" 2 freeze || return 1
	# The states load at once; each resume waits for its frontend to be back
	# (QEMU's chardev retries once a second; testpmd waits for vhacc).
	for p in vm peer; do
		step="state-load $p"
		ctl "$be_prefix" state-load "$p" "$tmp/$p-$c.state" >&4 2>&4 || { echo "$step" >&4; return 1; }
	done
	for p in vm peer; do
		step="resume $p --wait 30"
		"$GUEST_PY" "$CTL" --prefix "$be_prefix" resume "$p" --wait 30 >&4 2>&4 ||
			{ echo "$step" >&4; return 1; }
	done
	t1=${EPOCHREALTIME/./}
	upgrade_ms=$(((t1 - t0) / 1000))
	exec 4>&-
}

# seq_field <line> <key>: a key=value out of a GUEST-SEQ line
seq_field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

run_case() { # case
	local c=$1 props= con=$tmp/guest-$1.log err=$tmp/qemu-$1.err res k v bad=()
	local at_suspend= upgrade_ms= discarded=
	[[ $c == packed ]] && props=packed=on
	# testpmd's server-mode virtio-user waits for its client before it forwards
	start_vhacc "$c" 1 active || return
	start_peer "$c" || return
	GUEST_CHARDEV_OPTS=,reconnect=1 guest_boot "$con" "$err" "$run/vm.sock" "$guest_mac" 1 "" \
		"$props" "$tools_initrd" \
		"console=ttyS0 panic=-1 quiet rdinit=/vhacc-tools-init vhacc.job=seq vhacc.peer_mac=$peer_mac vhacc.count=$count vhacc.pps=$pps vhacc.size=128 vhacc.quiet=5"
	started() { grep -q 'GUEST-SEQ: started' "$con" || ! alive "$guest_pid"; }
	if ! wait_for 90 started || ! grep -q 'GUEST-SEQ: started' "$con"; then
		ko "$c: guest boots and starts sending"
		dump "guest console" "$con" 30
		dump "qemu stderr" "$err" 10
		dump "vhacc" "$tmp/vhacc-$c-1.log" 20
		return
	fi
	ok "$c: guest boots and starts sending ($count frames at $pps/s)"
	# the upgrade once a quarter of the frames went through vhacc
	quarter() { local n; n=$(port_field vm stats txq0 packets); [[ -n $n ]] && ((n >= count / 4)); }
	if ! wait_for 60 quarter; then
		ko "$c: traffic reaches a quarter of its frames" "vm txq0: $(port_field vm stats txq0 packets)"
		dump "guest console" "$con" 20
		return
	fi
	if upgrade "$c"; then
		ok "$c: hot upgrade under traffic (suspend, state-save, restart, state-load, resume) in $upgrade_ms ms"
	else
		ko "$c: hot upgrade under traffic" "$(tail -n 3 "$tmp/upgrade-$c.log" | tr '\n' ' ')"
		dump "vhacc (1)" "$tmp/vhacc-$c-1.log" 20
		dump "vhacc (2)" "$tmp/vhacc-$c-2.log" 30
		return
	fi
	if ((at_suspend > 0 && at_suspend < count)); then
		ok "$c: the upgrade came in the middle of the traffic ($at_suspend of $count frames sent)"
	else
		ko "$c: the upgrade came in the middle of the traffic" "vm txq0 at suspend: $at_suspend"
	fi
	if ! guest_wait_done "$con" "$guest_pid" $((count / pps + 90)); then
		ko "$c: guest reports" "no GUEST-DONE"
		dump "guest console" "$con" 30
		return
	fi
	res=$(grep -m1 'GUEST-SEQ: sent=' "$con" | tr -d '\r' | sed 's/^.*GUEST-SEQ: //')
	if [[ -z $res ]]; then
		ko "$c: guest reports" "no GUEST-SEQ result"
		dump "guest console" "$con" 30
		return
	fi
	# What QEMU discarded: guest TX buffers it completed itself while vhacc
	# was away (doc/port-modes.md), which the new vhacc counts on the TX
	# queue: split, the distance between the state's position and QEMU's,
	# which holds; packed, the descriptors it steps over.
	discarded=$(port_field vm stats txq0 frontend_used)
	discarded=${discarded:-0}
	for k in dup reordered corrupt sock_drops; do
		v=$(seq_field "$res" "$k")
		[[ $v == 0 ]] || bad+=("$k=$v")
	done
	[[ $(seq_field "$res" sent) == "$count" ]] || bad+=("sent $(seq_field "$res" sent) of $count")
	v=$(seq_field "$res" lost)
	if [[ $v != "$discarded" ]]; then
		bad+=("lost=$v, QEMU discarded $discarded")
	elif ((v > 0)) && (($(seq_field "$res" last_lost) - $(seq_field "$res" first_lost) + 1 != v)); then
		bad+=("the $v frames lost are not one run")
	fi
	if ((${#bad[@]} == 0)); then
		ok "$c: every frame back exactly once, in order, unchanged, but the $discarded QEMU discarded while vhacc was away ($res)"
	else
		ko "$c: every frame back exactly once, in order, unchanged, but those QEMU discarded" "${bad[*]} ($res)"
		dump "guest console" "$con" 20
		dump "vhacc (2)" "$tmp/vhacc-$c-2.log" 30
	fi
	# Every frame the guest's driver handed over was carried by one of the
	# two processes or discarded by QEMU (the driver's tx_packets also
	# counts the guest's own ARP or IPv6 frames: both vhacc count them too).
	v=$(port_field vm stats txq0 packets)
	k=$(grep -m1 'GUEST-STATS:' "$con" | sed -n 's/.* tx_packets=\([0-9]*\).*/\1/p')
	if [[ -n $v && -n $k ]] && ((at_suspend + v + discarded == k)); then
		ok "$c: the guest's $k frames: $at_suspend through the old vhacc, $v through the new one, $discarded discarded by QEMU"
	else
		ko "$c: the guest's frames all accounted for" "tx_packets $k, old vhacc $at_suspend, new vhacc $v, QEMU discarded $discarded"
	fi
	if [[ $c == packed ]]; then
		# QEMU sends the packed position it had at its last start; the ring proves the state right.
		if grep -q 'port vm vring 1: position from the state' "$tmp/vhacc-$c-2.log"; then
			ok "$c: the loaded state's position won over QEMU's stale one"
		else
			ko "$c: the loaded state's position won over QEMU's stale one" \
				"$(grep -m2 'vring [01]: \(position\|the frontend set\)' "$tmp/vhacc-$c-2.log" | tr '\n' ' ')"
		fi
	fi
	stop_pid "$be_pid"
	stop_pid "$peer_pid"
	be_pid= peer_pid=
}

guest_prereqs "guest hot upgrade" 600 "$VHACC" || finish
guest_images || finish
guest_tools_image || finish
for c in ${cases//,/ }; do
	case $c in split | packed) ;; *) ko "case $c" "unknown (split, packed)"; continue ;; esac
	if ((SECONDS - T0 + CASE_DEADLINE > TOTAL_DEADLINE)); then
		# A loaded machine made the earlier cases slow; say so, don't fail.
		echo "SKIP: $c: less than ${CASE_DEADLINE}s left of the ${TOTAL_DEADLINE}s budget"
		continue
	fi
	run_case "$c"
done
finish
