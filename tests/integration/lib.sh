# Shared helpers for the bash integration tests (sourced).
# Each test prints "PASS: <name>" / "FAIL: <name>: <why>" lines.
pass=0 fail=0

ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1${2:+: $2}"; fail=$((fail + 1)); } # name [reason]
check() { # name, command...
	local name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}

# wait_for <seconds> <command...>: poll a condition with a deadline.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS >= end)) && return 1
		sleep 0.1
	done
}

tel() { # file-prefix, command -> the JSON answer on stdout
	echo "$2" | timeout 10 dpdk-telemetry.py -f "$1" 2>/dev/null | tail -n 1
}

# jq-like check with python: json_check <name> <json> <python asserting on d>
json_check() {
	local name=$1 json=$2 code=$3
	check "$name" python3 -c "
import json, sys
d = json.loads(sys.argv[1])
d = d[next(iter(d))]
$code" "$json"
}

# ---- processes and vhacc counters; the caller sets $prefix (vhacc's
# --file-prefix) and $tmp (a scratch directory) ------------------------------
pids=()

kill_pids() { # kill every process started through this library, by PID
	local p
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	pids=()
}

# flowgen <name> <EAL vdev args...>: a testpmd frontend in flowgen mode in the
# background (receives and sends on every port); log $tmp/<name>.log, PID in $last_pid.
flowgen() {
	local name=$1
	shift
	dpdk-testpmd -l 0,1 --no-pci --in-memory --single-file-segments \
		--file-prefix "$prefix-$name" "$@" -- --forward-mode=flowgen --nb-cores=1 \
		--total-num-mbufs=8192 --stats-period=1 >>"$tmp/$name.log" 2>&1 &
	last_pid=$!
	pids+=($last_pid)
}

info_of() { # port, key -> value from /vhacc/port/info (-1 if unavailable)
	tel "$prefix" "/vhacc/port/info,$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["/vhacc/port/info"][sys.argv[1]])' "$2" 2>/dev/null || echo -1
}

stat_of() { # port, queue, counter -> value from /vhacc/port/stats (-1 if unavailable)
	tel "$prefix" "/vhacc/port/stats,$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["/vhacc/port/stats"][sys.argv[1]][sys.argv[2]])' "$2" "$3" \
		2>/dev/null || echo -1
}

grows() { # port, queue, counter, floor: is the counter above floor?
	local v
	v=$(stat_of "$1" "$2" "$3")
	((v > $4))
}
