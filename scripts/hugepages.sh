#!/usr/bin/env bash
# Reserve 2 MB hugepages and mount hugetlbfs; idempotent, says what it did.
#   VHACC_HUGEPAGES=N   pages wanted (default 2048 = 4 GiB: vhacc plus the
#                       testpmd peers of the tests and of scripts/bench)
set -euo pipefail
want=${VHACC_HUGEPAGES:-2048}
nr=/proc/sys/vm/nr_hugepages
have=$(cat "$nr")
if ((have >= want)); then
	echo "hugepages: $have x 2 MB already reserved"
else
	if [[ $(id -u) -ne 0 ]]; then
		echo "hugepages: need root to reserve $want pages (have $have)" >&2
		exit 1
	fi
	echo "$want" >"$nr"
	have=$(cat "$nr")
	if ((have < want)); then
		echo "hugepages: asked for $want x 2 MB, the kernel gave $have" >&2
		((have > 0)) || exit 1
	fi
	echo "hugepages: reserved $have x 2 MB (was less than $want)"
fi
if grep -qs ' hugetlbfs ' /proc/mounts; then
	echo "hugepages: hugetlbfs mounted at $(awk '$3 == "hugetlbfs" {print $2; exit}' /proc/mounts)"
else
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
	echo "hugepages: mounted hugetlbfs at /dev/hugepages"
fi
