#!/bin/sh
# rdinit of the test guests that do more than tests/guest/init's pings: the
# mqlive case of test_guest_ping.sh and the two guests of test_guest_tcp.sh.
# tests/integration/guest_lib.sh appends it (as /vhacc-tools-init) with the
# static tools vhacc-channels and vhacc-pattern to the initramfs of
# tests/guest/build-initramfs.sh, whose busybox and modules it uses; QEMU boots
# with "rdinit=/vhacc-tools-init".
#
# Kernel command line (vhacc.ip, .peer, .peer_mac, .size, .interval as in
# tests/guest/init):
#   vhacc.job=mqlive     vhacc.flows=N ping flows, the i-th pinned to vCPU i
#                        (with XPS, one per TX queue), running until the host
#                        writes "stop" to the console (QEMU's stdin); meanwhile
#                        "channels N" lines set the channel count (ethtool -L
#                        combined N). Per flow it reports the replies missing
#                        below the highest sequence answered (losses, not the
#                        request still in flight when the flows are stopped).
#   vhacc.job=tcp-recv   nc -l -p vhacc.port, once per address family in
#                        vhacc.afs (4,6: one transfer over IPv4, then one
#                        over IPv6); md5sum and size of what arrived
#   vhacc.job=tcp-send   per family, vhacc.bytes bytes of vhacc-pattern
#                        (seed vhacc.seed + family) to vhacc.peer (IPv4) or
#                        vhacc.peer6 (IPv6), port vhacc.port, sent by
#                        vhacc-pattern itself in 64 KiB writes (retried
#                        while refused)
#   vhacc.job=seq        vhacc-seq: vhacc.count frames of vhacc.size bytes at
#                        vhacc.pps per second to vhacc.peer_mac (a macswap
#                        peer sends them back), each checked on return;
#                        ends vhacc.quiet seconds after the last reply
#   vhacc.ip6=ADDR/LEN   an IPv6 address as well (no duplicate address detection)
#   vhacc.xfer_secs=60   a transfer that has not ended after this is cut
#                        (busybox timeout; the receiver waits twice as long,
#                        connection included), so both guests still report
#
# Console markers (one line each): GUEST-BOOT, GUEST-MODULES, GUEST-NIC,
# GUEST-QUEUES, GUEST-LINK as in tests/guest/init, then
#   mqlive:   GUEST-MQLIVE: flows=N started
#             GUEST-CHANNELS: set=N rc=R max_combined=M combined=C rx=K tx=K
#             GUEST-FLOW: flow=I sent=S received=R last_seq=L missing=M
#   tcp-recv: GUEST-TCP-LISTEN: af=F port=P
#             GUEST-TCP-RECV: af=F rc=R bytes=B md5=HEX secs=S
#             GUEST-TCP-CMP: af=F same | GUEST-TCP-CMP: af=F <cmp's first difference>
#   tcp-send: GUEST-TCP-SEND: af=F rc=R bytes=B tries=T secs=S
#   seq:      GUEST-SEQ: started ... / GUEST-SEQ: sent=.. received=.. lost=..
#             (tests/integration/guest_tools/seq.c)
#   both:     GUEST-TCPSTAT: InSegs=.. OutSegs=.. RetransSegs=.. InErrs=.. InCsumErrors=..
#   GUEST-STATS, GUEST-ERROR: <reason>, GUEST-DONE
# shellcheck disable=SC3043 # busybox ash has local
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mount -t tmpfs tmpfs /dev
# Every busybox applet (nc, md5sum, taskset, stty, cmp, ...) as a command.
/bin/busybox --install -s /bin 2>/dev/null

say() { echo "$*" >/dev/console; }

finish() {
	say "GUEST-DONE"
	sync
	poweroff -f
	sleep 5
	exit 1
}

ip_cidr=10.211.0.2/24
peer=10.211.0.1
peer_mac=
size=56
interval=0.2
job=
flows=1
port=5001
seed=1
bytes=4194304
ip6=
peer6=
afs=4
xfer_secs=60
count=10000
pps=1000
quiet=5
for arg in $(cat /proc/cmdline); do
	case $arg in
	vhacc.ip=*) ip_cidr=${arg#*=} ;;
	vhacc.peer=*) peer=${arg#*=} ;;
	vhacc.peer_mac=*) peer_mac=${arg#*=} ;;
	vhacc.size=*) size=${arg#*=} ;;
	vhacc.interval=*) interval=${arg#*=} ;;
	vhacc.job=*) job=${arg#*=} ;;
	vhacc.flows=*) flows=${arg#*=} ;;
	vhacc.port=*) port=${arg#*=} ;;
	vhacc.seed=*) seed=${arg#*=} ;;
	vhacc.bytes=*) bytes=${arg#*=} ;;
	vhacc.ip6=*) ip6=${arg#*=} ;;
	vhacc.peer6=*) peer6=${arg#*=} ;;
	vhacc.afs=*) afs=$(echo "${arg#*=}" | tr , ' ') ;;
	vhacc.xfer_secs=*) xfer_secs=${arg#*=} ;;
	vhacc.count=*) count=${arg#*=} ;;
	vhacc.pps=*) pps=${arg#*=} ;;
	vhacc.quiet=*) quiet=${arg#*=} ;;
	esac
done

say "GUEST-BOOT: kernel=$(uname -r)"
for m in $(cat /lib/modules/load-order); do
	if ! insmod "/lib/modules/$m" 2>/dev/console; then
		if ! grep -q "^${m%.ko} " /proc/modules; then
			say "GUEST-MODULES: failed $m"
			finish
		fi
	fi
done
say "GUEST-MODULES: ok"

ifname=
i=0
while [ $i -lt 100 ]; do
	for d in /sys/class/net/*; do
		n=${d##*/}
		[ "$n" = lo ] && continue
		ifname=$n
		break
	done
	[ -n "$ifname" ] && break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$ifname" ]; then
	say "GUEST-ERROR: no network interface appeared (virtio-net probe failed?)"
	finish
fi
queues() { echo "rx=$(ls -d /sys/class/net/$ifname/queues/rx-* | wc -l) tx=$(ls -d /sys/class/net/$ifname/queues/tx-* | wc -l)"; }
say "GUEST-NIC: $ifname mac=$(cat /sys/class/net/$ifname/address) features=$(cat /sys/class/net/$ifname/device/features 2>/dev/null)"
say "GUEST-QUEUES: $(queues)"

ip link set lo up
# No duplicate address detection: the IPv6 address is usable at once.
[ -n "$ip6" ] && echo 0 >/proc/sys/net/ipv6/conf/$ifname/accept_dad
ip link set "$ifname" up
ip addr add "$ip_cidr" dev "$ifname"
[ -n "$ip6" ] && ip -6 addr add "$ip6" dev "$ifname"
# A permanent neighbour entry (busybox ip has no "neigh replace"; arp -s does it).
if [ -n "$peer_mac" ] && ! arp -i "$ifname" -s "$peer" "$peer_mac" 2>/dev/console; then
	say "GUEST-ERROR: arp -s $peer $peer_mac failed"
fi
i=0
while [ "$(cat /sys/class/net/$ifname/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$(cat /sys/class/net/$ifname/carrier 2>/dev/null)" = 1 ]; then
	say "GUEST-LINK: up"
else
	say "GUEST-LINK: down"
fi

uptime_cs() { # centiseconds since boot
	local u
	u=$(cut -d' ' -f1 /proc/uptime)
	echo $((${u%.*} * 100 + 1${u#*.} - 100))
}

tcpstat() {
	awk '/^Tcp:/ {
		if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1; next }
		for (i = 1; i <= NF; i++)
			if (k[i] ~ /^(InSegs|OutSegs|RetransSegs|InErrs|InCsumErrors)$/) s = s " " k[i] "=" $i
	} END { print "GUEST-TCPSTAT:" s }' /proc/net/snmp >/dev/console
}

job_mqlive() {
	local i pids="" out rc cmd arg
	i=0
	while [ $i -lt "$flows" ]; do
		# No -c: the flows run until "stop" (-w: a bound should the host vanish).
		taskset -c $i ping -s "$size" -i "$interval" -W 2 -w 900 "$peer" >/tmp/ping.$i 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	# Commands come on the console (QEMU's stdin). Keep the tty open from
	# before saying so until the end: its input is flushed when it is opened.
	exec 3</dev/ttyS0
	stty -echo <&3 2>/dev/null
	say "GUEST-MQLIVE: flows=$flows started"
	while read -r cmd arg <&3; do
		case $cmd in
		channels)
			out=$(vhacc-channels "$ifname" "$arg" 2>&1)
			rc=$?
			say "GUEST-CHANNELS: set=$arg rc=$rc $out $(queues)"
			;;
		stop) break ;;
		"") ;;
		*) say "GUEST-ERROR: unknown command '$cmd'" ;;
		esac
	done
	exec 3<&-
	# SIGINT: busybox ping prints its statistics and exits.
	kill -INT $pids
	wait
	i=0
	while [ $i -lt "$flows" ]; do
		awk -v flow=$i '
			/ bytes from / {
				for (f = 1; f <= NF; f++)
					if ($f ~ /^seq=/) {
						s = substr($f, 5) + 0
						if (!(s in seen)) { seen[s] = 1; n++; if (s > max) max = s }
					}
			}
			/ packets transmitted/ { tx = $1 }
			END {
				if (n == 0) max = -1
				printf "GUEST-FLOW: flow=%d sent=%d received=%d last_seq=%d missing=%d\n",
					flow, tx, n, max, max + 1 - n
			}' /tmp/ping.$i >/dev/console
		i=$((i + 1))
	done
}

job_tcp_recv() {
	local af t0 t1 rc got
	mkfifo /tmp/nc.in
	for af in $afs; do
		say "GUEST-TCP-LISTEN: af=$af port=$port"
		t0=$(uptime_cs)
		# stdin that never ends: on EOF busybox nc would shut its sending
		# half down, and the sender's nc would stop at that. One listener
		# takes IPv4 and IPv6.
		timeout $((2 * xfer_secs)) nc -l -p "$port" <>/tmp/nc.in >/tmp/data
		rc=$?
		t1=$(uptime_cs)
		got=$(wc -c </tmp/data)
		say "GUEST-TCP-RECV: af=$af rc=$rc bytes=$got md5=$(md5sum </tmp/data | cut -d' ' -f1) secs=$(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10))"
		# Where it went wrong, if it did (the host compares the digest).
		if vhacc-pattern $((seed + af)) "$bytes" | cmp - /tmp/data >/tmp/cmp 2>&1; then
			say "GUEST-TCP-CMP: af=$af same"
		else
			say "GUEST-TCP-CMP: af=$af $(head -n 1 /tmp/cmp)"
		fi
		rm -f /tmp/data
	done
	tcpstat
}

job_tcp_send() {
	local af dst i t0 t1 rc tries
	for af in $afs; do
		dst=$peer
		[ "$af" = 6 ] && dst=$peer6
		# The receiver is up once it answers a ping (its address is configured).
		i=0
		until ping -"$af" -c 1 -W 1 "$dst" >/dev/null 2>&1; do
			i=$((i + 1))
			if [ $i -ge 120 ]; then
				say "GUEST-ERROR: no ping reply from $dst"
				return
			fi
		done
		# vhacc-pattern sends in 64 KiB writes itself (whole TSO frames
		# even on a slow guest CPU). It fails at once (status 1) while the
		# receiver does not listen (yet, or again): retry. Anything else
		# (timeout: 143) is final.
		tries=0
		while :; do
			tries=$((tries + 1))
			t0=$(uptime_cs)
			timeout "$xfer_secs" vhacc-pattern $((seed + af)) "$bytes" "$dst" "$port" 2>/tmp/nc.err
			rc=$?
			t1=$(uptime_cs)
			[ $rc = 1 ] && [ $tries -lt 120 ] || break
			sleep 0.5
		done
		[ $rc = 0 ] || say "GUEST-ERROR: vhacc-pattern $dst $port: $(head -n 1 /tmp/nc.err)"
		say "GUEST-TCP-SEND: af=$af rc=$rc bytes=$bytes tries=$tries secs=$(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10))"
	done
	tcpstat
}

job_seq() {
	if [ -z "$peer_mac" ]; then
		say "GUEST-ERROR: vhacc.job=seq needs vhacc.peer_mac"
		return
	fi
	vhacc-seq "$ifname" "$peer_mac" "$count" "$pps" "$size" "$quiet" >/dev/console 2>&1 ||
		say "GUEST-ERROR: vhacc-seq failed ($?)"
}

case $job in
mqlive) job_mqlive ;;
seq) job_seq ;;
tcp-recv) job_tcp_recv ;;
tcp-send) job_tcp_send ;;
*) say "GUEST-ERROR: unknown vhacc.job '$job'" ;;
esac

s=/sys/class/net/$ifname/statistics
say "GUEST-STATS: rx_packets=$(cat $s/rx_packets) tx_packets=$(cat $s/tx_packets) rx_dropped=$(cat $s/rx_dropped) tx_dropped=$(cat $s/tx_dropped) rx_errors=$(cat $s/rx_errors)"
finish
