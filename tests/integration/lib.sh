# Shared helpers for the bash integration tests (sourced).
# Each test prints "PASS: <name>" / "FAIL: <name>: <why>" lines.
pass=0 fail=0

ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; fail=$((fail + 1)); }
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
