#!/usr/bin/env bash
# Tier (c): one QEMU boot of Debian's kernel through rdinit per scenario, checked on the serial log.
#
# Usage: test/vm/boot.sh SCENARIO   (the environment from qemu/prepare: RDINIT_VMLINUZ, RDINIT_IMAGE,
#                                    RDINIT_DISK, RDINIT_DISK_MBR; test/run sets it. Without it the
#                                    test is skipped.)
# Output is TAP; the serial log is kept in $RDINIT_BUILD/vm/SCENARIO.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/qemu/disk.env"
scenario=${1:?usage: boot.sh SCENARIO[@KERNEL]}

# SCENARIO@KERNEL boots another of qemu/prepare's kernels: trixie (Debian 13, modules .ko.xz, which it
# decompresses itself) or trixie-zst (the same modules as .ko.zst, which it cannot: /init must).
case $scenario in
*@trixie) k=RDINIT_TRIXIE ;;
*@trixie-zst) k=RDINIT_TRIXIE_ZST ;;
*@*) echo "Bail out! unknown kernel in $scenario"; exit 1 ;;
*) k=RDINIT ;;
esac
v=${k}_KVER; KVER=${!v:-}
v=${k}_VMLINUZ; VMLINUZ=${!v:-}
v=${k}_MODULES_DIR; MODULES_DIR=${!v:-}
v=${k}_IMAGE; image=${!v:-}
if [ -z "$VMLINUZ" ] || [ -z "$image" ] || [ -z "${RDINIT_DISK:-}" ]; then
	echo "1..0 # SKIP no kernel, image or disk: run through test/run"
	exit 0
fi

# ok, not_ok, expect, reject and new_log: a missing or empty serial log fails every check of it.
. "$top/test/vm/tap.sh"
# expect_order DESCRIPTION PATTERN...: the first lines that match each extended regexp come in that order.
expect_order() {
	local description=$1 previous=0 line pattern
	shift
	for pattern in "$@"; do
		line=$(grep -anE -- "$pattern" "$log" | head -n 1 | cut -d: -f1)
		if [ -z "$line" ] || [ "$line" -le "$previous" ]; then
			not_ok "$description (/$pattern/ at line ${line:-none}, after line $previous)"
			return
		fi
		previous=$line
	done
	ok "$description"
}

# The real init ran as PID 1 on DEVICE, mounted with MODE (ro or rw), and saw rdinit's log.
expect_booted() {
	local device=$1 mode=$2
	expect "^\[ *[0-9.]+\] Linux version $(sed 's/[.+]/\\&/g' <<<"$KVER") " "the kernel is $KVER"
	expect '^realinit: pid=1$' "the real init runs as PID 1"
	# rdinit mounts the device by its number, from a node of its own: /dev/block/MAJ:MIN.
	local devnum
	devnum=$(grep -aoE "rdinit: timeline: \+[0-9]+ ms root mounted: /dev/block/[0-9]+:[0-9]+ \($device\) " "$log" |
		head -n 1 | sed -E 's|.*/dev/block/([0-9]+:[0-9]+).*|\1|') || true
	expect "^realinit: root source=/dev/block/${devnum:-none} fstype=ext4 " "/ is $device (${devnum:-no number}), ext4"
	expect "^realinit: root .* options=$mode(,|$)" "/ is mounted $mode"
	expect '^realinit: kmsg rdinit: ' "rdinit's messages are in /dev/kmsg after the switch"
	expect "^realinit: kmsg rdinit: timeline: \+[0-9]+ ms root device $device found" "the timeline names the root device"
	expect '^realinit: kmsg rdinit: timeline: \+[0-9]+ ms exec /' "the timeline reaches the exec"
	expect '^realinit: kmsg rdinit: freed the initramfs: [1-9][0-9]* entries' "the initramfs was freed"
	expect '^realinit: done' "the real init finished"
}

# rdinit stopped on the emergency screen with CAUSE and rebooted (panic=1) instead of booting.
expect_emergency() {
	expect "rdinit: boot failed: $1" "the emergency message says: $1"
	expect 'rdinit: (block devices seen:|no block devices were seen)' "the emergency message lists the devices seen"
	expect 'rdinit: rebooting in 1 s \(panic=1\)' "panic=1 reboots"
	reject '^realinit: pid=' "the real init never ran"
}

absent_uuid=00000000-dead-beef-0000-000000000000
usr_uuid=c0ffee00-75e5-4d15-8a5e-00000000005b
vm=${RDINIT_BUILD:-$top/build}/vm
disks=("$RDINIT_DISK")
# Disks on q35's AHCI controller (/dev/sdX), read-only: a scenario that needs the SATA path sets them.
sata_disks=()
# Guest CPUs: the coldplug loads several controllers' drivers side by side only with more than one.
smp=1

# An image of this scenario's own, from the hooks named (test fixtures in test/vm/hooks).
image_from() {
	image=$vm/image-$scenario.img
	"${RDINIT_BUILD:-$top/build}/mkrdinit/mkrdinit" -k "$KVER" -m "$MODULES_DIR" -o "$image" \
		--compress gzip -D RDINIT_INIT="$RDINIT_INIT" -D RDINIT_UEVENT_NOISE="${RDINIT_UEVENT_NOISE:-/missing}" \
		-D RDINIT_REALINIT="${RDINIT_BUILD:-$top/build}/qemu/realinit" -D RDINIT_DUP_IMAGE="$vm/dup-$scenario.img" \
		"$@" 2>"$vm/image-$scenario.mkrdinit" || {
		sed 's/^/# /' "$vm/image-$scenario.mkrdinit"
		echo "Bail out! mkrdinit could not build the image of $scenario"
		exit 1
	}
}
# The image with a folder for /dev/console: the kernel's own initramfs has the node, but an entry of another
# kind replaces it as the image is unpacked, the kernel cannot open it, and /init starts with no stdin, stdout
# or stderr (as where a kernel's built-in initramfs has no /dev/console).
drop_console() {
	local tree=$vm/tree-$scenario
	rm -rf "$tree" && mkdir -p "$tree"
	image_cpio | (cd "$tree" && cpio -idm --quiet 2>/dev/null)
	rm -f "$tree/dev/console" && mkdir "$tree/dev/console"
	(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -n) >"$image"
	rm -rf "$tree"
}
# A small ext4 with the root's UUID, for a loop device that duplicates the root: one per scenario, since
# scenarios boot side by side.
dup_image() {
	local dup=$vm/dup-$scenario.img
	rm -f "$dup"
	# Made first: mke2fs says "Creating regular file" on standard output, -q or not, which is no TAP.
	truncate -s 4M "$dup"
	mkfs.ext4 -q -F -U "$ROOT_UUID" -L dup -O ^has_journal "$dup"
}

# Every file of the disk's root filesystem, read with debugfs (no mount), into folder $2.
dump_root() {
	local part=$vm/part-$scenario.img
	dd if="$1" of="$part" bs=1M skip="$ROOT_PART_START_MIB" status=none
	rm -rf "$2" && mkdir -p "$2"
	debugfs -R "rdump / $2" "$part" >/dev/null 2>&1
	rm -f "$part"
}
# A copy of the kernel's modules (hard links) in which module $1 has lost its signature (strip drops
# what follows the ELF sections), depmod'ed again; prints the copy's modules folder.
unsigned_tree() {
	local tree=$vm/modules-$scenario file
	rm -rf "$tree" && mkdir -p "$tree/lib/modules"
	cp -al "$MODULES_DIR/$KVER" "$tree/lib/modules/"
	file=$(find "$tree/lib/modules/$KVER" -name "$1.ko")
	rm -f "$file"
	strip --strip-debug -o "$file" "$MODULES_DIR/$KVER/${file#"$tree/lib/modules/$KVER/"}"
	depmod -b "$tree" "$KVER"
	echo "$tree/lib/modules"
}

# The image's cpio archive, uncompressed, past an early microcode archive (test/image.sh).
. "$top/test/image.sh"
image_cpio() { image_main "$image"; }
# The file names of the image's modules.
image_modules() { image_cpio | cpio -it --quiet 2>/dev/null | grep '^lib/modules/.*\.ko'; }

# Every boot: a crash of PID 1 reboots at once (panic=-1), which ends QEMU instead of hanging.
case ${scenario%@*} in
uuid)            append="root=UUID=$ROOT_UUID" ;;
uuid-upper-rw)   append="root=UUID=${ROOT_UUID^^} rw" ;;
# mkrdinit --decompress-modules=yes (--host-only's default): the kernel's .ko.xz go in as .ko.
decompressed)    append="root=UUID=$ROOT_UUID"
                 image_from --decompress-modules=yes "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
devname-rw)      append="root=/dev/vda1 rw" ;;
label)           append="root=\"LABEL=$ROOT_LABEL\"" ;;
by-label)        append="root=/dev/disk/by-label/${ROOT_LABEL// /\\x20}" ;;
by-uuid)         append="root=/dev/disk/by-uuid/$ROOT_UUID" ;;
partuuid)        append="root=PARTUUID=$ROOT_PARTUUID" ;;
by-partuuid)     append="root=/dev/disk/by-partuuid/$ROOT_PARTUUID" ;;
partlabel)       append="root=PARTLABEL=$ROOT_PARTLABEL" ;;
by-partlabel)    append="root=/dev/disk/by-partlabel/$ROOT_PARTLABEL" ;;
majmin)          append="root=254:1" ;;
hex)             append="root=fe01" ;;
mbr-partuuid)    append="root=PARTUUID=$ROOT_MBR_ID-02"; disks=("$RDINIT_DISK_MBR") ;;
mbr-partnroff)   append="root=PARTUUID=$ROOT_MBR_ID-01/PARTNROFF=1"; disks=("$RDINIT_DISK_MBR") ;;
rootfstype-list) append="root=UUID=$ROOT_UUID rootfstype=btrfs,ext4" ;;
rootflags)       append="root=UUID=$ROOT_UUID rootflags=noatime,data=journal" ;;
init-args)       append="root=UUID=$ROOT_UUID init=/bin/init-alt rdinit_test_env=42 -- single two" ;;
init-missing)    append="root=UUID=$ROOT_UUID init=/sbin/no-such-init" ;;
duplicate)       append="root=UUID=$ROOT_UUID rd.timeout=20 panic=1"; disks=("$RDINIT_DISK" "$RDINIT_DISK_MBR") ;;
absent)          append="root=UUID=$absent_uuid rd.timeout=5 panic=1" ;;
no-driver)       append="root=UUID=$ROOT_UUID rd.timeout=3 panic=1"
                 image_from "$top/hooks/base" "$top/test/vm/hooks/virtio-pci-only" "$top/hooks/ext4" ;;
wrong-fstype)    append="root=UUID=$ROOT_UUID rootfstype=xfs panic=1" ;;
bad-superblock)  append="root=/dev/vda1 rootfstype=ext4 panic=1"
                 # The primary superblock (1 KiB into the partition) zeroed on a copy of the disk.
                 cp --sparse=always "$RDINIT_DISK" "$vm/disk-$scenario.img"
                 dd if=/dev/zero of="$vm/disk-$scenario.img" bs=1024 count=1 conv=notrunc status=none \
                    seek=$((ROOT_PART_START_MIB * 1024 + 1))
                 disks=("$vm/disk-$scenario.img") ;;
no-init)         append="root=UUID=$ROOT_UUID init=/sbin/nothing-here panic=1"
                 "$top/qemu/mkdisk" --no-init "$vm/disk-no-init.img" "${RDINIT_BUILD:-$top/build}/qemu/realinit" 2>/dev/null
                 disks=("$vm/disk-no-init.img") ;;
separate-usr|usr-absent|usr-duplicate)
                 # A merged-/usr root (/sbin a link to usr/sbin) whose /usr, with the init, is vdb.
                 "$top/qemu/mkdisk" --usr "$vm/usr-$scenario.img" --usr-uuid "$usr_uuid" "$vm/disk-$scenario.img" \
                    "${RDINIT_BUILD:-$top/build}/qemu/realinit" 2>/dev/null
                 disks=("$vm/disk-$scenario.img" "$vm/usr-$scenario.img")
                 append="root=UUID=$ROOT_UUID"
                 case ${scenario%@*} in
                 # With the fsck hook: /usr is checked between its search and its mount.
                 separate-usr) image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/fsck" ;;
                 usr-absent) append+=" mount.usr=UUID=$absent_uuid rd.timeout=3 panic=1" ;;
                 # A second disk with /usr's UUID: the fstab's /usr names two devices.
                 usr-duplicate) cp --sparse=always "$vm/usr-$scenario.img" "$vm/usr-$scenario-copy.img"
                                disks+=("$vm/usr-$scenario-copy.img") append+=" panic=1" ;;
                 esac ;;
panic-delay)     append="root=UUID=$absent_uuid rd.timeout=1 panic=5" ;;
poweroff)        append="root=UUID=$absent_uuid rd.timeout=1 rd.emergency=poweroff" ;;
debug)           append="root=UUID=$ROOT_UUID rd.debug" ;;
forged-uevents)  append="root=UUID=$ROOT_UUID"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/forge" ;;
uevent-storm)    append="root=UUID=$ROOT_UUID"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/storm" ;;
uevent-overflow) append="root=UUID=$ROOT_UUID rd.uevent_buffer=4096"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/storm" ;;
other-kernel)    append="root=UUID=$ROOT_UUID rd.timeout=2 panic=1"
                 image_from "$top/hooks/base" "$top/test/vm/hooks/other-kernel" ;;
resume-image)    append="root=UUID=$ROOT_UUID"
                 image_from --resume "PARTUUID=$ROOT_PARTUUID" "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
unsigned-module) append="root=UUID=$ROOT_UUID rd.timeout=3 panic=1 module.sig_enforce=1"
                 MODULES_DIR=$(unsigned_tree virtio_blk)
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
no-console)      append="rd.shell=1"; qemu_timeout=40
                 image_from "$top/hooks/base" "$top/test/vm/hooks/quick-shell"
                 drop_console ;;
noexec)          append="root=UUID=$ROOT_UUID rootflags=noexec panic=1" ;;
leftovers)       append="root=UUID=$ROOT_UUID"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/linger" ;;
hostile-label)   append="root=PARTLABEL=no-such-label rd.timeout=3 panic=1"
                 cp --sparse=always "$RDINIT_DISK" "$vm/disk-$scenario.img"
                 sfdisk -q --no-reread --no-tell-kernel --part-label "$vm/disk-$scenario.img" 1 \
                    "$(printf 'x\033]0;owned\a\033[2Jy')" >/dev/null
                 disks=("$vm/disk-$scenario.img") ;;
hook-env)        append="root=UUID=$ROOT_UUID RDINIT_ROOT=/dev/evil LD_PRELOAD=/evil.so PATH=/evil rdinit_test_env=kept"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/print-env" ;;
late-duplicate)  append="root=UUID=$ROOT_UUID panic=1"
                 dup_image
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/dup-pre-mount" ;;
settle-duplicate) append="root=UUID=$ROOT_UUID rd.settle_ms=3000 panic=1"
                 dup_image
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/dup-pre-udev" ;;
uevent-flood)    append="root=UUID=$absent_uuid rd.timeout=2 panic=1"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/flood" ;;
# An image with Debian's CPU microcode (qemu/microcode) in an early archive before the main one.
microcode)       append="root=UUID=$ROOT_UUID"
                 fw_status=0
                 microcode_fw=$("$top/qemu/microcode" 2>"$vm/microcode.err") || fw_status=$?
                 case $fw_status in
                 0) ;;
                 3) echo "1..0 # SKIP no Debian microcode cached and none could be fetched: $(tail -n 1 "$vm/microcode.err")"; exit 0 ;;
                 *) sed 's/^/# /' "$vm/microcode.err"; echo "Bail out! qemu/microcode failed"; exit 1 ;;
                 esac
                 image_from -f "$microcode_fw" "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
rw-files-intact) append="root=UUID=$ROOT_UUID rw"
                 dump_root "$RDINIT_DISK" "$vm/files-$scenario-before" ;;
# Modules the command line or the image's modprobe.d keeps out, loads first or loads late.
driver-blacklist) append="root=UUID=$ROOT_UUID rd.driver.blacklist=floppy,virtio-blk rd.timeout=3 panic=1" ;;
modprobe-blacklist-dep) append="root=UUID=$ROOT_UUID panic=1"
                 image_from --modprobe-conf "$top/test/vm/modprobe.d/blacklist-mbcache" \
                    "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
driver-pre)      append="root=UUID=$ROOT_UUID rd.driver.pre=loop"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/loop-module" ;;
driver-post)     append="root=UUID=$ROOT_UUID rd.driver.post=virtio_blk rd.debug" ;;
coldplug-others) append="root=UUID=$ROOT_UUID rd.debug rd.settle_ms=1500"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/smbus-module" ;;
coldplug-others-stop) append="root=UUID=$ROOT_UUID rd.debug"
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/test/vm/hooks/smbus-module" \
                    "$top/test/vm/hooks/busy" ;;
coldplug-controllers) append="root=UUID=$ROOT_UUID rd.debug"; smp=2
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/sata" ;;
sata-duplicate)  append="root=UUID=$ROOT_UUID rd.timeout=20 panic=1"; sata_disks=("$RDINIT_DISK_MBR"); smp=2
                 image_from "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" "$top/hooks/sata" ;;
modprobe-blacklist-cmdline) append="root=UUID=$ROOT_UUID modprobe.blacklist=virtio_blk rd.timeout=3 panic=1" ;;
modprobe-install) append="root=UUID=$ROOT_UUID rd.timeout=3 panic=1"
                 image_from --modprobe-conf "$top/test/vm/modprobe.d/install-virtio-blk" \
                    "$top/hooks/base" "$top/hooks/virtio" "$top/hooks/ext4" ;;
*) echo "Bail out! unknown scenario $scenario"; exit 1 ;;
esac
# Parameters after -- are init's: the panic= must come before them.
case $append in
*panic=*) ;;
*" -- "*) append="${append/ -- / panic=-1 -- }" ;;
*) append+=" panic=-1" ;;
esac

# The log of an earlier run must not answer for this boot.
new_log "${RDINIT_BUILD:-$top/build}/vm/$scenario.log"
# Every boot gets writable copies of its disks, so that what it wrote can be seen.
disk_args=()
before_sums=()
for i in "${!disks[@]}"; do
	cp --sparse=always "${disks[$i]}" "$vm/$scenario-disk$i.img"
	disks[$i]=$vm/$scenario-disk$i.img
	disk_args+=(--disk "${disks[$i]}")
	before_sums+=("$(sha256sum <"${disks[$i]}")")
done
sata_args=()
for i in "${!sata_disks[@]}"; do
	sata_args+=(-drive "file=${sata_disks[$i]//,/,,},if=none,id=sata$i,format=raw,snapshot=on" -device "ide-hd,drive=sata$i,bus=ide.$i")
done
status=0
"$top/qemu/boot" --kernel "$VMLINUZ" --initrd "$image" "${disk_args[@]}" --write --smp "$smp" \
	--append "rdinit=/init $append" --log "$log" --timeout "${qemu_timeout:-240}" ${sata_args[@]+-- "${sata_args[@]}"} || status=$?
if [ -n "${qemu_timeout:-}" ]; then
	# A scenario that never ends by itself: its time is up.
	if [ "$status" -eq 124 ]; then ok "QEMU ran until stopped after $qemu_timeout s"; else not_ok "QEMU ran until stopped after $qemu_timeout s (exit $status)"; fi
elif [ "$status" -eq 0 ]; then ok "QEMU ended on its own"; else not_ok "QEMU ended on its own (exit $status)"; fi
reject 'Attempted to kill init' "PID 1 never exited"
reject 'Kernel panic' "no kernel panic"

# The kernel's own modules, or the .ko.zst copies: what the kernel could not decompress, rdinit did; or, in
# decompressed@trixie, what mkrdinit decompressed.
case $scenario in
decompressed@trixie)
	if image_modules | grep -q "/virtio_blk\\.ko\$" && ! image_modules | grep -qv "\\.ko\$"; then
		ok "every module in the image is .ko"
	else
		not_ok "every module in the image is .ko"
	fi
	blk=$(image_modules | grep "/virtio_blk\\.ko\$")
	if cmp -s <(image_cpio | cpio -i --to-stdout --quiet "$blk" 2>/dev/null) <(xz -dc "$MODULES_DIR/${blk#lib/modules/}.xz"); then
		ok "virtio_blk.ko is the tree's virtio_blk.ko.xz decompressed, byte for byte (signed)"
	else
		not_ok "virtio_blk.ko is the tree's virtio_blk.ko.xz decompressed, byte for byte (signed)"
	fi
	reject 'rdinit: unable to load' "every module loaded"
	;;
*@trixie | *@trixie-zst)
	suffix=.ko.xz
	[ "${scenario#*@}" = trixie ] || suffix=.ko.zst
	if image_modules | grep -q "/virtio_blk\\$suffix\$" && ! image_modules | grep -qv "\\$suffix\$"; then
		ok "every module in the image is $suffix"
	else
		not_ok "every module in the image is $suffix"
	fi
	blk=$(image_modules | grep "/virtio_blk\\$suffix\$")
	if cmp -s <(image_cpio | cpio -i --to-stdout --quiet "$blk" 2>/dev/null) "$MODULES_DIR/${blk#lib/modules/}"; then
		ok "virtio_blk$suffix is in the image byte for byte as in the kernel's tree (compressed, signed)"
	else
		not_ok "virtio_blk$suffix is in the image byte for byte as in the kernel's tree (compressed, signed)"
	fi
	reject 'rdinit: unable to load' "every module loaded"
	# Where the real init ran, it read what the kernel decompresses itself: xz, never zstd.
	case ${scenario%@*} in absent) ;; *) expect '^realinit: module compression=xz$' "the kernel decompresses xz (not zstd) itself" ;; esac
	;;
esac

case ${scenario%@*} in
uuid|decompressed|label|by-label|by-uuid|partuuid|by-partuuid|partlabel|by-partlabel|majmin|hex|rootfstype-list)
	expect_booted /dev/vda1 ro
	expect '^realinit: argv=/sbin/init$' "the real init got its own path as argv[0] and no arguments"
	# The image's only filesystem module (rootfstype='s list when given) loads beside the device search.
	fs=ext4
	[ "${scenario%@*}" != rootfstype-list ] || fs=btrfs,ext4
	expect "rdinit: timeline: \+[0-9]+ ms filesystem module \($fs\) loaded beside the device search; waited [0-9]+ ms for it" \
		"the filesystem module ($fs) was loaded beside the device search"
	expect 'rdinit: CPU time: [0-9]+ ms user, [0-9]+ ms system; children [0-9]+ ms user, [0-9]+ ms system$' \
		"PID 1's CPU time, and its children's, is logged before the exec"
	;;
uuid-upper-rw|devname-rw)
	expect_booted /dev/vda1 rw
	;;
microcode)
	# Under TCG the CPU is QEMU's (AMD family 0xf, older than any the early loader updates): nothing is applied,
	# so what is checked is that the kernel reads past the early archive to the main one, and unpacks both.
	expect_booted /dev/vda1 ro
	early=$(image_early_size "$image")
	if [ "$early" -gt 0 ] && [ "$(image_early "$image" | cpio -it --quiet 2>/dev/null | grep -c '^kernel/x86/microcode/.*\.bin$')" = 2 ]; then
		ok "the image starts with an early archive of $early bytes holding GenuineIntel.bin and AuthenticAMD.bin"
	else
		not_ok "the image starts with an early archive holding GenuineIntel.bin and AuthenticAMD.bin ($early bytes)"
	fi
	reject 'Initramfs unpacking failed' "the kernel unpacked the whole image"
	# The early archive's files are in rootfs too, so rdinit freed more than their size.
	freed=$(grep -aoE 'rdinit: freed the initramfs: [0-9]+ entries, [0-9]+ KiB' "$log" | head -n 1 | sed -E 's/.* ([0-9]+) KiB/\1/') || true
	if [ "${freed:-0}" -gt $((early / 1024)) ]; then
		ok "rootfs held the early archive's files too (rdinit freed $freed KiB, the early archive is $((early / 1024)) KiB)"
	else
		not_ok "rootfs held the early archive's files too (rdinit freed ${freed:-no} KiB, the early archive is $((early / 1024)) KiB)"
	fi
	;;
mbr-partuuid|mbr-partnroff)
	expect_booted /dev/vda2 ro
	;;
debug)
	expect_booted /dev/vda1 ro
	expect 'rdinit: uevent add /devices/pci' "rd.debug logs every uevent"
	expect 'rdinit: loaded [0-9]+ module\(s\) for virtio:d00000002v00001AF4 in [0-9]+ ms' "rd.debug logs module loads with their duration"
	expect "rdinit: block device /dev/vda1 254:1 TYPE=ext4 UUID=$ROOT_UUID" "rd.debug logs every probed device"
	;;
forged-uevents)
	expect_booted /dev/vda1 ro
	expect '^uevent-noise: forged: [1-9]' "the hook sent uevents claiming to be the root device"
	expect 'rdinit: ignored a uevent that the kernel did not send \(1 so far\)' "rdinit refused them"
	;;
uevent-storm)
	expect_booted /dev/vda1 ro
	seen=$(grep -a '^\[.*rdinit: timeline: .* root device /dev/vda1 found' "$log" | sed -n 's/.*; \([0-9]*\) uevents.*/\1/p') || true
	if [ "${seen:-0}" -ge 400 ]; then ok "root was found amid the storm ($seen uevents)"; else not_ok "root was found amid the storm (${seen:-no} uevents)"; fi
	;;
uevent-overflow)
	expect_booted /dev/vda1 ro
	expect 'rdinit: uevent queue overflowed; rescanning /sys' "the overflow was seen and /sys rescanned"
	;;
other-kernel)
	expect "rdinit: this image was built for kernel 9.9.9-other, but $RDINIT_KVER is running" "the mismatch is announced at boot"
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 2 s"
	expect "rdinit: kernel $RDINIT_KVER; image built for 9.9.9-other: its modules cannot load" "the screen names both kernels"
	expect 'rdinit: hint: rebuild the image for the running kernel' "the hint says to rebuild the image"
	;;
rw-files-intact)
	expect_booted /dev/vda1 rw
	dump_root "${disks[0]}" "$vm/files-$scenario-after"
	if have_log && [ -s "$vm/files-$scenario-before/etc/hostname" ] && diff -r --no-dereference "$vm/files-$scenario-before" "$vm/files-$scenario-after" >/dev/null; then
		ok "after a read-write boot every file of the root is byte-identical"
	else
		not_ok "after a read-write boot every file of the root is byte-identical"
	fi
	rm -rf "$vm/files-$scenario-before" "$vm/files-$scenario-after"
	;;
rootflags)
	expect_booted /dev/vda1 ro
	expect '^realinit: root .* options=ro,noatime(,.*)?,data=journal' "rootflags= reached the mount: noatime, data=journal"
	;;
init-args)
	expect_booted /dev/vda1 ro
	expect '^realinit: argv=/bin/init-alt single two$' "init= ran, with the arguments after --"
	expect '^realinit: env=rdinit_test_env=42$' "the environment the kernel gave rdinit reached the real init"
	;;
init-missing)
	expect_booted /dev/vda1 ro
	expect 'rdinit: init=/sbin/no-such-init is not an executable file in the new root \(No such file or directory\)' "the missing init= is named in a warning"
	expect '^realinit: argv=/sbin/init$' "the kernel's fallback /sbin/init ran"
	;;
duplicate)
	expect_emergency "root=UUID=$ROOT_UUID is ambiguous: /dev/vd[ab][12] and /dev/vd[ab][12] both match"
	expect "rdinit:   /dev/vda1 .*UUID=$ROOT_UUID" "the first device with the UUID is listed"
	expect "rdinit:   /dev/vdb2 .*UUID=$ROOT_UUID" "the second device with the UUID is listed"
	;;
no-driver)
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 3 s"
	expect 'rdinit: no block devices were seen' "no disk was seen"
	expect 'rdinit: devices with no driver in the image:' "the screen lists devices with no driver"
	expect 'rdinit:   virtio:d00000002v00001AF4' "the virtio block device's MODALIAS is listed"
	expect 'rdinit: hint: no disk appeared; add the drivers for the devices above to the image' "the hint points at the missing driver"
	;;
wrong-fstype)
	expect_emergency 'unable to mount /dev/vda1 \(254:1, type xfs, options ro\) on /sysroot: '
	expect 'rdinit: hint: rootfstype=xfs, but /dev/vda1 holds ext4' "the hint names the probed type"
	;;
bad-superblock)
	expect_emergency 'unable to mount /dev/vda1 \(254:1, type ext4, options ro\) on /sysroot: .*(superblock|wrong fs type)'
	;;
no-init)
	expect "rdinit: init=/sbin/nothing-here is not an executable file in the new root" "the missing init= is named"
	expect_emergency 'no executable init in the new root: tried init=/sbin/nothing-here, /sbin/init, /etc/init, /bin/init and /bin/sh'
	;;
panic-delay)
	expect 'rdinit: rebooting in 5 s \(panic=5\)' "panic=5 announces the reboot"
	expect 'reboot: Restarting system' "the kernel restarted the machine"
	said=$(grep -a 'rebooting in 5 s' "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
	done_at=$(grep -a 'reboot: Restarting system' "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
	if awk -v a="$said" -v b="$done_at" 'BEGIN { exit !(a != "" && b != "" && b - a >= 5 && b - a < 8) }'; then
		ok "the reboot came 5 s after the message ($said -> $done_at)"
	else
		not_ok "the reboot came 5 s after the message ($said -> $done_at)"
	fi
	;;
poweroff)
	expect 'rdinit: powering off \(rd.emergency=poweroff\)' "rd.emergency=poweroff announces it"
	expect 'reboot: Power down' "the kernel powered the machine off"
	reject 'Restarting system' "it did not reboot"
	;;
resume-image)
	expect_booted /dev/vda1 ro
	expect "rdinit: resume=PARTUUID=$ROOT_PARTUUID, as /etc/rdinit/resume says" "the image's resume device is read"
	expect "rdinit: resume=PARTUUID=$ROOT_PARTUUID: /dev/vda1 holds no hibernation image \\(TYPE=ext4\\): booting fresh" "a device without an image is said, and the boot goes on"
	;;
unsigned-module)
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 3 s"
	expect "rdinit: unable to load module virtio_blk \(/lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko\) for virtio:d00000002v00001AF4: Key was rejected by service" "the refusal is logged when it happens"
	expect 'rdinit: modules in the image that could not be loaded:' "the screen lists the refused modules"
	expect "rdinit:   virtio_blk for virtio:d00000002v00001AF4: /lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko: Key was rejected by service" "the screen names the module, its file and the error"
	expect 'rdinit: hint: the kernel refused the signature of virtio_blk \(Key was rejected by service\): .*module.sig_enforce=1 is set' "the hint is the signature, not a missing driver"
	reject 'hint: no disk appeared; add the drivers' "the screen does not say to add the driver"
	rm -rf "$vm/modules-$scenario"
	;;
no-console)
	expect 'Warning: unable to open an initial console' "the kernel found no /dev/console in the image"
	expect 'rdinit: boot failed: no root= on the kernel command line' "the boot cannot go on"
	expect '^realinit: stdin=open$' "the shell rdinit starts has a stdin: /dev/console, opened by /init"
	reject '^realinit: stdin=closed$' "no shell started with its stdin closed"
	starts=$(grep -ac '^realinit: pid=' "$log" 2>/dev/null) || true
	if [ "$starts" -ge 2 ] && [ "$starts" -le 8 ]; then
		ok "a shell that exits at once is started again, waiting longer each time ($starts starts in $qemu_timeout s)"
	else
		not_ok "a shell that exits at once is started again, waiting longer each time ($starts starts in $qemu_timeout s)"
	fi
	;;
noexec)
	expect_emergency 'the new root on /sysroot is mounted noexec \(rootflags=noexec\): no init of it could run'
	reject 'rdinit: freed the initramfs' "nothing of the initramfs was freed"
	reject 'rdinit: unable to execute' "no exec was tried"
	;;
leftovers)
	expect_booted /dev/vda1 ro
	expect '^realinit: process [0-9]+ @linger-kept$' "a process named @... outlives the initramfs"
	reject '^realinit: process [0-9]+ linger-(left|stubborn)' "the image's other processes do not"
	expect 'rdinit: ended 2 process\(es\) the image started, before the switch: linger-(left|stubborn)\[[0-9]+\], linger-(left|stubborn)\[[0-9]+\] \(1 killed after 1000 ms\); 1 kept' "rdinit names them, and the one that ignored SIGTERM was killed"
	;;
hostile-label)
	expect_emergency "root=PARTLABEL=no-such-label did not appear within 3 s"
	expect 'rdinit:   /dev/vda1 .*PARTLABEL="x\\x1b\]0;owned\\x07\\x1b\[2Jy"' "the label is shown with its control bytes as \\xNN"
	if ! have_log || grep -a 'rdinit:' "$log" | grep -q $'\033'; then not_ok "no escape byte of the label reaches the console"; else ok "no escape byte of the label reaches the console"; fi
	;;
hook-env)
	expect_booted /dev/vda1 ro
	expect "^hook-env: RDINIT_ROOT=UUID=$ROOT_UUID$" "a hook gets rdinit's RDINIT_ROOT, not the command line's"
	reject '^hook-env: RDINIT_ROOT=/dev/evil' "the command line's RDINIT_ROOT is not passed on"
	reject '^hook-env: LD_PRELOAD=' "nor LD_PRELOAD"
	expect '^hook-env: PATH=/usr/sbin:/usr/bin:/sbin:/bin$' "PATH is the image's"
	expect '^hook-env: rdinit_test_env=kept$' "the rest of the kernel's environment is passed on"
	expect 'rdinit: hooks do not get LD_PRELOAD from the kernel' "what was dropped is said"
	expect '^hook-run: tmpfs /run tmpfs rw,nosuid,nodev(,[a-z0-9=]+)*,mode=755' "/run is tmpfs rw,nosuid,nodev, mode 0755"
	reject '^hook-run: .*(relatime|noatime)' "/run is strictatime, as systemd wants it"
	expect '^hook-initrd-release: ID=rdinit$' "the image carries /etc/initrd-release"
	;;
sata-duplicate)
	# The copy is behind ahci, whose load ends 330 ms after the virtio disk's (the link probes of five
	# empty ports): the match waits for it, and sees both.
	expect '\] sd 0:0:0:0: \[sda\] ' "the copy is a SATA disk"
	expect_emergency "root=UUID=$ROOT_UUID is ambiguous: /dev/(vda1|sda2) and /dev/(vda1|sda2) both match; "
	reject 'ms root device /dev/vda1 found' "it was seen before the root search ended"
	;;
late-duplicate)
	expect '^dup: attached /dup.img' "the duplicate appeared in a pre-mount hook"
	expect_emergency "root=UUID=$ROOT_UUID is ambiguous: /dev/vda1, found first, and /dev/loop[0-9] both match"
	;;
settle-duplicate)
	expect '^dup: attached /dup.img' "the duplicate appeared just after the root"
	expect_emergency "root=UUID=$ROOT_UUID is ambiguous: /dev/(vda1|loop[0-9]) and /dev/(vda1|loop[0-9]) both match; "
	reject 'ms root device /dev/vda1 found' "it was seen while the devices settled, before the root search ended"
	;;
uevent-flood)
	expect_emergency "root=UUID=$absent_uuid did not appear within 2 s"
	waiting=$(grep -a 'rdinit: waiting up to 2 s for root=' "$log" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
	gave_up=$(grep -a 'rdinit: boot failed: root=' "$log" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
	if awk -v a="$waiting" -v b="$gave_up" 'BEGIN { exit !(a != "" && b != "" && b - a < 8) }'; then
		ok "the flood did not hold PID 1 past rd.timeout=2 ($waiting -> $gave_up; the flood lasts 25 s)"
	else
		not_ok "the flood did not hold PID 1 past rd.timeout=2 ($waiting -> $gave_up; the flood lasts 25 s)"
	fi
	;;
separate-usr)
	expect_booted /dev/vda1 ro
	expect "rdinit: timeline: \+[0-9]+ ms /usr mounted: /dev/block/254:16 \(/dev/vdb\) on /sysroot/usr type ext4 \(defaults,ro\)" \
		"/usr, from the root's fstab, is mounted from vdb by its number, read-only as the root"
	expect '^realinit: kmsg rdinit: timeline: \+[0-9]+ ms exec /sbin/init' "/sbin/init, a link into /usr, is the init"
	expect 'rdinit: fsck: checking /dev/vda1 \(ext4\): e2fsck -a /dev/vda1' "the fsck hook checked the root at pre-mount"
	expect 'rdinit: fsck: /dev/vdb is clean \(e2fsck exit status 0\)' "and /usr, at pre-mount-usr"
	expect_order "/usr was checked before its mount" 'rdinit: fsck: checking /dev/vdb \(ext4\): e2fsck -a /dev/vdb' 'ms /usr mounted: '
	expect_order "after the root's mount (its fstab names /usr)" 'ms root mounted: ' 'rdinit: fsck: checking /dev/vdb '
	;;
usr-duplicate)
	expect_emergency "/usr on UUID=$usr_uuid \($(sed 's/[./]/\\&/g' <<<"/sysroot/etc/fstab")\) is ambiguous: /dev/vd[bc] and /dev/vd[bc] both match; refusing to guess"
	reject 'ms /usr mounted' "neither was mounted"
	;;
usr-absent)
	expect_emergency "/usr on UUID=$absent_uuid \(mount.usr=\) did not appear within 3 s"
	reject 'rdinit: freed the initramfs' "nothing of the initramfs was freed"
	;;
driver-blacklist)
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 3 s"
	expect 'rdinit: not loading virtio_blk for virtio:d00000002v00001AF4: blacklisted \(rd.driver.blacklist=\)' "the blacklisted driver is named, and by what"
	said=$(grep -ac 'rdinit: not loading virtio_blk' "$log")
	if [ "$said" -eq 1 ]; then ok "it is said once"; else not_ok "it is said once ($said times)"; fi
	reject 'rdinit: unable to load' "nothing was refused by the kernel: the module was never tried"
	;;
modprobe-blacklist-dep)
	expect 'rdinit: not loading ext4 for (fs-)?ext4: it needs mbcache, which is blacklisted \(modprobe.d or modprobe.blacklist=\)' "the image's modprobe.d keeps out a dependency, and ext4 with it"
	expect_emergency 'unable to mount /dev/vda1 \(254:1, type ext4, options ro\) on /sysroot: '
	reject 'rdinit: unable to load module ext4' "ext4 was not tried without its dependency"
	;;
modprobe-blacklist-cmdline)
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 3 s"
	expect 'rdinit: not loading virtio_blk for virtio:d00000002v00001AF4: blacklisted \(modprobe.d or modprobe.blacklist=\)' "libkmod reads modprobe.blacklist= itself, and rdinit says what it kept out"
	;;
modprobe-install)
	expect_emergency "root=UUID=$ROOT_UUID did not appear within 3 s"
	expect 'rdinit: not loading virtio_blk for virtio:d00000002v00001AF4: modprobe.d gives virtio_blk an install command, and rdinit runs none' "the install command is not run, and said"
	;;
driver-pre)
	expect_booted /dev/vda1 ro
	expect 'rdinit: rd.driver.pre=loop: loaded 1 module\(s\)' "rd.driver.pre= loaded loop, which no device asks for"
	expect '\] loop: module loaded' "the kernel says loop is loaded"
	expect_order "before the coldplug" 'rdinit: rd.driver.pre=loop: loaded' 'rdinit: timeline: .* coldplug from /sys'
	;;
coldplug-others)
	expect_booted /dev/vda1 ro
	expect 'rdinit: timeline: .* coldplug from /sys: [1-9][0-9]* devices with a driver alias' "the devices there before the monitor were read from /sys"
	reject 'rdinit: uevent add /devices/pci0000:00/0000:00:1f.3$' "no synthetic add event was asked for (the SMBus controller was there before the monitor)"
	expect 'rdinit: loaded [0-9]* module\(s\) for pci:v00008086d00002930.*bc0Csc05' "the SMBus controller's driver, off the disk's path, was loaded"
	expect '\] i801_smbus 0000:00:1f.3' "the kernel bound it"
	# A CPU has no modalias attribute: its alias is only in its uevent file. Its drivers are off the
	# disk's path too (ext4's softdep brings its crc32c-intel): the idle child loads them.
	expect 'rdinit: loaded [1-9][0-9]* module\(s\) for cpu:type:x86,' "the CPU's feature drivers (crct10dif-pclmul) were loaded"
	expect_order "after the disk's driver (in /dev/kmsg's order)" '^realinit: kmsg rdinit: loaded [0-9]* module\(s\) for pci:.*bc01sc00' \
		'^realinit: kmsg rdinit: loaded [1-9][0-9]* module\(s\) for cpu:type:x86,'
	expect_order "the disk's driver first, in PID 1" 'rdinit: loaded [0-9]* module\(s\) for pci:.*bc01sc00' 'rdinit: loaded [0-9]* module\(s\) for pci:.*bc0Csc05'
	reject 'rdinit: timeline: .* [0-9]+ driver-loading children done' "one controller's drivers (virtio_pci): no child for them"
	# rd.settle_ms=1500: the CPU idles after the root matched, and the idle child gets to every device.
	expect 'rdinit: timeline: .* drivers off the disk.s path loaded beside the boot; waited [0-9]* ms' "PID 1 waited for that child before the switch, which had loaded them all"
	;;
coldplug-others-stop)
	# The busy hook keeps the one CPU from the idle child until the root is mounted: at the switch it has
	# not got to every device, and PID 1 stops it rather than wait for drivers no one needs to boot.
	expect_booted /dev/vda1 ro
	expect 'uevent-noise: busy until the root is mounted' "the busy hook ran"
	expect 'rdinit: timeline: .* drivers off the disk.s path: stopped their child at the switch; waited [0-9]* ms \(the real system.s udev loads the rest\)' "PID 1 stopped the idle child, and said what is left to whom"
	reject 'rdinit: timeline: .* drivers off the disk.s path loaded beside the boot' "it did not wait for all of them"
	reject 'rdinit: boot failed' "the boot went on"
	;;
coldplug-controllers)
	# Two CPUs; q35's AHCI controller (six empty SATA ports, whose link probes ahci's load waits for) and
	# the virtio disk's: a child each; the root on virtio does not wait behind ahci. (With one CPU PID 1
	# loads them all: children would only cost forks.)
	expect_booted /dev/vda1 ro
	expect 'rdinit: timeline: .* [3-9] driver-loading children done; waited [0-9]* ms' "the AHCI and virtio drivers loaded in a child each, and virtio_blk for the disk's event"
	expect '\] ahci 0000:00:1f.2: AHCI ' "the kernel bound ahci to the SATA controller"
	expect_order "PID 1 probed the virtio root while ahci was still loading" \
		'^realinit: kmsg rdinit: block device /dev/vda1 ' \
		'^realinit: kmsg rdinit: loaded [0-9]+ module\(s\) for pci:v00008086d00002922.*bc01sc06'
	expect_order "and the match counted once ahci was done (a second disk root= names could be behind it)" \
		'^realinit: kmsg rdinit: loaded [0-9]+ module\(s\) for pci:v00008086d00002922.*bc01sc06' \
		'^realinit: kmsg rdinit: timeline: .* [3-9] driver-loading children done' \
		'^realinit: kmsg rdinit: timeline: .* root device /dev/vda1 found'
	;;
driver-post)
	expect_booted /dev/vda1 ro
	expect 'rdinit: not loading virtio_blk for virtio:d00000002v00001AF4 yet: rd.driver.post= loads it once the uevents settled' "the coldplug's virtio_blk is held back"
	expect 'rdinit: rd.driver.post=virtio_blk: loaded [0-9]+ module\(s\)' "then rd.driver.post= loads it"
	# In the order of /dev/kmsg, as the real init read it: debug messages do not reach the console.
	expect_order "held, then loaded, then the root appeared" '^realinit: kmsg rdinit: not loading virtio_blk for .* yet' \
		'^realinit: kmsg rdinit: rd.driver.post=virtio_blk: loaded' '^realinit: kmsg rdinit: timeline: .* root device /dev/vda1 found'
	;;
absent)
	expect_emergency "root=UUID=$absent_uuid did not appear within 5 s"
	expect "rdinit:   /dev/vda1 .*UUID=$ROOT_UUID .*PARTLABEL=\"$ROOT_PARTLABEL\"" "the disk that was seen is listed with its identifiers"
	;;
esac

# Nothing but a read-write mount may change a disk: not a failed boot, not a read-only one (and a boot that
# left no log proves nothing of it).
if ! grep -aqE '^realinit: root .* options=rw' "$log" 2>/dev/null; then
	for i in "${!disks[@]}"; do
		if have_log && [ "$(sha256sum <"${disks[$i]}")" = "${before_sums[$i]}" ]; then
			ok "disk $i is byte-identical after the boot"
		else
			not_ok "disk $i is byte-identical after the boot"
		fi
	done
fi
rm -f "${disks[@]}"

echo "1..$count"
[ "$failed" -eq 0 ]
