#!/usr/bin/env bash
# Tier (c): resume from hibernation, three boots of one disk (root ext4 on partition 1, swap on 2, written
# by each boot in turn):
#   1. the real init swaps on partition 2 and hibernates (realinit.hibernate=254:2): the swap then holds
#      an image (libblkid: TYPE=swsuspend);
#   2. resume= with noresume: a fresh boot, the image left alone;
#   3. resume=UUID= of the swap: rdinit has the kernel restore the image before mounting anything, and the
#      hibernated real init goes on ("resumed from hibernation").
# Usage: test/vm/resume_test.sh   (environment from qemu/prepare, as test/vm/boot.sh). TAP output; the serial
# logs are kept in $RDINIT_BUILD/vm/resume-N.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/qemu/disk.env"
if [ -z "${RDINIT_VMLINUZ:-}" ] || [ -z "${RDINIT_IMAGE:-}" ]; then
	echo "1..0 # SKIP no kernel or image: run through test/run"
	exit 0
fi
vm=${RDINIT_BUILD:-$top/build}/vm
# ok, not_ok, expect, reject and new_log: a missing or empty serial log fails every check of it.
. "$top/test/vm/tap.sh"

disk=$vm/resume-disk.img
"$top/qemu/mkdisk" --size 192 --swap 128 "$vm/resume-template.img" "${RDINIT_BUILD:-$top/build}/qemu/realinit" 2>/dev/null
cp --sparse=always "$vm/resume-template.img" "$disk"
swap_start=$(sfdisk -d "$disk" | sed -n 's/.*2 : start= *\([0-9]*\),.*/\1/p')
swap_type() { blkid -p -o value -s TYPE -O $((swap_start * 512)) "$disk"; }

boot() { # N CMDLINE: one boot of the disk, writable; the log in $log (that of an earlier run removed first).
	new_log "$vm/resume-$1.log"
	local status=0
	"$top/qemu/boot" --kernel "$RDINIT_VMLINUZ" --initrd "$RDINIT_IMAGE" --disk "$disk" --write \
		--append "rdinit=/init root=UUID=$ROOT_UUID $2 panic=-1" --log "$log" --timeout 240 || status=$?
	# Each boot ends by itself: hibernation powers the machine off, the real init's end reboots it (panic=-1).
	if [ "$status" -eq 0 ]; then ok "boot $1: QEMU ended on its own"; else not_ok "boot $1: QEMU ended on its own (exit $status)"; fi
	reject 'Attempted to kill init|Kernel panic' "boot $1: PID 1 never exited, no panic"
}

if [ "$(swap_type)" = swap ]; then ok "the disk's partition 2 is a swap area"; else not_ok "the disk's partition 2 is a swap area ($(swap_type))"; fi

boot 1 "realinit.hibernate=254:2"
expect '^realinit: hibernating to 254:2$' "boot 1: the real init hibernates"
expect 'PM: hibernation: Image created' "boot 1: the kernel wrote the image"
reject '^realinit: done' "boot 1: and did not come back"
if [ "$(swap_type)" = swsuspend ]; then ok "the swap holds a hibernation image (TYPE=swsuspend)"; else not_ok "the swap holds a hibernation image ($(swap_type))"; fi

boot 2 "resume=UUID=$SWAP_UUID noresume"
expect "rdinit: noresume: not resuming from resume=UUID=$SWAP_UUID" "boot 2: noresume is said"
expect '^realinit: pid=1$' "boot 2: a fresh boot: the real init starts from the beginning"
reject 'realinit: resumed from hibernation|PM: Image loading' "boot 2: nothing was resumed"
if [ "$(swap_type)" = swsuspend ]; then ok "boot 2 left the image alone"; else not_ok "boot 2 left the image alone ($(swap_type))"; fi

boot 3 "resume=UUID=$SWAP_UUID"
expect 'rdinit: timeline: \+[0-9]+ ms resuming from /dev/vda2 \(254:2\)' "boot 3: rdinit resumes from the swap resume= names"
expect 'PM: Image loading done' "boot 3: the kernel read the image"
expect '^realinit: resumed from hibernation$' "boot 3: the hibernated real init goes on"
# Nothing of the machine was mounted (or checked) between boot 3's start and the restore.
before=$(sed -n '1,/resuming from \/dev\/vda2/p' "$log" 2>/dev/null) || true
if ! grep -q 'resuming from /dev/vda2' <<<"$before" || grep -qE 'EXT4-fs \(vda1\): mounted|e2fsck' <<<"$before"; then
	not_ok "boot 3: no filesystem was mounted before the resume"
else
	ok "boot 3: no filesystem was mounted before the resume"
fi
run=$(grep -a 'Run /init as init process' "$log" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
loaded=$(grep -a 'PM: Image loading done' "$log" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p') || true
[ -z "$run" ] || [ -z "$loaded" ] || echo "# timing: Run /init -> image loaded $(awk -v a="$run" -v b="$loaded" 'BEGIN { printf "%d", (b - a) * 1000 }') ms"
rm -f "$disk"
echo "1..$count"
[ "$failed" -eq 0 ]
