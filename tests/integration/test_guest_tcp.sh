#!/usr/bin/env bash
# TCP between two real guests through vhacc, with checksum offload and TSO.
# Two QEMU VMs (TCG, Debian kernel, busybox) on vhacc's two ports, which are
# cross-connected (the embedded default configuration): guest A (vm1)
# listens with busybox nc, guest B (vm2) sends it BYTES of a deterministic
# pseudo-random stream (guest_tools/pattern.c), once over IPv4 and once over
# IPv6 (another stream); A reports the md5sum of what arrived, compared here
# with the digest of the same stream made on the host. See doc/testing-guest.md.
#
#   tests/integration/test_guest_tcp.sh [--cases offload,nooffload] [--bytes N]
#       [--afs 4,6] [--keep] [--verbose]
#
# Cases (each one vhacc and two guest boots):
#   offload    virtio-net-pci defaults on both: CSUM, GUEST_CSUM, HOST_TSO4/6,
#              GUEST_TSO4/6 negotiated; B's TSO frames (up to 64 KiB) reach A
#              whole, checksums left partial (NEEDS_CSUM) end to end
#   nooffload  A's device has guest_csum=off,guest_tso4=off,guest_tso6=off:
#              vhacc must cut B's TSO frames into MSS-sized frames and
#              complete every TCP checksum in software
# Checked per case: the features each port negotiated (vhacc's log, the
# guests' sysfs), each transfer arrived complete and intact (size and md5),
# vhacc carried GSO frames from B (average frame on vm2's TX ring > 1514
# bytes) and handed A whole (offload: average > 1514) or segmented
# (nooffload: average <= 1514, at least BYTES/1448 frames per transfer)
# frames, no drop_bad_hdr, drop_over_mtu, drop_too_big or broken ring
# anywhere, no TCP checksum error in A.
# Output: "PASS: <name>" / "FAIL: <name>: <reason>" lines and a summary;
# exit 0 iff all pass.
#
# Environment: VHACC (binary, default build/app/vhacc/vhacc), QEMU,
# QEMU_EXTRA, TESTPMD (only for dpdk-telemetry.py's presence), CC (guest
# tools), VHACC_GUEST_PVH=0. --keep leaves the logs in /tmp/vhacc-guest-tcp.*;
# --verbose prints both guest consoles and boots without "quiet".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

cases=offload,nooffload
bytes=8388608
afs=4,6
keep=0
verbose=0
while (($#)); do
	case $1 in
	--cases) cases=$2; shift 2 ;;
	--cases=*) cases=${1#*=}; shift ;;
	--bytes) bytes=$2; shift 2 ;;
	--bytes=*) bytes=${1#*=}; shift ;;
	--afs) afs=$2; shift 2 ;;
	--afs=*) afs=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	--verbose) verbose=1; shift ;;
	-h | --help) sed -n '2,33p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--cases offload,nooffload] [--bytes N] [--afs 4,6] [--keep] [--verbose]" >&2; exit 2 ;;
	esac
done
[[ $bytes =~ ^[0-9]+$ ]] && ((bytes >= 65536)) || { echo "--bytes: at least 65536" >&2; exit 2; }
[[ $afs =~ ^[46](,[46])?$ ]] || { echo "--afs: 4, 6 or 4,6" >&2; exit 2; }
IFS=, read -ra af_list <<<"$afs"

VHACC=${VHACC:-build/app/vhacc/vhacc}
T0=$SECONDS
CASE_DEADLINE=240 # two boots and both transfers under TCG (13-30 s seen)

a_mac=52:54:00:00:01:01 a_ip=10.212.0.1 a_ip6=fd00:212::1
b_mac=52:54:00:00:01:02 b_ip=10.212.0.2 b_ip6=fd00:212::2
port=5001
seed=20240601

# ok, ko, wait_for, tel, json_check
source tests/integration/lib.sh
# alive, stop_pid, dump, guest_prereqs, guest_images, guest_tools_image, guest_boot, ...
source tests/integration/guest_lib.sh

guest_script_start vhacc-guest-tcp

finish() { guest_script_finish "guest tcp"; }

guest_prereqs "guest tcp" 600 "$VHACC" || finish
guest_images || finish
guest_tools_image || finish
# The stream of address family F has seed $seed + F (guest_tools/init.sh).
declare -A expect_md5=()
for af in "${af_list[@]}"; do
	expect_md5[$af]=$("$tools_dir/vhacc-pattern" $((seed + af)) "$bytes" | md5sum | cut -d' ' -f1)
done

# Feature bits (virtio-net): name:bit
FEATURES="csum:0 guest_csum:1 guest_tso4:7 guest_tso6:8 host_tso4:11 host_tso6:12"

# features_of <log> <port>: the features vhacc logged when it last started the port's device
features_of() {
	grep -E "port $2: device started.*features 0x" "$1" | tail -n 1 | sed -n 's/.*features 0x\([0-9a-fA-F]*\).*/\1/p'
}

# check_negotiated <tag> <port> <log> <guest console> <want: name=0|1 ...>
check_negotiated() {
	local tag=$1 p=$2 log=$3 con=$4 hex bits f name bit want why= got=
	shift 4
	hex=$(features_of "$log" "$p")
	bits=$(guest_marker "$con" GUEST-NIC | sed -n 's/.*features=\([01]*\).*/\1/p')
	if [[ -z $hex || -z $bits ]]; then
		ko "$tag: $p negotiated the expected offloads" "no 'device started' line in vhacc's log or no GUEST-NIC line"
		return
	fi
	for f in "$@"; do
		name=${f%=*} want=${f#*=}
		bit=$(tr ' ' '\n' <<<"$FEATURES" | sed -n "s/^$name://p")
		got+=" $name=$(((0x$hex >> bit) & 1))"
		(( ((0x$hex >> bit) & 1) == want )) || why+=" vhacc: $name=$(((0x$hex >> bit) & 1)), want $want;"
		[[ ${bits:bit:1} == "$want" ]] || why+=" guest: $name=${bits:bit:1}, want $want;"
	done
	if [[ -z $why ]]; then
		ok "$tag: $p negotiated$got"
	else
		ko "$tag: $p negotiated the expected offloads" "features 0x$hex:$why"
	fi
}

# run_case <name> <A's virtio-net-pci properties>
run_case() {
	local name=$1 a_props=$2 tag="tcp/$1" t=$SECONDS failed_before=$fail quiet=quiet
	local log=$tmp/vhacc-$name.log con_a=$tmp/guest-$name-a.log con_b=$tmp/guest-$name-b.log
	local pid_a pid_b line j case_prefix="vhacc-guest-tcp-$$-$name"
	((verbose)) && quiet=

	# vhacc: the embedded default (vm1 <-> vm2 cross-connected, one queue
	# pair each, every offload offered); lcore 1 polls, CPU 1
	"$VHACC" --run-dir "$run" -- -l 0,1 --in-memory --no-pci --file-prefix "$case_prefix" \
		>"$log" 2>&1 </dev/null &
	be_pid=$!
	be_ready() { grep -q 'vhacc: ready' "$log" && [[ -S $run/vm1.sock && -S $run/vm2.sock ]]; }
	if ! wait_for 30 be_ready; then
		ko "$tag: vhacc listens on vm1.sock and vm2.sock" "not ready in 30 s$(alive "$be_pid" || echo ' (exited)')"
		dump "vhacc" "$log" 30
		stop_pid "$be_pid"
		be_pid=
		return 0
	fi

	# Both guests on CPU 0 (one TCG thread each), vhacc's poller alone on CPU 1.
	local cmd="console=ttyS0 $quiet panic=-1 rdinit=/vhacc-tools-init vhacc.port=$port vhacc.seed=$seed vhacc.bytes=$bytes vhacc.afs=$afs"
	guest_boot "$con_a" "$tmp/qemu-$name-a.err" "$run/vm1.sock" "$a_mac" 1 "" "$a_props" "$tools_initrd" \
		"$cmd vhacc.job=tcp-recv vhacc.ip=$a_ip/24 vhacc.ip6=$a_ip6/64 vhacc.peer=$b_ip vhacc.peer6=$b_ip6"
	pid_a=$guest_pid
	guest_boot "$con_b" "$tmp/qemu-$name-b.err" "$run/vm2.sock" "$b_mac" 1 "" "" "$tools_initrd" \
		"$cmd vhacc.job=tcp-send vhacc.ip=$b_ip/24 vhacc.ip6=$b_ip6/64 vhacc.peer=$a_ip vhacc.peer6=$a_ip6"
	pid_b=$guest_pid
	both_done() {
		{ grep -q GUEST-DONE "$con_a" || ! alive "$pid_a"; } && { grep -q GUEST-DONE "$con_b" || ! alive "$pid_b"; }
	}
	wait_for "$CASE_DEADLINE" both_done
	guest_wait_done "$con_a" "$pid_a" 5
	guest_wait_done "$con_b" "$pid_b" 5
	local secs=$((SECONDS - t))

	if grep -q GUEST-NIC: "$con_a" && grep -q GUEST-NIC: "$con_b"; then
		ok "$tag: both guests booted and probed virtio-net"
	else
		ko "$tag: both guests booted and probed virtio-net" "A: $(grep -m1 -E 'GUEST-NIC|GUEST-ERROR' "$con_a" | tr -d '\r'), B: $(grep -m1 -E 'GUEST-NIC|GUEST-ERROR' "$con_b" | tr -d '\r')"
	fi
	if [[ $name == offload ]]; then
		check_negotiated "$tag" vm1 "$log" "$con_a" csum=1 guest_csum=1 host_tso4=1 host_tso6=1 guest_tso4=1 guest_tso6=1
	else
		check_negotiated "$tag" vm1 "$log" "$con_a" csum=1 guest_csum=0 host_tso4=1 host_tso6=1 guest_tso4=0 guest_tso6=0
	fi
	check_negotiated "$tag" vm2 "$log" "$con_b" csum=1 guest_csum=1 host_tso4=1 host_tso6=1 guest_tso4=1 guest_tso6=1

	local af send recv rbytes rmd5
	for af in "${af_list[@]}"; do
		send=$(guest_marker "$con_b" GUEST-TCP-SEND "af=$af ")
		recv=$(guest_marker "$con_a" GUEST-TCP-RECV "af=$af ")
		rbytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$recv")
		rmd5=$(sed -n 's/.*md5=\([0-9a-f]*\).*/\1/p' <<<"$recv")
		if [[ $send == "af=$af rc=0 "* ]]; then
			ok "$tag: B sent $bytes bytes over IPv$af ($send)"
		else
			ko "$tag: B sent $bytes bytes over IPv$af" "${send:-no GUEST-TCP-SEND line}; $(guest_marker "$con_b" GUEST-ERROR)"
		fi
		if [[ $recv == "af=$af rc=0 "* && $rbytes == "$bytes" && $rmd5 == "${expect_md5[$af]}" ]]; then
			ok "$tag: A received all $bytes bytes intact over IPv$af (md5 $rmd5, ${recv##*secs=} s)"
		else
			ko "$tag: A received all $bytes bytes intact over IPv$af (md5 ${expect_md5[$af]})" \
				"${recv:-no GUEST-TCP-RECV line}; $(guest_marker "$con_a" GUEST-TCP-CMP "af=$af ")"
		fi
	done
	line=$(guest_marker "$con_a" GUEST-TCPSTAT)
	if [[ $line == *" InCsumErrors=0"* || $line == "InCsumErrors=0"* ]]; then
		ok "$tag: A's TCP saw no checksum error ($line)"
	else
		ko "$tag: A's TCP saw no checksum error" "${line:-no GUEST-TCPSTAT line}"
	fi

	# vhacc's counters (they outlive the connections); one python for all checks
	local j1 j2 kind line
	j1=$(gtel "$case_prefix" /vhacc/port/stats,vm1)
	j2=$(gtel "$case_prefix" /vhacc/port/stats,vm2)
	while IFS=$'\t' read -r kind line why; do
		case $kind in
		OK) ok "$tag: $line" ;;
		KO) ko "$tag: $line" "$why" ;;
		*) echo "     $line" ;;
		esac
	done < <("$GUEST_PY" - "$j1" "$j2" "$name" "$bytes" "${#af_list[@]}" <<'PY' 2>&1
import json, sys
try:
    v1 = json.loads(sys.argv[1])['/vhacc/port/stats']
    v2 = json.loads(sys.argv[2])['/vhacc/port/stats']
except Exception as e:
    print("KO\tvhacc's counters over telemetry\t%r" % e)
    sys.exit(0)
case, nbytes, transfers = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
total = nbytes * transfers
def avg(q): return q['bytes'] / max(q['packets'], 1)
def check(name, cond, why):
    print('OK\t%s' % name if cond else 'KO\t%s\t%s' % (name, why))
b_tx, a_rx = v2['txq0'], v1['rxq0']
print('INFO\tvm2 txq0 (from B): %d frames, %d bytes, %.0f bytes/frame; vm1 rxq0 (to A): %d frames, %d bytes, %.0f bytes/frame'
      % (b_tx['packets'], b_tx['bytes'], avg(b_tx), a_rx['packets'], a_rx['bytes'], avg(a_rx)))
# No frame without GSO is over 1514 bytes (MTU 1500): an average above it
# needs GSO frames.
check("B's TSO frames went through vhacc (vm2 txq0: average frame > 1514 bytes)",
      b_tx['bytes'] >= total and avg(b_tx) > 1514, b_tx)
if case == 'offload':
    check('vhacc handed A whole TSO frames (vm1 rxq0: average frame > 1514 bytes)',
          a_rx['bytes'] >= total and avg(a_rx) > 1514, a_rx)
else:
    # (an MSS is at most 1448 bytes: 1500 - 20 - 20 - 12 of timestamps over IPv4)
    check('vhacc segmented them for A (vm1 rxq0: >= %d frames, average <= 1514 bytes)' % (total // 1448),
          a_rx['bytes'] >= total and a_rx['packets'] >= total // 1448 and avg(a_rx) <= 1514, a_rx)
bad = ['%s.%s.%s=%d' % (p, q, k, c[k]) for p, v in (('vm1', v1), ('vm2', v2)) for q, c in sorted(v.items())
       if q[:3] in ('rxq', 'txq') for k in ('drop_bad_hdr', 'drop_over_mtu', 'drop_too_big', 'broken') if c[k]]
check('no drop_bad_hdr, drop_over_mtu, drop_too_big or broken ring on either port', not bad, ' '.join(bad))
# Reported, not asserted: frames a guest sends while the other one is not up
# yet (drop_peer_down), or while its RX ring stays full longer than vhacc
# holds frames (100 ms, a descheduled TCG guest); TCP resends those.
for name, v in (('vm1', v1), ('vm2', v2)):
    qp, rx, tx = v['qp0'], v['rxq0'], v['txq0']
    print('INFO\t%s: drop_peer_down=%d drop_dest_full=%d rx_no_buffers=%d no_mbuf(rx/tx)=%d/%d one_copy=%s'
          % (name, qp['drop_peer_down'], qp['drop_dest_full'], rx['rx_no_buffers'], rx['no_mbuf'],
             tx['no_mbuf'], qp.get('one_copy', '-')))
PY
	)
	echo "     A: $(guest_marker "$con_a" GUEST-TCPSTAT)"
	echo "     B: $(guest_marker "$con_b" GUEST-TCPSTAT)"
	echo "     $tag took $secs s"

	stop_pid "$be_pid"
	be_pid=
	if ((verbose || fail > failed_before)); then
		dump "guest A console ($name)" "$con_a" 30
		dump "guest B console ($name)" "$con_b" 30
		dump "qemu A stderr" "$tmp/qemu-$name-a.err" 5
		dump "qemu B stderr" "$tmp/qemu-$name-b.err" 5
		dump "vhacc ($name)" "$log" 30
	fi
}

IFS=, read -ra case_list <<<"$cases"
for c in "${case_list[@]}"; do
	case $c in
	offload) run_case offload "" ;;
	nooffload) run_case nooffload "guest_csum=off,guest_tso4=off,guest_tso6=off" ;;
	*) ko "case $c" "unknown case (known: offload, nooffload)" ;;
	esac
done
finish
