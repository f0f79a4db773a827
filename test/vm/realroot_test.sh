#!/usr/bin/env bash
# Tier (d): a real Debian system boots through rdinit, as users run it: systemd as the real init, the suite's
# own kernel, the image the Debian kernel hook builds by default (its HOOKS=, every storage driver and
# filesystem), and a root made by qemu/realroot (mmdebstrap, an fstab by UUID).
# Usage: test/vm/realroot_test.sh SCENARIO   (environment from qemu/prepare, as test/vm/boot.sh)
#   bookworm       Debian 12's root and kernel
#   bookworm-usr   the same with /usr on a partition of its own (in the root's fstab)
#   trixie         Debian 13's root and kernel (modules .ko.xz)
#   bookworm-shutdown  Debian 12 with rd.shutdown=1, its disk writable: systemd ends the machine through
#                  rdinit's /run/initramfs/shutdown, and the root's ext4 is clean afterwards
# A pass: the system reached multi-user.target with no failed unit; / was remounted rw by systemd as the
# fstab says; /run is what systemd asks of an initramfs; no journal warning names the initramfs, /usr or
# /run. TAP output; the serial log is kept in $RDINIT_BUILD/vm/real-SCENARIO.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scenario=${1:?usage: realroot_test.sh SCENARIO}
suite=${scenario%-usr}
suite=${suite%-shutdown}
case $suite in
bookworm) prefix=RDINIT ;;
trixie) prefix=RDINIT_TRIXIE ;;
*) echo "Bail out! unknown scenario $scenario"; exit 1 ;;
esac
kver_var=${prefix}_KVER vmlinuz_var=${prefix}_VMLINUZ modules_var=${prefix}_MODULES_DIR
if [ -z "${!kver_var:-}" ] || [ -z "${!vmlinuz_var:-}" ] || [ -z "${!modules_var:-}" ]; then
	echo "1..0 # SKIP no $suite kernel: run through test/run"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP qemu/realroot needs root (the system's files keep their owners)"
	exit 0
fi
build=${RDINIT_BUILD:-$top/build}
vm=$build/vm
# ok, not_ok, expect, reject and new_log: a missing or empty serial log fails every check of it.
. "$top/test/vm/tap.sh"

export RDINIT_KVER=${!kver_var} RDINIT_MODULES_DIR=${!modules_var}
disk=$vm/real-$scenario.img
usr_flag=()
[ "$scenario" != "$suite-usr" ] || usr_flag=(--usr)
status=0
"$top/qemu/realroot" ${usr_flag[@]+"${usr_flag[@]}"} "$suite" "$disk" 2>"$vm/real-$scenario.err" || status=$?
if [ "$status" = 3 ]; then
	# Offline, with no tarball cached: nothing to boot, and said so in test/run's summary.
	echo "1..0 # SKIP $(tail -n 1 "$vm/real-$scenario.err")"
	exit 0
elif [ "$status" != 0 ]; then
	echo "Bail out! qemu/realroot failed: $(tail -n 3 "$vm/real-$scenario.err" | tr '\n' ' ')"
	exit 1
fi
# The Debian kernel hook's default image, open shell (the hook's password default needs a hash).
image=$vm/real-$scenario.initrd
hooks=$(sed -n 's/^HOOKS="\(.*\)"$/\1/p' "$top/mkrdinit/kernel-postinst.d/rdinit")
# shellcheck disable=SC2086 # the hooks are words
if ! "$build/mkrdinit/mkrdinit" -k "$RDINIT_KVER" -m "$RDINIT_MODULES_DIR" --hooks-dir "$top/hooks" \
	--compress zstd --shell=open -D RDINIT_INIT="$build/init/init" -o "$image" $hooks 2>"$vm/real-$scenario.err"; then
	echo "Bail out! mkrdinit failed: $(tail -n 3 "$vm/real-$scenario.err" | tr '\n' ' ')"
	exit 1
fi

new_log "$vm/real-$scenario.log"
status=0 append="root=UUID=7e57ab1e-0000-4000-8000-0000000000a1 panic=-1" write=()
if [ "$scenario" = "$suite-shutdown" ]; then
	# A copy the guest writes to, to read its filesystem's state after the shutdown.
	cp --sparse=always "$disk" "$vm/real-$scenario-rw.img"
	disk=$vm/real-$scenario-rw.img append+=" rd.shutdown=1" write=(--write)
fi
"$top/qemu/boot" --kernel "${!vmlinuz_var}" --initrd "$image" --disk "$disk" --mem 1024 --timeout 480 \
	${write[@]+"${write[@]}"} --append "$append" --log "$log" 2>/dev/null || status=$?
if [ "$status" = 0 ]; then ok "the system powered itself off (QEMU exit 0)"; else not_ok "the system powered itself off (QEMU exit $status)"; fi

expect '^real: multi-user\.target active$' "multi-user.target was reached"
reject '^real: failed ' "no unit failed"
expect '^real: done$' "the report ran to its end"
expect '^real: mount / /dev/block/254:1 +ext4 +rw,' "/ is rdinit's mount of partition 1, remounted rw by systemd as the fstab says"
expect '^real: mount /run tmpfs +tmpfs +rw,nosuid,nodev,.*mode=755' "/run is tmpfs rw,nosuid,nodev, mode 0755"
reject '^real: mount /run .*(relatime|noatime)' "/run is strictatime, as systemd's INITRD_INTERFACE asks"
if [ "$scenario" = "$suite-shutdown" ]; then
	expect 'rdinit: left the shutdown program in /run/initramfs/shutdown \(rd\.shutdown=1\)' "rdinit left its shutdown program for systemd"
	expect 'rdinit: shutdown: [1-9][0-9]* mount\(s\) unmounted, .*; 0 device-mapper device\(s\) removed, 0 md array\(s\) stopped, 0 left; poweroff$' \
		"systemd ended the machine through it: the old root's mounts taken apart, nothing left of dm or md"
	state=$(losetup -f --show -o 1048576 -r "$disk" 2>/dev/null | { read -r dev && dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Filesystem state: *//p'; losetup -d "$dev"; } || true)
	if [ "$state" = clean ]; then ok "the root's ext4 is clean after the shutdown"; else not_ok "the root's ext4 is clean after the shutdown (state: ${state:-unreadable})"; fi
	rm -f "$disk"
fi
if [ "$scenario" = "$suite-usr" ]; then
	expect '^real: mount /usr /dev/block/254:2 +ext4 ' "/usr is partition 2, mounted by rdinit before the switch"
	expect 'rdinit: timeline: \+[0-9]+ ms /usr mounted: /dev/block/254:2 \(/dev/vda2\) on /sysroot/usr ' "rdinit mounted /usr from the fstab"
fi
reject '^real: warning .*([Ii]nitr(d|amfs)|rdinit|/usr|/run|strictatime)' "no journal warning names the initramfs, /usr or /run"
reject 'rdinit: boot failed' "rdinit's boot did not fail"
# The generic image has several filesystem modules: ext4's loads once the probe of the match says ext4.
expect 'rdinit: timeline: \+[0-9]+ ms filesystem module \(ext4\) loaded beside the device search' \
	"the root's filesystem module was loaded beside the settle and the pre-mount hooks"
# What the bench reads: when the real init ran and when multi-user.target was reached.
grep -a 'rdinit: timeline: .* exec ' "$log" | head -n 1 | sed 's/^/# /' || true
grep -a '^real: uptime ' "$log" | sed 's/^real: uptime /# multi-user.target at uptime /' || true
grep -a '^real: warning ' "$log" | sed 's/^/# /' || true

echo "1..$count"
[ "$failed" -eq 0 ]
