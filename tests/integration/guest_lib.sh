# shellcheck shell=bash
# Shared code of the QEMU guest tests (sourced by test_guest_ping.sh and
# test_guest_tcp.sh, after tests/integration/lib.sh; run from the repository
# root). See doc/testing-guest.md.
#
# The caller calls guest_script_start (a scratch directory $tmp, and an EXIT
# trap that stops every QEMU started by guest_boot, the peer and the backend
# by PID, whatever way the script exits) and ends with guest_script_finish.
#
# Environment: QEMU (default qemu-system-x86_64), QEMU_EXTRA (more QEMU
# arguments), TESTPMD (default dpdk-testpmd), CC (for the guest tools, default
# gcc), VHACC_GUEST_PVH=0 (boot the bzImage, see build-initramfs.sh).

QEMU=${QEMU:-qemu-system-x86_64}
TESTPMD=${TESTPMD:-dpdk-testpmd}
guest_pids=() # every QEMU started by guest_boot

# A python3 that starts fast: a pyenv shim first in PATH takes 1-2 s per
# start on a loaded machine, the system's 0.1 s; the helpers need only the
# standard library.
GUEST_PY=${GUEST_PY:-/usr/bin/python3}
[[ -x $GUEST_PY ]] || GUEST_PY=python3
# gtel <file-prefix> <command>: lib.sh's tel, through $GUEST_PY
gtel() {
	local client
	client=$(command -v dpdk-telemetry.py) || return 1
	echo "$2" | timeout 10 "$GUEST_PY" "$client" -f "$1" 2>/dev/null | tail -n 1
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_pid() { # pid: SIGTERM, up to 5 s, then SIGKILL; reaps it
	local p=$1 end=$((SECONDS + 5))
	[[ -n $p ]] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# guest_script_start <name>: the scratch directory $tmp (/tmp/<name>.XXXXXX,
# with $run in it) and the traps: on exit every guest, the peer ($peer_pid)
# and the backend ($be_pid) are stopped by PID and $tmp is removed (kept
# when the script set keep=1).
guest_script_start() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	run=$tmp/run
	mkdir -p "$run"
	be_pid= peer_pid=
	trap guest_script_cleanup EXIT
	trap 'exit 130' INT TERM
}

guest_script_cleanup() {
	guest_cleanup
	stop_pid "${peer_pid:-}"
	stop_pid "${be_pid:-}"
	if ((${keep:-0})); then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}

# guest_script_finish <title>: the summary line, then exit 0 iff nothing failed
guest_script_finish() {
	echo "$1: $pass passed, $fail failed in $((SECONDS - T0)) s"
	((fail == 0))
	exit $?
}

guest_cleanup() { # stop every guest this script started
	local p
	for p in "${guest_pids[@]}"; do stop_pid "$p"; done
	guest_pids=()
}

dump() { # title, file, lines
	echo "---- $1 (last ${3:-30} lines of $2) ----"
	[[ -f $2 ]] && tail -n "${3:-30}" "$2" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
	echo "----"
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

# guest_prereqs <test name> <MiB of hugepages> [needs vhacc binary path]:
# QEMU, testpmd (for the telemetry client and peers), cpio, a C compiler for
# the static guest tools, free hugepages. Prints a FAIL and returns 1 if
# something is missing.
guest_prereqs() {
	local name=$1 mib=$2 bin=${3:-} missing=() free_hp
	command -v "$QEMU" >/dev/null || missing+=("$QEMU (qemu-system-x86)")
	command -v "$TESTPMD" >/dev/null || missing+=("$TESTPMD (dpdk)")
	command -v cpio >/dev/null || missing+=("cpio")
	command -v "${CC:-gcc}" >/dev/null || missing+=("${CC:-gcc}")
	[[ -n $bin && ! -x $bin ]] && missing+=("$bin (build it: scripts/setup)")
	if ((${#missing[@]})); then
		ko "$name prerequisites" "missing ${missing[*]}; run scripts/setup --tests"
		return 1
	fi
	free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if ((free_hp * 2 < mib)); then
		ko "$name prerequisites" "only $((free_hp * 2)) MiB of free 2 MiB hugepages, need $mib (scripts/hugepages.sh)"
		return 1
	fi
}

# guest_images: the kernel and initramfs of tests/guest/build-initramfs.sh,
# in $kernel and $initrd. Prints PASS or FAIL; returns 1 on failure.
guest_images() {
	kernel=$(tests/guest/build-initramfs.sh --kernel 2>"$tmp/initramfs.err")
	initrd=$(tests/guest/build-initramfs.sh 2>>"$tmp/initramfs.err")
	if [[ -z $kernel || ! -f $initrd ]]; then
		ko "guest initramfs builds" "$(tail -n 3 "$tmp/initramfs.err")"
		return 1
	fi
	ok "guest initramfs builds ($(basename "$(dirname "$initrd")"))"
}

# guest_tools_image: $initrd with tests/integration/guest_tools appended as a
# second cpio archive (the kernel unpacks concatenated archives in order):
# /vhacc-tools-init (guest_tools/init.sh, boot it with rdinit=/vhacc-tools-init)
# and /bin/vhacc-channels, /bin/vhacc-pattern, /bin/vhacc-seq (static, built here). Cached
# next to $initrd in tools-<key>/, the key a hash of $initrd, the tool sources
# and the compiler; built in a scratch directory and renamed into place, so a
# test running at the same time never sees half an image. Sets
# $tools_initrd and $tools_dir (the host build of the tools: the host runs
# vhacc-pattern for the expected digest). Prints PASS or FAIL; returns 1 on
# failure.
guest_tools_image() {
	local src=tests/integration/guest_tools base key out stage t cc=${CC:-gcc}
	base=$(dirname "$initrd")
	key=$({
		sha256sum "$initrd" "$src"/*.c "$src"/init.sh
		"$cc" --version | head -n 1
	} | sha256sum | cut -c1-16)
	out=$base/tools-$key
	tools_dir=$out/bin
	tools_initrd=$out/initramfs-tools.cpio.gz
	if [[ -f $tools_initrd ]]; then
		ok "guest tools image (cached)"
		return 0
	fi
	stage=$(mktemp -d "$base/tools-build.XXXXXX") && chmod 755 "$stage" || return 1
	mkdir -p "$stage/bin" "$stage/root/bin"
	for t in channels pattern seq; do
		if ! "$cc" -static -Os -s -Wall -Wextra -Werror -o "$stage/bin/vhacc-$t" "$src/$t.c" 2>"$tmp/tools.err"; then
			ko "guest tools build (static $t)" "$(head -n 5 "$tmp/tools.err"); static glibc: apt-get install libc6-dev"
			rm -rf "$stage"
			return 1
		fi
	done
	cp "$stage"/bin/vhacc-* "$stage/root/bin/"
	install -m 0755 "$src/init.sh" "$stage/root/vhacc-tools-init"
	if ! (cd "$stage/root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$stage/tools.cpio.gz" ||
		! cat "$initrd" "$stage/tools.cpio.gz" >"$stage/initramfs-tools.cpio.gz"; then
		ko "guest tools image" "cpio, gzip or cat failed"
		rm -rf "$stage"
		return 1
	fi
	rm -rf "$stage/root"
	# Another test may have built the same image meanwhile: keep either.
	mv -T "$stage" "$out" 2>/dev/null || rm -rf "$stage"
	# Images of older sources or kernels' initramfs (a day old: not in use)
	find "$base" -maxdepth 1 -name 'tools-*' ! -name "tools-$key" -mmin +1440 -exec rm -rf {} + 2>/dev/null
	ok "guest tools image (vhacc-channels, vhacc-pattern, vhacc-seq, vhacc-tools-init built)"
}

# guest_boot <console log> <qemu stderr> <socket> <mac> <vCPUs> <netdev opts>
#            <virtio-net-pci props> <initrd> <kernel command line> [stdin]
# Boots a TCG guest in the background on one vhost-user socket with the
# memory shared (memfd), QEMU pinned to ${GUEST_CPU:-0}. The console (ttyS0)
# goes to <console log> with time stamps; its input is <stdin> (a FIFO the
# caller writes commands to; default /dev/null). The PID is in $guest_pid
# and in guest_pids (stopped by guest_cleanup). $GUEST_CHARDEV_OPTS is
# appended to the chardev's options (",reconnect=1": QEMU reconnects to a
# backend that went away).
guest_boot() {
	local con=$1 err=$2 sock=$3 mac=$4 smp=$5 netq=$6 props=$7 rd=$8 append=$9 in=${10:-/dev/null}
	: >"$con"
	# shellcheck disable=SC2086 # QEMU_EXTRA is a list of arguments
	taskset -c "${GUEST_CPU:-0}" "$QEMU" -accel tcg,thread=single -nodefaults -display none -no-reboot \
		-m 256M -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-smp "$smp" -serial stdio -monitor none ${QEMU_EXTRA:-} \
		-kernel "$kernel" -initrd "$rd" -append "$append" \
		-chardev "socket,id=c0,path=$sock${GUEST_CHARDEV_OPTS:-}" \
		-netdev "vhost-user,id=n0,chardev=c0$netq" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,vectors=0${props:+,$props}" \
		2>"$err" <>"$in" > >(stamp "$con") &
	guest_pid=$!
	guest_pids+=("$guest_pid")
}

# console_send <fifo> <line>: one line to a guest's console input (the FIFO
# given to guest_boot). Bounded: fails if nothing reads the FIFO in 10 s.
console_send() {
	timeout 10 bash -c 'echo "$2" >"$1"' _ "$1" "$2"
}

# guest_wait_done <console log> <pid> <seconds>: wait for GUEST-DONE (or QEMU
# exiting), let it power off, then make sure it is gone. Returns 1 if
# GUEST-DONE did not come in time.
guest_wait_done() {
	local con=$1 pid=$2 secs=$3 rc=0
	guest_done() { grep -q 'GUEST-DONE' "$con" || ! alive "$pid"; }
	wait_for "$secs" guest_done || rc=1
	grep -q 'GUEST-DONE' "$con" || rc=1
	# It powers itself off after GUEST-DONE; give it a moment, then make sure.
	wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"
	stop_pid "$pid"
	return $rc
}

# guest_marker <console log> <MARKER> [<start>]: the first "MARKER: <start>..."
# line, from <start> on (without its time stamp and carriage return; empty if none)
guest_marker() {
	grep -m1 -F "$2: ${3:-}" "$1" | tr -d '\r' | sed "s/^.*$2: *//"
}
