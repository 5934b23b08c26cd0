#!/usr/bin/env bash
# A real guest across the backend: a QEMU VM (TCG) running the Debian kernel's
# virtio-net driver on a vhost-user socket of the backend pings a DPDK testpmd
# peer (net_virtio_user, --forward-mode=icmpecho) on the backend's other
# socket. See doc/testing-guest.md.
#
#   tests/integration/test_guest_ping.sh [--backend vhacc|net_vhost]
#       [--count N] [--cases default,nomrg,packed,mq1cpu,mq,mqlive,mq16] [--keep] [--verbose]
#
# Cases (each one guest boot, in this order):
#   default  virtio-net-pci with everything the backend offers negotiated
#            (mergeable RX buffers, EVENT_IDX notifications), 56-byte pings
#   nomrg    mrg_rxbuf=off,event_idx=off: the driver's small-buffer RX path and
#            flag-based notifications, 1400-byte pings
#   packed   packed=on: the driver's packed virtqueues (vhacc offers
#            VIRTIO_F_RING_PACKED by default; QEMU negotiates it only with packed=on)
#   mq1cpu   multiqueue: ports with 4 queue pairs, -netdev queues=4, mq=on, one
#            vCPU: the driver enables 1 of the 4 queue pairs QEMU set up
#   mq       the same with 4 vCPUs: 4 queue pairs used, 4 pings in parallel,
#            one pinned to each vCPU, so every queue pair carries traffic
#   mqlive   as mq, with 4 ping flows running while the guest changes its
#            channel count to 2 and back to 4 (ethtool -L combined N, through
#            guest_tools/channels.c): QEMU disables and re-enables queue pairs
#            2 and 3 (SET_VRING_ENABLE); vhacc must stop and restart exactly
#            those while 0 and 1 carry all 4 flows, losing nothing. vhacc only
#            (per-queue counters and log checked)
#   mq16     ports and netdev with 16 queue pairs, 4 vCPUs: 4 of 16 used
# The backend and the peer are restarted when the queue pair count changes
# (the peer, a virtio-user, uses at most 8 queues).
# Output: "PASS: <name>" / "FAIL: <name>: <reason>" lines; exit 0 iff all pass.
# A case that could not end within the 480 s budget (a heavily loaded
# machine) is reported as "SKIP: ..." instead of being started.
#
# Environment: VHACC (binary, default build/app/vhacc/vhacc), TESTPMD, QEMU,
# QEMU_EXTRA (more QEMU arguments), VHACC_GUEST_BACKEND (default backend),
# VHACC_GUEST_PVH=0 (boot the bzImage instead of the extracted vmlinux),
# CC (builds the static guest tools of the mqlive case).
# --keep leaves the logs (guest console, backend, peer) in /tmp/vhacc-guest.*;
# --verbose prints the guest console and drops "quiet" from its command line.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

backend=${VHACC_GUEST_BACKEND:-vhacc}
count=10
cases=default,nomrg,packed,mq1cpu,mq,mqlive,mq16
keep=0
verbose=0
while (($#)); do
	case $1 in
	--backend) backend=$2; shift 2 ;;
	--backend=*) backend=${1#*=}; shift ;;
	--count) count=$2; shift 2 ;;
	--count=*) count=${1#*=}; shift ;;
	--cases) cases=$2; shift 2 ;;
	--cases=*) cases=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	--verbose) verbose=1; shift ;;
	-h | --help) sed -n '2,39p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--backend vhacc|net_vhost] [--count N] [--cases LIST] [--keep] [--verbose]" >&2; exit 2 ;;
	esac
done
case $backend in vhacc | net_vhost) ;; *) echo "unknown backend $backend" >&2; exit 2 ;; esac

VHACC=${VHACC:-build/app/vhacc/vhacc}
T0=$SECONDS
TOTAL_DEADLINE=480  # no case starts unless it can end before this (~2 min seen, 4 min busy)
GUEST_DEADLINE=75   # one boot + pings + power-off under TCG (~20 s seen)
MQLIVE_DEADLINE=200 # the whole mqlive case, every wait included (30-95 s seen)

guest_mac=52:54:00:00:00:01
peer_mac=52:54:00:00:00:02
guest_ip=10.211.0.2
peer_ip=10.211.0.1

# ok, ko, wait_for, tel, json_check
source tests/integration/lib.sh
# alive, stop_pid, dump, guest_prereqs, guest_images, guest_tools_image, guest_boot, ...
source tests/integration/guest_lib.sh

guest_script_start vhacc-guest

prefix="vhacc-guest-be-$$" # the backend's --file-prefix (telemetry)
dump_all() { # case
	dump "guest console" "$tmp/guest-$1.log" 40
	dump "qemu stderr" "$tmp/qemu-$1.err" 10
	dump "backend ($backend)" "$tmp/backend.log" 40
	dump "peer testpmd" "$tmp/peer.log" 25
}
finish() { guest_script_finish "guest ping ($backend)"; }

# -- prerequisites -------------------------------------------------------------
guest_prereqs "guest ping" 600 "$([[ $backend == vhacc ]] && echo "$VHACC")" || finish
guest_images || finish

# -- backend: two vhost-user server sockets, vm1 <-> vm2 cross-connected --------
# CPU plan for 2 cores: QEMU's single TCG thread owns CPU 0; the backend's and
# the peer's polling lcores share CPU 1 (their main lcores mostly sleep on 0).
# start_backend <queue pairs>: vhacc with that many queue pairs on both ports
# (more than one: --set port.vmN.queue_pairs, which also offers mq and ctrl_vq),
# or testpmd net_vhost with queues=N. Returns 1 (after a FAIL) if not ready.
# vhacc offers packed rings by default (lib/config DEFAULT_FEATURES), so the
# packed case runs on the same backend as the others.
be_qps=0
start_backend() { # <queue pairs>
	local q=$1 sets=() mq=()
	[[ -f $tmp/backend.log ]] && mv "$tmp/backend.log" "$tmp/backend-q$be_qps.log"
	if ((q > 1)); then
		sets=(--set "port.vm1.queue_pairs=$q" --set "port.vm2.queue_pairs=$q")
		mq=(--rxq="$q" --txq="$q")
	fi
	if [[ $backend == vhacc ]]; then
		"$VHACC" --run-dir "$run" "${sets[@]}" -- -l 0,1 --in-memory --no-pci \
			--file-prefix "$prefix" >"$tmp/backend.log" 2>&1 </dev/null &
		be_pid=$!
		be_ready() { grep -q 'vhacc: ready' "$tmp/backend.log" && [[ -S $run/vm1.sock && -S $run/vm2.sock ]]; }
	else
		stdbuf -oL "$TESTPMD" -l 0,1 --in-memory --single-file-segments --no-pci -m 256 \
			--file-prefix "$prefix" \
			--vdev "net_vhost0,iface=$run/vm1.sock,queues=$q" --vdev "net_vhost1,iface=$run/vm2.sock,queues=$q" \
			-- --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --stats-period=1 "${mq[@]}" \
			>"$tmp/backend.log" 2>&1 </dev/null &
		be_pid=$!
		be_ready() { grep -q 'packet forwarding - ports=' "$tmp/backend.log" && [[ -S $run/vm1.sock && -S $run/vm2.sock ]]; }
	fi
	be_qps=$q
	if wait_for 30 be_ready; then
		ok "$backend backend listens on vm1.sock and vm2.sock ($q queue pair(s) per port)"
	else
		ko "$backend backend listens on vm1.sock and vm2.sock" "not ready in 30 s$(alive "$be_pid" || echo ' (exited)')"
		dump "backend ($backend)" "$tmp/backend.log" 40
		return 1
	fi
}

# -- peer: testpmd answering ARP and ICMP echo on vm2 ----------------------------
# start_peer <queues>: with more than one, a multiqueue virtio-user (cq=1: it
# serves the control queue itself) that answers on the queue it received on.
start_peer() {
	local q=$1 vq= mq=()
	[[ -f $tmp/peer.log ]] && mv "$tmp/peer.log" "$tmp/peer-q$be_qps.log"
	if ((q > 1)); then
		vq=",queues=$q,cq=1"
		mq=(--rxq="$q" --txq="$q")
	fi
	stdbuf -oL "$TESTPMD" -l 0,1 --in-memory --single-file-segments --no-pci -m 256 \
		--file-prefix "vhacc-guest-peer-$$" \
		--vdev "net_virtio_user0,path=$run/vm2.sock,mac=$peer_mac,queue_size=256$vq" \
		-- --forward-mode=icmpecho --nb-cores=1 --total-num-mbufs=8192 --stats-period=1 "${mq[@]}" \
		>"$tmp/peer.log" 2>&1 </dev/null &
	peer_pid=$!
	peer_ready() { grep -q 'packet forwarding - ports=' "$tmp/peer.log"; }
	if wait_for 30 peer_ready && alive "$peer_pid"; then
		ok "icmpecho peer attached to vm2.sock ($q queue(s))"
	else
		ko "icmpecho peer attached to vm2.sock" "not forwarding in 30 s$(alive "$peer_pid" || echo ' (exited)')"
		dump "peer testpmd" "$tmp/peer.log" 40
		dump "backend ($backend)" "$tmp/backend.log" 40
		return 1
	fi
}

# setup <queue pairs>: backend and peer for a case, restarted if the last
# case used another queue pair count.
setup() {
	((be_qps == $1)) && alive "$be_pid" && alive "$peer_pid" && return 0
	stop_pid "$peer_pid"
	stop_pid "$be_pid"
	peer_pid= be_pid=
	# virtio-user has at most 8 queue pairs; the guest uses fewer anyway
	start_backend "$1" && start_peer $(($1 < 8 ? $1 : 8))
}

# Latest periodic "RX-packets" of port 0 in a testpmd log (stats every second).
peer_rx() {
	tr -d '\r' <"$tmp/peer.log" | sed -n 's/.*RX-packets: *\([0-9][0-9]*\).*/\1/p' | tail -n 1
}

# budget_left <seconds> <tag>: is there time for a case needing that long?
budget_left() {
	if ((SECONDS - T0 + $1 > TOTAL_DEADLINE)); then
		# A loaded machine made the earlier cases slow; say so, don't fail.
		echo "SKIP: $2: less than ${1}s left of the ${TOTAL_DEADLINE}s budget"
		return 1
	fi
}

# check_features <tag> <props> <console>: print the negotiated bits; check
# that the requested device properties show up in them.
check_features() {
	local tag=$1 props=$2 features
	features=$(guest_marker "$3" GUEST-NIC | sed -n 's/.*features=\([01]*\).*/\1/p')
	echo "     negotiated: MRG_RXBUF=${features:15:1} EVENT_IDX=${features:29:1} INDIRECT=${features:28:1} VERSION_1=${features:32:1} MTU=${features:3:1} STATUS=${features:16:1} IN_ORDER=${features:35:1} MQ=${features:22:1} CTRL_VQ=${features:17:1} RING_PACKED=${features:34:1}"
	if [[ $props == *mrg_rxbuf=off* && ${features:15:1} != 0 ]] ||
		[[ $props == *mq=on* && ${features:22:1}${features:17:1} != 11 ]] ||
		[[ $props == *event_idx=off* && ${features:29:1} != 0 ]] ||
		[[ $props == *packed=on* && ${features:34:1} != 1 ]]; then
		ko "$tag: device properties ($props) took effect" "features=$features"
	elif [[ -n $props ]]; then
		ok "$tag: device properties ($props) took effect"
	fi
}

# -- one guest boot per case -------------------------------------------------------
run_case() { # name, extra virtio-net-pci properties, ping payload size[, queue pairs, vCPUs]
	local name=$1 props=$2 size=$3 queues=${4:-1} smp=${5:-1} tag="$backend/$1"
	local con=$tmp/guest-$name.log rx0 rx1 line sent received
	local netq= want=$count active quiet=quiet
	budget_left "$GUEST_DEADLINE" "$tag" || return 0
	if ! setup "$queues"; then
		ko "$tag: backend and peer for $queues queue pair(s)" "see above"
		return 0
	fi
	if ((queues > 1)); then
		netq=",queues=$queues"
		want=$((count * smp))
	fi
	((verbose)) && quiet=
	rx0=$(peer_rx)
	rx0=${rx0:-0}
	local t=$SECONDS
	guest_boot "$con" "$tmp/qemu-$name.err" "$run/vm1.sock" "$guest_mac" "$smp" "$netq" "$props" "$initrd" \
		"console=ttyS0 $quiet panic=-1 vhacc.ip=$guest_ip/24 vhacc.peer=$peer_ip vhacc.count=$count vhacc.size=$size vhacc.parallel=$smp"
	guest_wait_done "$con" "$guest_pid" "$GUEST_DEADLINE"
	local secs=$((SECONDS - t)) failed_before=$fail

	if grep -q 'GUEST-NIC:' "$con"; then
		ok "$tag: guest booted and probed virtio-net (${secs}s)"
	else
		ko "$tag: guest booted and probed virtio-net" \
			"$(grep -m1 -E 'GUEST-ERROR|GUEST-MODULES: failed' "$con" || echo "no GUEST-NIC line within ${GUEST_DEADLINE}s")"
		dump_all "$name"
		return
	fi
	check_features "$tag" "$props" "$con"

	line=$(guest_marker "$con" GUEST-PING)
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$line")
	received=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' <<<"$line")
	if [[ -n $received ]] && ((sent == want && received >= want - 1)); then
		ok "$tag: guest got $received of $want echo replies ($size-byte payload)"
	else
		ko "$tag: guest got >= $((want - 1)) of $want echo replies" "${line:-no GUEST-PING line}"
	fi
	if ((queues > 1)); then
		# Linux uses min(queue pairs, CPUs) and enables only those: the
		# backend must run with the rest set up but disabled.
		active=$((smp < queues ? smp : queues))
		line=$(guest_marker "$con" GUEST-QUEUES)
		if [[ $line == "rx=$active tx=$active" ]]; then
			ok "$tag: the guest driver uses $active of $queues queue pairs"
		else
			ko "$tag: the guest driver uses $active of $queues queue pairs" "${line:-no GUEST-QUEUES line}"
		fi
		[[ $backend == vhacc ]] && check_queues "$tag" "$queues" "$active"
	fi

	# The replies came from the peer, through the backend: the peer must have
	# received at least one packet per reply (plus ARP). Stats print every 1 s.
	peer_saw() {
		rx1=$(peer_rx)
		((${rx1:-0} - rx0 >= ${received:-1} && ${rx1:-0} > rx0))
	}
	if wait_for 5 peer_saw; then
		ok "$tag: peer received the guest's packets through the backend (RX +$((rx1 - rx0)))"
	else
		ko "$tag: peer received the guest's packets through the backend" "peer RX-packets $rx0 -> ${rx1:-?}, guest saw ${received:-0} replies"
	fi
	((verbose)) && dump "guest console" "$con" 40
	((fail > failed_before)) && dump_all "$name"
	return 0
}

# check_queues <tag> <queue pairs> <active>: vhacc's counters after a
# multiqueue guest: every queue pair the guest uses carried traffic both ways,
# the others are not running; nothing dropped on either port.
check_queues() {
	local tag=$1 queues=$2 active=$3 j
	j=$(tel "$prefix" /vhacc/port/stats,vm1)
	# (the guest has powered off by now: no vring is running any more)
	json_check "$tag: vm1 queue pairs 0..$((active - 1)) carried traffic both ways, the others none" "$j" "
print('     vm1 per queue (rx/tx packets): ' + ' '.join('%d/%d' % (d['rxq%d' % q]['packets'], d['txq%d' % q]['packets']) for q in range($queues)))
for q in range($queues):
    rx, tx = d['rxq%d' % q]['packets'], d['txq%d' % q]['packets']
    assert (rx > 0 and tx > 0) if q < $active else (rx == 0 and tx == 0), (q, rx, tx)"
	for p in vm1 vm2; do
		j=$(tel "$prefix" "/vhacc/port/stats,$p")
		json_check "$tag: $p: no drop, no broken ring" "$j" "
for q in range($queues):
    qp = d['qp%d' % q]
    assert qp['drop_peer_down'] == 0 and qp['drop_dest_full'] == 0 and qp['held'] == 0, (q, qp)
    for v in ('rxq%d' % q, 'txq%d' % q):
        assert d[v]['broken'] == 0 and d[v]['drop_too_big'] == 0, (v, d[v])"
	done
}

# -- mqlive: queue pairs disabled and enabled again by the guest under traffic ----
# V[<port>.<rxqN|txqN|qpN>.<counter>]: the latest /vhacc/port/stats of vm1 and
# vm2 (vstat); B0 (case start), B2 (queue pairs 2-3 just stopped), B3 (end of
# the two-queue phase): snapshots of it.
declare -A V=() B0=() B2=() B3=()
vstat() {
	local p k v
	V=()
	for p in vm1 vm2; do
		while read -r k v; do V[$p.$k]=$v; done < <(gtel "$prefix" "/vhacc/port/stats,$p" | "$GUEST_PY" -c '
import json, sys
d = json.load(sys.stdin)["/vhacc/port/stats"]
for q, c in d.items():
    for k, v in c.items():
        if isinstance(v, int):
            print("%s.%s %d" % (q, k, v))' 2>/dev/null)
	done
	((${#V[@]} > 0))
}
snapshot() { # name of an associative array: copy V into it
	local -n to=$1
	local k
	to=()
	for k in "${!V[@]}"; do to["$k"]=${V["$k"]}; done
}
running_is() { # 0|1 vring...: every named vm1 vring has running == that
	local want=$1 q
	shift
	for q; do [[ ${V[vm1.$q.running]:-x} == "$want" ]] || return 1; done
}
grew() { # snapshot min vring...: every named vm1 vring moved >= min packets since the snapshot
	local -n base=$1
	local min=$2 q
	shift 2
	for q; do ((${V[vm1.$q.packets]:-0} - ${base[vm1.$q.packets]:-0} >= min)) || return 1; done
}
unchanged() { # snapshot vring...: the named vm1 vrings' packets are as in the snapshot
	local -n base=$1
	local q
	shift
	for q; do [[ ${V[vm1.$q.packets]:-x} == "${base[vm1.$q.packets]:-y}" ]] || return 1; done
}
per_queue() { # snapshot: "rx/tx" packets per vm1 queue pair since it
	local -n base=$1
	local q s=
	for q in 0 1 2 3; do
		s+=" $((${V[vm1.rxq$q.packets]:-0} - ${base[vm1.rxq$q.packets]:-0}))/$((${V[vm1.txq$q.packets]:-0} - ${base[vm1.txq$q.packets]:-0}))"
	done
	echo "${s# }"
}
all4=(rxq0 txq0 rxq1 txq1 rxq2 txq2 rxq3 txq3)
low2=(rxq0 txq0 rxq1 txq1)
high2=(rxq2 txq2 rxq3 txq3)
MIN_PKTS=8 # per vring and phase: 8 frames is > 1 s of the 4 flows at 5 requests/s each

# guest_channels <console> <fifo> <N> <deadline>: have the guest set N
# channels; its GUEST-CHANNELS line in $chline. Fails unless it did.
guest_channels() {
	local con=$1 fifo=$2 n=$3 secs=$4
	local before
	before=$(grep -c 'GUEST-CHANNELS:' "$con")
	console_send "$fifo" "channels $n" || return 1
	chan_done() { (($(grep -c 'GUEST-CHANNELS:' "$con") > before)); }
	wait_for "$secs" chan_done || return 1
	chline=$(grep 'GUEST-CHANNELS:' "$con" | tail -n 1 | tr -d '\r' | sed 's/^.*GUEST-CHANNELS: *//')
	[[ $chline == "set=$n rc=0 max_combined=4 combined=$n rx=$n tx=$n" ]]
}

# 4 queue pairs, 4 vCPUs, 4 ping flows (flow i pinned to vCPU i: with 4
# channels on queue pair i, with 2 channels XPS puts vCPUs 0-1 on queue pair 0
# and 2-3 on 1). The host drives the phases through the guest's console input:
#   1. all 4 queue pairs carry traffic (vhacc's per-vring counters grow)
#   2. "channels 2": QEMU sends SET_VRING_ENABLE 0 for vrings 4-7; vhacc stops
#      polling them (running 0) while queue pairs 0-1 keep running and carry
#      all 4 flows; 2-3 do not count
#   3. "channels 4": vrings 4-7 enabled again, running 1, counting again
#   4. "stop": the guest reports each flow's replies
run_mqlive() {
	local name=mqlive tag="$backend/mqlive" con=$tmp/guest-mqlive.log fifo=$tmp/console-in-mqlive
	local t=$SECONDS quiet=quiet failed_before=$fail log0 log1 line f sent last missing total_missing=0
	budget_left "$MQLIVE_DEADLINE" "$tag" || return 0
	# cap <seconds>: a wait's deadline, cut to what is left of the case's
	local end=$((SECONDS + MQLIVE_DEADLINE))
	cap() { local d=$1 r=$((end - SECONDS)); ((r < d)) && d=$r; ((d < 1)) && d=1; echo "$d"; }
	if [[ $backend != vhacc ]]; then
		echo "SKIP: $tag: reads vhacc's per-queue counters (vhacc backend only)"
		return 0
	fi
	if [[ -z ${tools_initrd:-} ]] && ! guest_tools_image; then
		return 0
	fi
	if ! setup 4; then
		ko "$tag: backend and peer for 4 queue pairs" "see above"
		return 0
	fi
	((verbose)) && quiet=
	vstat && snapshot B0
	rm -f "$fifo"
	mkfifo "$fifo"
	guest_boot "$con" "$tmp/qemu-$name.err" "$run/vm1.sock" "$guest_mac" 4 ",queues=4" "mq=on" "$tools_initrd" \
		"console=ttyS0 $quiet panic=-1 rdinit=/vhacc-tools-init vhacc.job=mqlive vhacc.flows=4 vhacc.ip=$guest_ip/24 vhacc.peer=$peer_ip vhacc.peer_mac=$peer_mac" \
		"$fifo"
	local pid=$guest_pid
	started() { grep -q 'GUEST-MQLIVE:' "$con" || grep -q 'GUEST-DONE' "$con" || ! alive "$pid"; }
	wait_for "$(cap "$GUEST_DEADLINE")" started
	if ! grep -q 'GUEST-MQLIVE: flows=4 started' "$con"; then
		ko "$tag: guest booted and started 4 ping flows" \
			"$(grep -m1 -E 'GUEST-ERROR|GUEST-MODULES: failed' "$con" || echo "no GUEST-MQLIVE line within ${GUEST_DEADLINE}s")"
		stop_pid "$pid"
		dump_all "$name"
		return 0
	fi
	ok "$tag: guest booted and started 4 ping flows ($((SECONDS - t))s)"
	check_features "$tag" "mq=on" "$con"
	if [[ $(guest_marker "$con" GUEST-QUEUES) != "rx=4 tx=4" ]]; then
		ko "$tag: the guest driver uses 4 of 4 queue pairs" "$(guest_marker "$con" GUEST-QUEUES)"
	fi

	# 1. every queue pair carries traffic
	phase1() { vstat && running_is 1 "${all4[@]}" && grew B0 "$MIN_PKTS" "${all4[@]}"; }
	if wait_for "$(cap 60)" phase1; then
		ok "$tag: 4 queue pairs carry traffic (vm1 rx/tx per queue pair: $(per_queue B0))"
	else
		ko "$tag: 4 queue pairs carry traffic" "vm1 rx/tx per queue pair at the deadline: $(per_queue B0)"
	fi
	log0=$(wc -l <"$tmp/backend.log")

	# 2. two channels: queue pairs 2 and 3 stop, 0 and 1 carry everything
	if guest_channels "$con" "$fifo" 2 "$(cap 30)"; then
		ok "$tag: the guest went to 2 channels ($chline)"
	else
		ko "$tag: the guest went to 2 channels" "${chline:-no GUEST-CHANNELS line in time}"
	fi
	stopped() { vstat && running_is 0 "${high2[@]}" && running_is 1 "${low2[@]}"; }
	if wait_for "$(cap 30)" stopped; then
		ok "$tag: vhacc stopped polling vm1 queue pairs 2-3, 0-1 still running"
	else
		ko "$tag: vhacc stopped polling vm1 queue pairs 2-3, 0-1 still running" \
			"running: $(for q in "${all4[@]}"; do printf '%s=%s ' "$q" "${V[vm1.$q.running]:-?}"; done)"
	fi
	snapshot B2
	phase2() { vstat && grew B2 "$MIN_PKTS" "${low2[@]}"; }
	if wait_for "$(cap 60)" phase2 && unchanged B2 "${high2[@]}" && running_is 0 "${high2[@]}"; then
		ok "$tag: with 2 channels queue pairs 0-1 carry the traffic, 2-3 count nothing (vm1 rx/tx: $(per_queue B2))"
	else
		ko "$tag: with 2 channels queue pairs 0-1 carry the traffic, 2-3 count nothing" "vm1 rx/tx per queue pair: $(per_queue B2)"
	fi
	snapshot B3

	# 3. four channels again: queue pairs 2 and 3 run and count again
	if guest_channels "$con" "$fifo" 4 "$(cap 30)"; then
		ok "$tag: the guest went back to 4 channels ($chline)"
	else
		ko "$tag: the guest went back to 4 channels" "${chline:-no GUEST-CHANNELS line in time}"
	fi
	phase3() { vstat && running_is 1 "${all4[@]}" && grew B3 "$MIN_PKTS" "${high2[@]}"; }
	if wait_for "$(cap 60)" phase3; then
		ok "$tag: queue pairs 2-3 run and carry traffic again (vm1 rx/tx: $(per_queue B3))"
	else
		ko "$tag: queue pairs 2-3 run and carry traffic again" "vm1 rx/tx per queue pair: $(per_queue B3)"
	fi
	log1=$(wc -l <"$tmp/backend.log")

	# 4. stop the flows; the guest reports them and powers off
	console_send "$fifo" stop
	if ! guest_wait_done "$con" "$pid" "$(cap 60)"; then
		ko "$tag: guest reported its flows and powered off" "no GUEST-DONE in time"
	fi
	# Per flow: "missing" replies below the last one answered are losses;
	# requests after it were in flight when the flows were stopped (SIGINT at
	# any moment): at most 5, 1 s of requests (round trips are 20-80 ms
	# here, a few hundred ms on a loaded machine).
	for f in 0 1 2 3; do
		line=$(grep "GUEST-FLOW: flow=$f " "$con" | tr -d '\r' | sed 's/^.*GUEST-FLOW: *//')
		sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")
		last=$(sed -n 's/.* last_seq=\(-*[0-9]*\).*/\1/p' <<<"$line")
		missing=$(sed -n 's/.* missing=\(-*[0-9]*\).*/\1/p' <<<"$line")
		if [[ -z $missing || -z $sent || -z $last ]] || ((sent < 20 || sent - 1 - last > 5)); then
			ko "$tag: flow $f was answered until it was stopped" "${line:-no GUEST-FLOW line}"
			continue
		fi
		total_missing=$((total_missing + missing))
		# Flows 0 and 1 only use queue pairs that stay enabled: no loss at
		# all. Flows 2 and 3 move to queue pair 1 and back: see below.
		if ((f < 2 && missing != 0)); then
			ko "$tag: flow $f (queue pairs that stay enabled) lost no reply" "$line"
		else
			ok "$tag: flow $f answered until stopped$( ((missing)) || echo ', no loss'): $line"
		fi
	done
	vstat
	# Every lost reply must show up in a vhacc drop counter (queue pairs 2-3
	# only: a frame in flight to a vring just disabled); 0-1 drop nothing.
	local drops=0 d p q n
	for p in vm1 vm2; do
		for q in 0 1 2 3; do
			for d in drop_peer_down drop_dest_full; do
				n=$((${V[$p.qp$q.$d]:-0} - ${B0[$p.qp$q.$d]:-0}))
				((n > 0)) || continue
				((q < 2)) && ko "$tag: $p queue pair $q dropped nothing" "$d +$n"
				drops=$((drops + n))
			done
		done
	done
	if ((total_missing <= drops)); then
		ok "$tag: every lost reply is counted by vhacc ($total_missing lost, $drops dropped on queue pairs 2-3 while they were disabled)"
	else
		ko "$tag: every lost reply is counted by vhacc" "$total_missing replies lost, vhacc counted $drops drops"
	fi
	local broken=
	for p in vm1 vm2; do
		for q in "${all4[@]}"; do
			((${V[$p.$q.broken]:-1} == 0 && ${V[$p.$q.drop_too_big]:-1} == 0)) || broken+=" $p.$q"
		done
	done
	if [[ -z $broken ]]; then
		ok "$tag: no broken ring, nothing too big, on either port"
	else
		ko "$tag: no broken ring, nothing too big, on either port" "see$broken"
	fi

	# vhacc's log between phase 1 and the end of phase 3: vrings 4-7 disabled
	# then enabled by the frontend (vring_state_changed), restarted; nothing
	# else of vm1 stopped or restarted.
	local win=$tmp/backend-mqlive-window.log why= v
	sed -n "$((log0 + 1)),${log1}p" "$tmp/backend.log" | grep -v VHOST_CONFIG >"$win"
	for v in 4 5 6 7; do
		grep -q "port vm1: vring $v disabled by the frontend" "$win" || why+=" no 'vring $v disabled';"
		grep -q "port vm1: vring $v enabled by the frontend" "$win" || why+=" no 'vring $v enabled';"
		grep -q "port vm1 vring $v: started" "$win" || why+=" vring $v not started again;"
	done
	grep -qE "port vm1 vring [0-3]: stopped|port vm1: device (stopped|started)" "$win" &&
		why+=" $(grep -m1 -E "port vm1 vring [0-3]: stopped|port vm1: device (stopped|started)" "$win")"
	if [[ -z $why ]]; then
		ok "$tag: vhacc log: vrings 4-7 disabled and enabled by the frontend, vrings 0-3 never stopped"
	else
		ko "$tag: vhacc log: vrings 4-7 disabled and enabled by the frontend, vrings 0-3 never stopped" "$why"
	fi
	echo "     mqlive took $((SECONDS - t)) s"
	((verbose)) && dump "guest console" "$con" 60
	((fail > failed_before)) && dump_all "$name"
	return 0
}

IFS=, read -ra case_list <<<"$cases"
for c in "${case_list[@]}"; do
	case $c in
	default) run_case default "" 56 ;;
	nomrg) run_case nomrg "mrg_rxbuf=off,event_idx=off" 1400 ;;
	packed) run_case packed "packed=on" 1400 ;;
	mq) run_case mq "mq=on" 56 4 4 ;;
	mq1cpu) run_case mq1cpu "mq=on" 56 4 1 ;;
	mq16) run_case mq16 "mq=on" 56 16 4 ;;
	mqlive) run_mqlive ;;
	*) ko "case $c" "unknown case (known: default, nomrg, packed, mq, mq1cpu, mq16, mqlive)" ;;
	esac
	if [[ -n $be_pid ]] && ! alive "$be_pid"; then
		ko "$backend backend still running after case $c" "it exited"
		dump "backend ($backend)" "$tmp/backend.log" 40
		break
	fi
done

finish
