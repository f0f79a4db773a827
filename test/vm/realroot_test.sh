#!/usr/bin/env bash
# Tier (d): a real Debian system boots through rdinit, as users run it: systemd as the real init, the suite's
# own kernel, the image the Debian kernel hook builds by default (its HOOKS=, every storage driver and
# filesystem), and a root made by qemu/realroot (mmdebstrap, an fstab by UUID).
# Usage: test/vm/realroot_test.sh SCENARIO [IMAGE]   (environment from qemu/prepare, as test/vm/boot.sh)
#   IMAGE    boot this image instead of building the kernel hook's (the package test boots the one the
#            package's postinst made); the log is then real-SCENARIO-given.log
#   bookworm       Debian 12's root and kernel
#   bookworm-usr   the same with /usr on a partition of its own (in the root's fstab)
#   trixie         Debian 13's root and kernel (modules .ko.xz)
#   bookworm-shutdown  Debian 12 with rd.shutdown=1, its disk writable: systemd ends the machine through
#                  rdinit's /run/initramfs/shutdown, and the root's ext4 is clean afterwards
# The stacked roots: the same system copied by qemu/guestdisk (recipe real-STACK) onto the layers this
# machine's kernel cannot open, booted with the kernel hook's hooks and lvm, mdraid as a machine with those
# tools has them, and taken apart at poweroff by rdinit's shutdown program (on by default for such a root):
#   bookworm-lvm   root=/dev/mapper/rdreal--vg-root, a logical volume (fstab by that path)
#   bookworm-luks  Debian's installer's encrypted LVM: LUKS2 vda3_crypt (in the image's crypttab and the
#                  root's, the passphrase typed at rdinit's prompt), rdreal-vg inside with root and swap_1,
#                  /boot and /boot/efi in the fstab; systemd-cryptsetup@vda3_crypt finds it open
#   bookworm-raid1 root=UUID= of the ext4 on md RAID1 rdreal (its ARRAY in the root's mdadm.conf)
#   bookworm-btrfs root=UUID= rootflags=subvol=@: btrfs, the system in subvolume @
#   trixie-lvm, trixie-luks, trixie-raid1, trixie-btrfs: the same of Debian 13's system and kernel
# A pass: the system reached multi-user.target with no failed unit; / was remounted rw by systemd as the
# fstab says; /run is what systemd asks of an initramfs; no journal warning names the initramfs, /usr or
# /run. TAP output; the serial log is kept in $RDINIT_BUILD/vm/real-SCENARIO.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scenario=${1:?usage: realroot_test.sh SCENARIO [IMAGE]}
given=${2:-}
suite=${scenario%%-*}
variant=${scenario#"$suite"}
variant=${variant#-}
case $variant in
'' | usr | shutdown | lvm | luks | raid1 | btrfs) ;;
*) echo "Bail out! unknown scenario $scenario"; exit 1 ;;
esac
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

# qemu/guestdisk's builder boots Debian 12's kernel, whatever the suite: keep it for the stacked roots.
guest_kernel=(RDINIT_KVER="${RDINIT_KVER:-}" RDINIT_MODULES_DIR="${RDINIT_MODULES_DIR:-}" RDINIT_VMLINUZ="${RDINIT_VMLINUZ:-}")
export RDINIT_KVER=${!kver_var} RDINIT_MODULES_DIR=${!modules_var}
# The stacked roots copy the plain disk of their suite, which its own scenario boots too.
disk=$vm/real-$scenario.img
case $variant in lvm | luks | raid1 | btrfs) disk=$vm/real-$suite.img ;; esac
usr_flag=()
[ "$variant" != usr ] || usr_flag=(--usr)
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
disks=("$disk") root="UUID=7e57ab1e-0000-4000-8000-0000000000a1" extra_append='' mount_re='/dev/block/254:1 +ext4 +rw,'
case $variant in
lvm | luks | raid1 | btrfs)
	# The stacked copy of the system, made in a guest once and cached.
	if ! env=$(env "${guest_kernel[@]}" "$top/qemu/guestdisk" "real-$variant" "$disk" 2>"$vm/real-$scenario.err"); then
		echo "Bail out! qemu/guestdisk real-$variant failed: $(tail -n 3 "$vm/real-$scenario.err" | tr '\n' ' ')"
		exit 1
	fi
	eval "$env"
	disks=("$GUESTDISK_DISK0")
	[ -z "${GUESTDISK_DISK1:-}" ] || disks+=("$GUESTDISK_DISK1")
	;;
esac
case $variant in
lvm | luks)
	root=$GUESTDISK_ROOT_DEV mount_re='/dev/block/253:[0-9]+ +ext4 +rw,' ;;
raid1)
	mount_re='/dev/block/9:[0-9]+ +ext4 +rw,' ;;
btrfs)
	root=UUID=$GUESTDISK_ROOT_UUID extra_append=' rootflags=subvol=@'
	mount_re='/dev/block/254:1\[/@\] +btrfs +rw,.*subvol=/@' ;;
esac

# The Debian kernel hook's default image, open shell (the hook's password default needs a hash); for the
# stacked roots with the hooks of the tools such a machine has (lvm2, mdadm), and the crypttab entry of the
# root, as --host-only reads it from the machine's /etc/crypttab.
image=$vm/real-$scenario.initrd
[ -z "$given" ] || image=$given
hooks=$(sed -n 's/^HOOKS="\(.*\)"$/\1/p' "$top/mkrdinit/kernel-postinst.d/rdinit")
case $variant in
lvm) hooks+=" lvm" ;;
luks)
	hooks+=" lvm"
	mkdir -p "$vm/real-$scenario.d"
	printf '%s UUID=%s none luks,discard\n' "$GUESTDISK_LUKS_NAME" "$GUESTDISK_LUKS_UUID" >"$vm/real-$scenario.d/crypttab"
	echo "file /etc/crypttab crypttab 0644 0 0" >"$vm/real-$scenario.d/manifest"
	hooks+=" $vm/real-$scenario.d" ;;
raid1) hooks+=" mdraid" ;;
esac
# shellcheck disable=SC2086 # the hooks are words
if [ -z "$given" ] && ! "$build/mkrdinit/mkrdinit" -k "$RDINIT_KVER" -m "$RDINIT_MODULES_DIR" --hooks-dir "$top/hooks" \
	--compress zstd --shell=open -D RDINIT_INIT="$build/init/init" -o "$image" $hooks 2>"$vm/real-$scenario.err"; then
	echo "Bail out! mkrdinit failed: $(tail -n 3 "$vm/real-$scenario.err" | tr '\n' ' ')"
	exit 1
fi

new_log "$vm/real-$scenario${given:+-given}.log"
status=0 append="root=$root$extra_append panic=-1" write=() input=/dev/null
if [ "$variant" = shutdown ]; then
	# A copy the guest writes to, to read its filesystem's state after the shutdown.
	cp --sparse=always "$disk" "$vm/real-$scenario-rw.img"
	disk=$vm/real-$scenario-rw.img disks=("$disk") append+=" rd.shutdown=1" write=(--write)
fi
disk_args=()
for d in "${disks[@]}"; do disk_args+=(--disk "$d"); done
if [ "$variant" = luks ]; then
	# The console's input: the passphrase, typed once rdinit asks for it (kept open: no end of input).
	input=$vm/real-$scenario.fifo
	rm -f "$input"
	mkfifo "$input"
	exec 7<>"$input"
fi
"$top/qemu/boot" --kernel "${!vmlinuz_var}" --initrd "$image" ${disk_args[@]+"${disk_args[@]}"} --mem 1024 \
	--timeout 480 ${write[@]+"${write[@]}"} --append "$append" --input "$input" --log "$log" 2>/dev/null &
qemu=$!
if [ "$variant" = luks ]; then
	for ((i = 0; i < 1200; i++)); do
		grep -aq "Please unlock disk $GUESTDISK_LUKS_NAME" "$log" 2>/dev/null && break
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.2
	done
	printf '%s\r' "$GUESTDISK_PASSPHRASE" >&7
fi
wait "$qemu" || status=$?
[ "$variant" != luks ] || { exec 7>&-; rm -f "$input"; }
if [ "$status" = 0 ]; then ok "the system powered itself off (QEMU exit 0)"; else not_ok "the system powered itself off (QEMU exit $status)"; fi

expect '^real: multi-user\.target active$' "multi-user.target was reached"
reject '^real: failed ' "no unit failed"
expect '^real: done$' "the report ran to its end"
expect "^real: mount / $mount_re" "/ is rdinit's mount of the root, remounted rw by systemd as the fstab says"
expect '^real: mount /run tmpfs +tmpfs +rw,nosuid,nodev,.*mode=755' "/run is tmpfs rw,nosuid,nodev, mode 0755"
reject '^real: mount /run .*(relatime|noatime)' "/run is strictatime, as systemd's INITRD_INTERFACE asks"
case $variant in
lvm | luks | raid1)
	expect 'rdinit: left the shutdown program in /run/initramfs/shutdown \(the root is on device-mapper or md\)' \
		"rdinit left its shutdown program for systemd, unasked, for a root on $variant"
	expect 'rdinit: shutdown: [1-9][0-9]* mount\(s\) unmounted, .*; [0-9]+ device-mapper device\(s\) removed, [0-9]+ md array\(s\) stopped, 0 left; poweroff$' \
		"systemd ended the machine through it: nothing left of dm or md"
	;;
esac
case $variant in
lvm) expect 'rdinit: shutdown: .*; 1 device-mapper device\(s\) removed, 0 md' "the shutdown removed the logical volume" ;;&
lvm | luks)
	n=1
	[ "$variant" = lvm ] || n=3
	expect "rdinit: left udev's database entries of $n device-mapper device\\(s\\) in /run/udev/data .*, $n /dev/mapper node\\(s\\) made links" \
		"rdinit left udev's database entries and /dev/mapper links of the $n dm device(s) for the real system's udev"
	reject "^real: warning .*Failed to create/update device symlink '/dev/mapper/" "udev made every /dev/mapper link" ;;&
luks) expect 'rdinit: shutdown: .*; [1-3] device-mapper device\(s\) removed, 0 md' "the shutdown removed what systemd-shutdown left of root, swap_1 and vda3_crypt" ;;
raid1) expect 'rdinit: shutdown: .*; 0 device-mapper device\(s\) removed, 1 md array\(s\) stopped' "the shutdown stopped the array" ;;
esac
if [ "$variant" = luks ]; then
	expect "Please unlock disk $GUESTDISK_LUKS_NAME \\(UUID $GUESTDISK_LUKS_UUID\\)" "rdinit asked for the crypttab's name and the LUKS UUID"
	expect "^real: active systemd-cryptsetup@${GUESTDISK_LUKS_NAME}\\.service" "systemd found $GUESTDISK_LUKS_NAME open: its systemd-cryptsetup@ unit is active, not failed"
	expect '^real: mount /boot /dev/vda2 +ext2 ' "/boot, from the fstab, mounted by systemd"
	expect '^real: swap /dev/(dm-[0-9]+|mapper/rdreal--vg-swap_1)$' "swap_1 on, from the fstab"
fi
if [ "$variant" = shutdown ]; then
	expect 'rdinit: left the shutdown program in /run/initramfs/shutdown \(rd\.shutdown=1\)' "rdinit left its shutdown program for systemd"
	expect 'rdinit: shutdown: [1-9][0-9]* mount\(s\) unmounted, .*; 0 device-mapper device\(s\) removed, 0 md array\(s\) stopped, 0 left; poweroff$' \
		"systemd ended the machine through it: the old root's mounts taken apart, nothing left of dm or md"
	state=$(losetup -f --show -o 1048576 -r "$disk" 2>/dev/null | { read -r dev && dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Filesystem state: *//p'; losetup -d "$dev"; } || true)
	if [ "$state" = clean ]; then ok "the root's ext4 is clean after the shutdown"; else not_ok "the root's ext4 is clean after the shutdown (state: ${state:-unreadable})"; fi
	rm -f "$disk"
fi
if [ "$variant" = usr ]; then
	expect '^real: mount /usr /dev/block/254:2 +ext4 ' "/usr is partition 2, mounted by rdinit before the switch"
	expect 'rdinit: timeline: \+[0-9]+ ms /usr mounted: /dev/block/254:2 \(/dev/vda2\) on /sysroot/usr ' "rdinit mounted /usr from the fstab"
fi
reject '^real: warning .*([Ii]nitr(d|amfs)|rdinit|/usr|/run|strictatime)' "no journal warning names the initramfs, /usr or /run"
# systemd mounts its own tmpfs over some folders of /run (Debian 13: /run/lock) and says so when the
# initramfs left something there, which is then hidden while a unit may be using it.
reject 'Directory /run/[^ ]* to mount over is not empty' "the image left nothing where systemd mounts over /run"
reject 'rdinit: boot failed' "rdinit's boot did not fail"
# The generic image has several filesystem modules: ext4's loads once the probe of the match says ext4.
fs=ext4
[ "$variant" != btrfs ] || fs=btrfs
expect "rdinit: timeline: \\+[0-9]+ ms filesystem module \\($fs\\) loaded beside the device search" \
	"the root's filesystem module was loaded beside the settle and the pre-mount hooks"
# What the bench reads: when the real init ran and when multi-user.target was reached.
grep -a 'rdinit: timeline: .* exec ' "$log" | head -n 1 | sed 's/^/# /' || true
grep -a '^real: uptime ' "$log" | sed 's/^real: uptime /# multi-user.target at uptime /' || true
grep -a '^real: \(journal\|warning\) ' "$log" | sed 's/^/# /' || true

echo "1..$count"
[ "$failed" -eq 0 ]
