#!/usr/bin/env bash
# Build the guest initramfs for tests/integration/test_guest_ping.sh from
# installed Debian packages only: busybox-static, and the virtio-net modules of
# the installed linux-image-amd64 kernel (with their dependencies from
# modules.dep). The result is cached under build/guest/<kernel version>/ and
# rebuilt only when the kernel, busybox, tests/guest/init or this script change.
#
#   tests/guest/build-initramfs.sh            build if needed, print the initramfs path
#   tests/guest/build-initramfs.sh --kernel   print the kernel image to boot: an
#                                             extracted vmlinux (PVH) or the bzImage
#
# Environment: VHACC_GUEST_KVER (kernel version, default: newest in /lib/modules
# that has /boot/vmlinuz-<ver> and virtio_net), VHACC_GUEST_OUT (cache directory,
# default build/guest). Messages go to stderr; stdout carries only the path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

die() {
	echo "build-initramfs: $*" >&2
	exit 1
}

# -- the kernel -------------------------------------------------------------
kver=${VHACC_GUEST_KVER:-}
if [[ -z $kver ]]; then
	for d in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
		if [[ -r /boot/vmlinuz-$d ]] && grep -q '/virtio_net\.ko' "/lib/modules/$d/modules.dep" 2>/dev/null; then
			kver=$d
			break
		fi
	done
fi
[[ -n $kver ]] || die "no kernel with /boot/vmlinuz-<ver> and virtio_net in /lib/modules (apt-get install linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[[ -r $kernel ]] || die "$kernel missing or unreadable"
[[ -r $moddir/modules.dep ]] || die "$moddir/modules.dep missing"

out=${VHACC_GUEST_OUT:-$root/build/guest}/$kver

# --kernel: the image QEMU should boot. Decompressing a bzImage under TCG takes
# 4 s on an idle core and half a minute on a busy one, so when the kernel has
# PVH entry (CONFIG_PVH) the payload is extracted once to an ELF vmlinux, which
# QEMU's -kernel boots directly. VHACC_GUEST_PVH=0 keeps the bzImage.
extract_vmlinux() {
	local magic tool off
	[[ ${VHACC_GUEST_PVH:-1} == 1 ]] || return 1
	grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null || return 1
	if [[ -f $out/vmlinux && $(cat "$out/vmlinux.key" 2>/dev/null) == "$(stat -c '%s %Y' "$kernel")" ]]; then
		return 0
	fi
	mkdir -p "$out"
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$kernel" | head -n 3 | cut -d: -f1); do
			tail -c +$((off + 1)) "$kernel" | "$tool" -dc 2>/dev/null >"$out/vmlinux.tmp"
			if [[ $(head -c 4 "$out/vmlinux.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
				mv "$out/vmlinux.tmp" "$out/vmlinux"
				stat -c '%s %Y' "$kernel" >"$out/vmlinux.key"
				return 0
			fi
		done
	done
	rm -f "$out/vmlinux.tmp"
	return 1
}
if [[ ${1:-} == --kernel ]]; then
	if extract_vmlinux; then
		echo "$out/vmlinux"
	else
		echo "$kernel"
	fi
	exit 0
fi

busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (apt-get install busybox-static)"
# The guest has no libraries: the binary must be static.
if ldd "$busybox" >/dev/null 2>&1; then
	[[ -x /bin/busybox-static ]] && busybox=/bin/busybox-static
	ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked (apt-get install busybox-static)"
fi
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"

# -- cache key ----------------------------------------------------------------
img=$out/initramfs.cpio.gz
key=$( {
	echo "$kver"
	stat -c '%s %Y' "$kernel" "$moddir/modules.dep" "$busybox"
	sha256sum "$here/init" "$here/build-initramfs.sh"
} | sha256sum | cut -d' ' -f1)
if [[ -f $img && -f $out/key && $(cat "$out/key") == "$key" ]]; then
	echo "$img"
	exit 0
fi

# -- modules: virtio_pci and virtio_net with their dependencies, load order ----
# modules.dep lines are "path: dep1 dep2 ...". A depth-first walk that lists a
# module after all of its dependencies gives an insmod order (load-order).
declare -A seen=()
order=()
resolve() { # module path relative to $moddir
	local m=$1 line deps d
	[[ -n ${seen[$m]:-} ]] && return 0
	seen[$m]=1
	line=$(grep -m1 "^$m:" "$moddir/modules.dep") || die "$m not in modules.dep"
	deps=${line#*:}
	for d in $deps; do resolve "$d"; done
	order+=("$m")
}
wanted=(virtio_pci virtio_net)
builtin=()
for name in "${wanted[@]}"; do
	path=$(grep -m1 -E "/$name\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | cut -d: -f1 || true)
	if [[ -n $path ]]; then
		resolve "$path"
	elif grep -q "/$name\.ko" "$moddir/modules.builtin" 2>/dev/null; then
		builtin+=("$name")
	else
		die "module $name neither in modules.dep nor built in for $kver"
	fi
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/vhacc-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,usr/bin,usr/sbin}
cp "$busybox" "$stage/bin/busybox"
# One link per applet the init script uses (the rest come via "busybox X").
for a in sh mount umount mkdir cat echo sleep insmod ip ifconfig ping arp \
	poweroff grep sed awk tr cut head tail ls dmesg uname seq test [ true; do
	ln -sf busybox "$stage/bin/$a"
done

: >"$stage/lib/modules/load-order"
for m in "${order[@]}"; do
	base=$(basename "$m")
	src=$moddir/$m
	case $base in
	*.ko.xz) xz -dc "$src" >"$stage/lib/modules/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$src" >"$stage/lib/modules/${base%.zst}"; base=${base%.zst} ;;
	*.ko.gz) gzip -dc "$src" >"$stage/lib/modules/${base%.gz}"; base=${base%.gz} ;;
	*) cp "$src" "$stage/lib/modules/$base" ;;
	esac
	echo "$base" >>"$stage/lib/modules/load-order"
done
install -m 0755 "$here/init" "$stage/init"
echo "$kver" >"$stage/etc/kernel-version"

mkdir -p "$out"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$img.tmp"
mv "$img.tmp" "$img"
echo "$key" >"$out/key"
echo "build-initramfs: built $img for $kver (modules: $(tr '\n' ' ' <"$stage/lib/modules/load-order")${builtin:+; built in: ${builtin[*]}})" >&2
echo "$img"
