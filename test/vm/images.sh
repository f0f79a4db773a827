#!/usr/bin/env bash
# Tier (c): QEMU boots of images that mkrdinit builds for one scenario each: every compression the kernel
# unpacks, the fsck hook on a clean, a repairable and a broken root, and a root on an LVM logical volume
# activated by /init's lvm layer. Checked on the serial log.
#
# Usage: test/vm/images.sh SCENARIO   (scenarios: test/vm/images.list; the environment from qemu/prepare:
#                                      RDINIT_KVER, RDINIT_MODULES_DIR, RDINIT_VMLINUZ, RDINIT_INIT,
#                                      RDINIT_DISK, and RDINIT_BUILD; test/run sets it. Without it the test
#                                      is skipped.)
# Output is TAP. Kept in $RDINIT_BUILD/vm/images/: SCENARIO.img (the image), SCENARIO.log (the serial log),
# SCENARIO.disk (a scenario's own disk, when it has one) and lvm-disk.img (the LVM disk, cached: remade only
# when this script, the test disk or qemu/disk.env changed).
#
# The LVM disk is made on this machine with the host's lvm on a loop device (losetup; needs root), without
# device-mapper: lvcreate --driverloaded n writes the metadata only, and the ext4 filesystem that qemu/mkdisk
# makes is copied to where the logical volume's extents lie. Without root or loop devices the lvm scenario is
# skipped, saying why.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/qemu/disk.env"
scenario=${1:?usage: images.sh SCENARIO}

if [ -z "${RDINIT_VMLINUZ:-}" ] || [ -z "${RDINIT_DISK:-}" ] || [ -z "${RDINIT_MODULES_DIR:-}" ] ||
	[ -z "${RDINIT_KVER:-}" ] || [ -z "${RDINIT_INIT:-}" ]; then
	echo "1..0 # SKIP no kernel, modules, /init or disk: run through test/run"
	exit 0
fi
build=${RDINIT_BUILD:-$top/build}
mkrdinit=$build/mkrdinit/mkrdinit
realinit=$build/qemu/realinit
out=$build/vm/images
mkdir -p "$out"

# ok, not_ok, expect, reject and new_log: a missing or empty serial log fails every check of it.
. "$top/test/vm/tap.sh"
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
bail() { echo "Bail out! $1"; exit 1; }

# The real init ran as PID 1 on DEVICE (a regexp), from ext4.
expect_booted() {
	expect '^realinit: pid=1$' "the real init runs as PID 1"
	# rdinit mounts the device by its number, from a node of its own: /dev/block/MAJ:MIN.
	local devnum
	devnum=$(grep -aoE "rdinit: timeline: \+[0-9]+ ms root mounted: /dev/block/[0-9]+:[0-9]+ \($1\) " "$log" |
		head -n 1 | sed -E 's|.*/dev/block/([0-9]+:[0-9]+).*|\1|') || true
	expect "^realinit: root source=/dev/block/${devnum:-none} fstype=ext4 " "/ is $1 (${devnum:-no number}), ext4"
	expect '^realinit: kmsg rdinit: timeline: \+[0-9]+ ms exec /' "rdinit's timeline reaches the exec"
	expect '^realinit: done' "the real init finished"
}

# make_image NAME COMPRESSION HOOK...: builds $out/NAME.img, with mkrdinit's summary in NAME.mkrdinit.
make_image() {
	local name=$1 compression=$2
	shift 2
	image=$out/$name.img
	# A hook whose program this machine lacks (busybox-static, lvm2) cannot be built here: skip, saying so.
	local hook program
	for hook in "$@"; do
		while read -r program; do
			PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$program" >/dev/null ||
				skip_all "hook $(basename "$hook") needs $program, which this machine lacks"
		done < <(awk '$1 == "binary" { print $2 }' "$hook/manifest")
	done
	if ! "$mkrdinit" -k "$RDINIT_KVER" -m "$RDINIT_MODULES_DIR" -D RDINIT_INIT="$RDINIT_INIT" \
		--compress "$compression" -o "$image" "$@" 2>"$out/$name.mkrdinit"; then
		sed 's/^/# /' "$out/$name.mkrdinit"
		bail "mkrdinit failed for $name"
	fi
	echo "# $(tail -n 1 "$out/$name.mkrdinit")"
}

# boot APPEND DISK...: boots $image with the disks, the serial console in $log.
boot() {
	local append=$1 d status=0 disk_args=()
	shift
	for d in "$@"; do disk_args+=(--disk "$d"); done
	# The log of an earlier run must not answer for this boot.
	new_log "$out/$scenario.log"
	local start=$SECONDS
	"$top/qemu/boot" --kernel "$RDINIT_VMLINUZ" --initrd "$image" "${disk_args[@]}" \
		--append "rdinit=/init $append" --log "$log" --timeout 240 || status=$?
	echo "# boot took $((SECONDS - start)) s"
	if [ "$status" -eq 0 ]; then ok "QEMU ended on its own"; else not_ok "QEMU ended on its own (exit $status)"; fi
	reject 'Attempted to kill init' "PID 1 never exited"
	reject 'Kernel panic' "no kernel panic"
}

# fsck_disk KIND: a copy of the test disk whose ext4 needs checking (state "not clean"): "repairable" also has a
# wrong free-blocks count, which e2fsck -a fixes (exit status 1); "broken" has its root inode cleared, which
# e2fsck -a refuses to fix (exit status 4). debugfs edits the filesystem inside partition 1 through ?offset=.
fsck_disk() {
	disk=$out/$scenario.disk
	local fs="$disk?offset=$((ROOT_PART_START_MIB * 1048576))"
	rm -f "$disk"
	cp --sparse=always "$RDINIT_DISK" "$disk"
	case $1 in
	repairable) debugfs -w -R "ssv free_blocks_count 7" "$fs" >/dev/null 2>&1 ;;
	broken) debugfs -w -R "clri <2>" "$fs" >/dev/null 2>&1 ;;
	esac
	debugfs -w -R "ssv state 0" "$fs" >/dev/null 2>&1 || bail "debugfs could not edit $disk"
}

lvm_uuid=5d2f1e0b-6a77-4c39-9a51-0c6f7e2d9b14
lvm_label="rdinit lvm root"

# lvm_disk: $out/lvm-disk.img, a whole-disk physical volume of volume group rdvg with logical volume root
# (40 MiB), holding qemu/mkdisk's ext4 root with UUID $lvm_uuid.
lvm_disk() {
	disk=$out/lvm-disk.img
	local stamp
	stamp="$(sha256sum "$0" "$RDINIT_DISK" "$top/qemu/disk.env" | cut -c1-64 | tr '\n' ' ')"
	if [ -f "$disk" ] && [ "$(cat "$disk.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || skip_all "making the LVM disk needs root (losetup)"
	command -v lvm >/dev/null || PATH=$PATH:/usr/sbin:/sbin
	command -v lvm >/dev/null || skip_all "no lvm on this machine (Debian: lvm2)"
	local tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdinit-lvm.XXXXXX")
	local loop=''
	# shellcheck disable=SC2064
	trap "[ -n \"\$loop\" ] && losetup -d \"\$loop\"; rm -rf '$tmp'" EXIT

	# The filesystem: partition 1 of a disk qemu/mkdisk makes (1 MiB in, 1 MiB before the end).
	"$top/qemu/mkdisk" --size 40 --uuid "$lvm_uuid" --label "$lvm_label" "$tmp/fs-disk.img" "$realinit" >&2
	dd if="$tmp/fs-disk.img" of="$tmp/fs.img" bs=1M skip="$ROOT_PART_START_MIB" count=$((40 - 2)) status=none

	truncate -s 64M "$tmp/lvm.img"
	loop=$(losetup --find --show "$tmp/lvm.img" 2>/dev/null) || skip_all "no loop device (losetup failed)"
	# The build machine's LVM configuration stays out: only the loop device, no udev, no backups in /etc.
	mkdir -p "$tmp/etc"
	cat >"$tmp/etc/lvm.conf" <<-EOF
		devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 filter = [ "a|^$loop\$|", "r|.*|" ] }
		activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
		backup { backup = 0 archive = 0 }
		global { use_lvmlockd = 0 }
	EOF
	export LVM_SYSTEM_DIR=$tmp/etc LVM_SUPPRESS_FD_WARNINGS=1
	lvm pvcreate -q --driverloaded n "$loop" >&2 &&
		lvm vgcreate -q --driverloaded n rdvg "$loop" >&2 &&
		lvm lvcreate -q --driverloaded n --activate n --zero n -L 40M -n root rdvg >&2 ||
		bail "unable to make the LVM layout on $loop"
	local ranges extent pe_start first
	read -r ranges extent < <(lvm lvs --driverloaded n --noheadings --units b --nosuffix \
		-o seg_pe_ranges,vg_extent_size rdvg/root 2>/dev/null)
	pe_start=$(lvm pvs --driverloaded n --noheadings --units b --nosuffix -o pe_start "$loop" 2>/dev/null | tr -d ' ')
	# One segment on one PV: "/dev/loopN:FIRST-LAST".
	[[ $ranges =~ ^$loop:([0-9]+)-([0-9]+)$ ]] || bail "unexpected LV layout: $ranges"
	first=${BASH_REMATCH[1]}
	losetup -d "$loop"
	loop=''
	dd if="$tmp/fs.img" of="$tmp/lvm.img" bs=1M seek=$(((pe_start + first * extent) / 1048576)) conv=notrunc status=none
	mv "$tmp/lvm.img" "$disk"
	printf '%s\n' "$stamp" >"$disk.stamp"
	rm -rf "$tmp"
	trap - EXIT
	echo "# made $disk: LV rdvg/root at byte $((pe_start + first * extent)), ext4 UUID=$lvm_uuid"
}

fsck_hooks=("$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/fsck")
case $scenario in
compress-none | compress-gzip | compress-zstd | compress-xz | compress-lz4)
	make_image "$scenario" "${scenario#compress-}" "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4"
	echo "# image: $(stat -c %s "$image") bytes"
	boot "root=UUID=$ROOT_UUID panic=-1" "$RDINIT_DISK"
	reject 'Initramfs unpacking failed|junk in compressed archive|invalid magic' "the kernel unpacked the image"
	expect_booted /dev/vda1
	;;
fsck-clean)
	make_image "$scenario" gzip "${fsck_hooks[@]}"
	boot "root=UUID=$ROOT_UUID panic=-1" "$RDINIT_DISK"
	expect '^realinit: kmsg rdinit: fsck: checking /dev/vda1 \(ext4\): e2fsck -a /dev/vda1$' "the fsck hook ran e2fsck -a on the root"
	expect "^${ROOT_LABEL// /_}: clean, [0-9]+/[0-9]+ files" "e2fsck's own output is on the console"
	expect '^realinit: kmsg rdinit: fsck: /dev/vda1 is clean \(e2fsck exit status 0\)$' "the hook read exit status 0"
	expect '^realinit: kmsg rdinit: hook /lib/rdinit/hooks/pre-mount/50-fsck: exit status 0' "/init ran the hook at pre-mount"
	expect_booted /dev/vda1
	;;
fsck-repaired)
	make_image "$scenario" gzip "${fsck_hooks[@]}"
	fsck_disk repairable
	boot "root=UUID=$ROOT_UUID panic=-1" "$disk"
	expect "^${ROOT_LABEL// /_} was not cleanly unmounted, check forced" "e2fsck checked the filesystem that was not clean"
	expect '^realinit: kmsg rdinit: fsck: e2fsck corrected errors on /dev/vda1 \(exit status 1\); going on$' "exit status 1: errors corrected, the boot goes on"
	expect_booted /dev/vda1
	;;
fsck-failed)
	make_image "$scenario" gzip "${fsck_hooks[@]}"
	fsck_disk broken
	boot "root=UUID=$ROOT_UUID panic=1" "$disk"
	expect 'UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY' "e2fsck -a refused to repair the cleared root inode"
	expect 'rdinit: fsck: e2fsck -a /dev/vda1 exited with status 4' "the hook says the checker's status"
	expect 'rdinit: boot failed: hook /lib/rdinit/hooks/pre-mount/50-fsck failed with exit status 4' "exit status 4: the emergency screen names the hook and its status"
	reject '^realinit: pid=' "the root was never mounted: the real init never ran"
	;;
lvm)
	lvm_disk
	make_image "$scenario" gzip "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/lvm"
	boot "root=/dev/mapper/rdvg-root panic=-1" "$disk"
	expect '^realinit: kmsg rdinit: lvm: activating volume groups: all$' "the lvm layer ran"
	expect '1 logical volume\(s\) in volume group "rdvg" now active' "lvm activated rdvg/root"
	expect '^realinit: kmsg rdinit: lvm: activated volume groups: all \([0-9]+ ms\)$' "/init's lvm layer saw lvm succeed"
	reject 'rdinit: hook /lib/rdinit/hooks/initqueue/' "no initqueue hook was needed"
	expect_booted '/dev/(dm-0|mapper/rdvg-root)'
	expect "^realinit: kmsg rdinit: timeline: \\+[0-9]+ ms root device /dev/dm-0 found" "rdinit matched root= to the logical volume, dm-0, through its dm/name"
	;;
lvm-vg-lv)
	lvm_disk
	make_image "$scenario" gzip "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/lvm"
	boot "root=/dev/rdvg/root panic=-1" "$disk"
	expect_booted '/dev/(dm-0|mapper/rdvg-root)'
	expect "^realinit: kmsg rdinit: timeline: \\+[0-9]+ ms root device /dev/dm-0 found" "root=/dev/VG/LV matched the logical volume by its dm name, rdvg-root"
	;;
*) bail "unknown scenario $scenario" ;;
esac

echo "1..$count"
[ "$failed" -eq 0 ]
