#!/usr/bin/env bash
# A real guest across the backend: a QEMU VM (TCG) running the Debian kernel's
# virtio-net driver on a vhost-user socket of the backend pings a DPDK testpmd
# peer (net_virtio_user, --forward-mode=icmpecho) on the backend's other
# socket. See doc/testing-guest.md.
#
#   tests/integration/test_guest_ping.sh [--backend vhacc|net_vhost]
#       [--count N] [--cases default,nomrg,packed,mq1cpu,mq,mq16] [--keep] [--verbose]
#
# Cases (each one guest boot, in this order):
#   default  virtio-net-pci with everything the backend offers negotiated
#            (mergeable RX buffers, EVENT_IDX notifications), 56-byte pings
#   nomrg    mrg_rxbuf=off,event_idx=off: the driver's small-buffer RX path and
#            flag-based notifications, 1400-byte pings
#   packed   packed=on: the driver's packed virtqueues (vhacc ports offer
#            VIRTIO_F_RING_PACKED for this case only: it is not a default)
#   mq1cpu   multiqueue: ports with 4 queue pairs, -netdev queues=4, mq=on, one
#            vCPU: the driver enables 1 of the 4 queue pairs QEMU set up
#   mq       the same with 4 vCPUs: 4 queue pairs used, 4 pings in parallel,
#            one pinned to each vCPU, so every queue pair carries traffic
#   mq16     ports and netdev with 16 queue pairs, 4 vCPUs: 4 of 16 used
# The backend and the peer are restarted when the queue pair count or the
# packed offer changes (the peer, a virtio-user, uses at most 8 queues).
# Output: "PASS: <name>" / "FAIL: <name>: <reason>" lines; exit 0 iff all pass.
# A case that would overrun the 170 s budget (a heavily loaded machine) is
# reported as "SKIP: ..." instead of being started.
#
# Environment: VHACC (binary, default build/app/vhacc/vhacc), TESTPMD, QEMU,
# QEMU_EXTRA (more QEMU arguments), VHACC_GUEST_BACKEND (default backend),
# VHACC_GUEST_PVH=0 (boot the bzImage instead of the extracted vmlinux).
# --keep leaves the logs (guest console, backend, peer) in /tmp/vhacc-guest.*;
# --verbose prints the guest console and drops "quiet" from its command line.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

backend=${VHACC_GUEST_BACKEND:-vhacc}
count=10
cases=default,nomrg,packed,mq1cpu,mq,mq16
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
	-h | --help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--backend vhacc|net_vhost] [--count N] [--cases LIST] [--keep] [--verbose]" >&2; exit 2 ;;
	esac
done
case $backend in vhacc | net_vhost) ;; *) echo "unknown backend $backend" >&2; exit 2 ;; esac

VHACC=${VHACC:-build/app/vhacc/vhacc}
TESTPMD=${TESTPMD:-dpdk-testpmd}
QEMU=${QEMU:-qemu-system-x86_64}
T0=$SECONDS
TOTAL_DEADLINE=170 # the whole run stays under 3 minutes
GUEST_DEADLINE=75  # one boot + pings + power-off under TCG (~20 s seen)

guest_mac=52:54:00:00:00:01
peer_mac=52:54:00:00:00:02
guest_ip=10.211.0.2
peer_ip=10.211.0.1

tmp=$(mktemp -d /tmp/vhacc-guest.XXXXXX)
run=$tmp/run
mkdir -p "$run"
be_pid= peer_pid= qemu_pid=
pass=0 fail=0

stop_pid() { # pid: SIGTERM, up to 5 s, then SIGKILL; reaps it
	local p=$1 end=$((SECONDS + 5))
	[[ -n $p ]] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
cleanup() {
	stop_pid "$qemu_pid"
	stop_pid "$peer_pid"
	stop_pid "$be_pid"
	if ((keep)); then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ok, ko, wait_for
source tests/integration/lib.sh
prefix="vhacc-guest-be-$$" # the backend's --file-prefix (telemetry)
alive() { kill -0 "$1" 2>/dev/null; }
dump() { # title, file, lines
	echo "---- $1 (last ${3:-30} lines of $2) ----"
	[[ -f $2 ]] && tail -n "${3:-30}" "$2" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
	echo "----"
}
dump_all() { # case
	dump "guest console" "$tmp/guest-$1.log" 40
	dump "qemu stderr" "$tmp/qemu-$1.err" 10
	dump "backend ($backend)" "$tmp/backend.log" 40
	dump "peer testpmd" "$tmp/peer.log" 25
}
finish() {
	echo "guest ping ($backend): $pass passed, $fail failed in $((SECONDS - T0)) s"
	((fail == 0))
	exit $?
}

# -- prerequisites -------------------------------------------------------------
missing=()
command -v "$QEMU" >/dev/null || missing+=("$QEMU (qemu-system-x86)")
command -v "$TESTPMD" >/dev/null || missing+=("$TESTPMD (dpdk)")
command -v cpio >/dev/null || missing+=("cpio")
[[ $backend == vhacc && ! -x $VHACC ]] && missing+=("$VHACC (build it: scripts/setup)")
if ((${#missing[@]})); then
	ko "guest ping prerequisites" "missing ${missing[*]}; run scripts/setup --tests"
	finish
fi
free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if ((free_hp * 2 < 600)); then
	ko "guest ping prerequisites" "only $((free_hp * 2)) MiB of free 2 MiB hugepages, need 600 (scripts/hugepages.sh)"
	finish
fi
kernel=$(tests/guest/build-initramfs.sh --kernel 2>"$tmp/initramfs.err")
initrd=$(tests/guest/build-initramfs.sh 2>>"$tmp/initramfs.err")
if [[ -z $kernel || ! -f $initrd ]]; then
	ko "guest initramfs builds" "$(tail -n 3 "$tmp/initramfs.err")"
	finish
fi
ok "guest initramfs builds ($(basename "$(dirname "$initrd")"))"

# -- backend: two vhost-user server sockets, vm1 <-> vm2 cross-connected --------
# CPU plan for 2 cores: QEMU's single TCG thread owns CPU 0; the backend's and
# the peer's polling lcores share CPU 1 (their main lcores mostly sleep on 0).
# start_backend <queue pairs>: vhacc with that many queue pairs on both ports
# (more than one: --set port.vmN.queue_pairs, which also offers mq and ctrl_vq),
# or testpmd net_vhost with queues=N. Returns 1 (after a FAIL) if not ready.
be_qps=0 be_packed=0
# What the ports offer for the packed case: the default set plus packed.
PACKED_OFFER=version_1,mrg_rxbuf,indirect_desc,event_idx,mtu,status,mac,log_all,in_order,protocol_features,csum,guest_csum,host_tso4,host_tso6,guest_tso4,guest_tso6,packed
start_backend() { # <queue pairs> [packed 0/1]
	local q=$1 packed=${2:-0} sets=() mq=()
	[[ -f $tmp/backend.log ]] && mv "$tmp/backend.log" "$tmp/backend-q$be_qps.log"
	if ((q > 1)); then
		sets=(--set "port.vm1.queue_pairs=$q" --set "port.vm2.queue_pairs=$q")
		mq=(--rxq="$q" --txq="$q")
	fi
	if ((packed)); then
		sets+=(--set "port.vm1.offer=$PACKED_OFFER" --set "port.vm2.offer=$PACKED_OFFER")
	fi
	if [[ $backend == vhacc ]]; then
		"$VHACC" --run-dir "$run" "${sets[@]}" -- -l 0,1 --in-memory --no-pci \
			--file-prefix "vhacc-guest-be-$$" >"$tmp/backend.log" 2>&1 </dev/null &
		be_pid=$!
		be_ready() { grep -q 'vhacc: ready' "$tmp/backend.log" && [[ -S $run/vm1.sock && -S $run/vm2.sock ]]; }
	else
		stdbuf -oL "$TESTPMD" -l 0,1 --in-memory --single-file-segments --no-pci -m 256 \
			--file-prefix "vhacc-guest-be-$$" \
			--vdev "net_vhost0,iface=$run/vm1.sock,queues=$q" --vdev "net_vhost1,iface=$run/vm2.sock,queues=$q" \
			-- --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --stats-period=1 "${mq[@]}" \
			>"$tmp/backend.log" 2>&1 </dev/null &
		be_pid=$!
		be_ready() { grep -q 'packet forwarding - ports=' "$tmp/backend.log" && [[ -S $run/vm1.sock && -S $run/vm2.sock ]]; }
	fi
	be_qps=$q be_packed=$packed
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

# setup <queue pairs> [packed]: backend and peer for a case, restarted if the
# last case used another queue pair count or packed offer.
setup() {
	((be_qps == $1 && be_packed == ${2:-0})) && alive "$be_pid" && alive "$peer_pid" && return 0
	stop_pid "$peer_pid"
	stop_pid "$be_pid"
	peer_pid= be_pid=
	# virtio-user has at most 8 queue pairs; the guest uses fewer anyway
	start_backend "$1" "${2:-0}" && start_peer $(($1 < 8 ? $1 : 8))
}

# stamp <file>: copy stdin to file, each line prefixed with wall-clock seconds
# since the start ("[  12.34] "), so a slow boot shows where the time went.
stamp() {
	local t0=${EPOCHREALTIME/./} now us l
	while IFS= read -r l; do
		now=${EPOCHREALTIME/./}
		us=$((now - t0))
		printf '[%4d.%02d] %s\n' $((us / 1000000)) $((us / 10000 % 100)) "${l%$'\r'}"
	done >"$1"
}

# Latest periodic "RX-packets" of port 0 in a testpmd log (stats every second).
peer_rx() {
	tr -d '\r' <"$tmp/peer.log" | sed -n 's/.*RX-packets: *\([0-9][0-9]*\).*/\1/p' | tail -n 1
}

# -- one guest boot per case -------------------------------------------------------
run_case() { # name, extra virtio-net-pci properties, ping payload size[, queue pairs, vCPUs]
	local name=$1 props=$2 size=$3 queues=${4:-1} smp=${5:-1} tag="$backend/$1" packed=0
	local con=$tmp/guest-$name.log rx0 rx1 line sent received features
	local netq= want=$count active
	if ((SECONDS - T0 + GUEST_DEADLINE > TOTAL_DEADLINE)); then
		# A loaded machine made the earlier cases slow; say so, don't fail.
		echo "SKIP: $tag: less than ${GUEST_DEADLINE}s left of the ${TOTAL_DEADLINE}s budget"
		return 0
	fi
	[[ $props == *packed=on* ]] && packed=1
	if ! setup "$queues" "$packed"; then
		ko "$tag: backend and peer for $queues queue pair(s)" "see above"
		return 0
	fi
	if ((queues > 1)); then
		netq=",queues=$queues"
		want=$((count * smp))
	fi
	local quiet=quiet
	((verbose)) && quiet=
	rx0=$(peer_rx)
	rx0=${rx0:-0}
	: >"$con"
	taskset -c 0 "$QEMU" -accel tcg,thread=single -nodefaults -display none -no-reboot \
		-m 256M -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-smp "$smp" -serial stdio -monitor none ${QEMU_EXTRA:-} \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 $quiet panic=-1 vhacc.ip=$guest_ip/24 vhacc.peer=$peer_ip vhacc.count=$count vhacc.size=$size vhacc.parallel=$smp" \
		-chardev "socket,id=c0,path=$run/vm1.sock" \
		-netdev "vhost-user,id=n0,chardev=c0$netq" \
		-device "virtio-net-pci,netdev=n0,mac=$guest_mac,vectors=0${props:+,$props}" \
		2>"$tmp/qemu-$name.err" </dev/null > >(stamp "$con") &
	qemu_pid=$!
	local t=$SECONDS
	guest_done() { grep -q 'GUEST-DONE' "$con" || ! alive "$qemu_pid"; }
	wait_for "$GUEST_DEADLINE" guest_done
	# It powers itself off after GUEST-DONE; give it a moment, then make sure.
	wait_for 10 bash -c "! kill -0 $qemu_pid 2>/dev/null"
	stop_pid "$qemu_pid"
	qemu_pid=
	local secs=$((SECONDS - t)) failed_before=$fail

	if grep -q 'GUEST-NIC:' "$con"; then
		ok "$tag: guest booted and probed virtio-net (${secs}s)"
	else
		ko "$tag: guest booted and probed virtio-net" \
			"$(grep -m1 -E 'GUEST-ERROR|GUEST-MODULES: failed' "$con" || echo "no GUEST-NIC line within ${GUEST_DEADLINE}s")"
		dump_all "$name"
		return
	fi
	features=$(sed -n 's/.*GUEST-NIC: .* features=\([01]*\).*/\1/p' "$con" | tr -d '\r')
	echo "     negotiated: MRG_RXBUF=${features:15:1} EVENT_IDX=${features:29:1} INDIRECT=${features:28:1} VERSION_1=${features:32:1} MTU=${features:3:1} STATUS=${features:16:1} IN_ORDER=${features:35:1} MQ=${features:22:1} CTRL_VQ=${features:17:1} RING_PACKED=${features:34:1}"
	if [[ $props == *mrg_rxbuf=off* && ${features:15:1} != 0 ]] ||
		[[ $props == *mq=on* && ${features:22:1}${features:17:1} != 11 ]] ||
		[[ $props == *event_idx=off* && ${features:29:1} != 0 ]] ||
		[[ $props == *packed=on* && ${features:34:1} != 1 ]]; then
		ko "$tag: device properties ($props) took effect" "features=$features"
	elif [[ -n $props ]]; then
		ok "$tag: device properties ($props) took effect"
	fi

	line=$(grep -m1 'GUEST-PING:' "$con" | tr -d '\r')
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
		line=$(grep -m1 'GUEST-QUEUES:' "$con" | tr -d '\r')
		if [[ $line == *"rx=$active tx=$active"* ]]; then
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

IFS=, read -ra case_list <<<"$cases"
for c in "${case_list[@]}"; do
	case $c in
	default) run_case default "" 56 ;;
	nomrg) run_case nomrg "mrg_rxbuf=off,event_idx=off" 1400 ;;
	packed) run_case packed "packed=on" 1400 ;;
	mq) run_case mq "mq=on" 56 4 4 ;;
	mq1cpu) run_case mq1cpu "mq=on" 56 4 1 ;;
	mq16) run_case mq16 "mq=on" 56 16 4 ;;
	*) ko "case $c" "unknown case (known: default, nomrg, packed, mq, mq1cpu, mq16)" ;;
	esac
	if ! alive "$be_pid"; then
		ko "$backend backend still running after case $c" "it exited"
		dump "backend ($backend)" "$tmp/backend.log" 40
		break
	fi
done

finish
