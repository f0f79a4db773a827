#!/usr/bin/env bash
# Tier (c): one QEMU boot of Debian's kernel through rdinit per scenario, checked on the serial log.
#
# Usage: test/vm/boot.sh SCENARIO   (the environment from qemu/prepare: RDINIT_VMLINUZ, RDINIT_IMAGE,
#                                    RDINIT_DISK; test/run sets it. Without it the test is skipped.)
# Output is TAP; the serial log is kept in $RDINIT_BUILD/vm/SCENARIO.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/qemu/disk.env"
scenario=${1:?usage: boot.sh SCENARIO}

if [ -z "${RDINIT_VMLINUZ:-}" ] || [ -z "${RDINIT_IMAGE:-}" ] || [ -z "${RDINIT_DISK:-}" ]; then
	echo "1..0 # SKIP no kernel, image or disk: run through test/run"
	exit 0
fi

count=0 failed=0
ok() { count=$((count + 1)); echo "ok $count - $1"; }
not_ok() { count=$((count + 1)); failed=$((failed + 1)); echo "not ok $count - $1"; }
# expect/reject PATTERN DESCRIPTION: an extended regexp that must (not) be in the log.
expect() { if grep -aqE -- "$1" "$log"; then ok "$2"; else not_ok "$2 (no /$1/ in $log)"; fi; }
reject() { if grep -aqE -- "$1" "$log"; then not_ok "$2 (found /$1/ in $log)"; else ok "$2"; fi; }

absent_uuid=00000000-dead-beef-0000-000000000000
# Every boot: a crash of PID 1 reboots at once (panic=-1), which ends QEMU instead of hanging.
case $scenario in
uuid)         append="root=UUID=$ROOT_UUID panic=-1" ;;
devname-rw)   append="root=/dev/vda1 rw panic=-1" ;;
absent)       append="root=UUID=$absent_uuid rd.timeout=5 panic=1" ;;
*) echo "Bail out! unknown scenario $scenario"; exit 1 ;;
esac

log=${RDINIT_BUILD:-$top/build}/vm/$scenario.log
mkdir -p "$(dirname "$log")"
status=0
"$top/qemu/boot" --kernel "$RDINIT_VMLINUZ" --initrd "$RDINIT_IMAGE" --disk "$RDINIT_DISK" \
	--append "rdinit=/init $append" --log "$log" --timeout 240 || status=$?
if [ "$status" -eq 0 ]; then ok "QEMU ended on its own"; else not_ok "QEMU ended on its own (exit $status)"; fi
reject 'Attempted to kill init' "PID 1 never exited"
reject 'Kernel panic' "no kernel panic"

case $scenario in
uuid|devname-rw)
	expect '^realinit: pid=1$' "the real init runs as PID 1"
	expect '^realinit: argv=/sbin/init( |$)' "the real init got its own path as argv[0]"
	expect '^realinit: root source=/dev/vda1 fstype=ext4 ' "/ is /dev/vda1, ext4"
	if [ "$scenario" = uuid ]; then
		expect '^realinit: root .* options=ro(,|$)' "/ is mounted read-only (the default)"
	else
		expect '^realinit: root .* options=rw(,|$)' "/ is mounted read-write (rw)"
	fi
	expect '^realinit: kmsg rdinit: ' "rdinit's messages are in /dev/kmsg after the switch"
	expect '^realinit: kmsg rdinit: timeline: \+[0-9]+ ms root device /dev/vda1 found' "the timeline names the root device"
	expect '^realinit: kmsg rdinit: timeline: \+[0-9]+ ms exec /sbin/init' "the timeline reaches the exec"
	expect '^realinit: kmsg rdinit: freed the initramfs: [1-9][0-9]* entries' "the initramfs was freed"
	expect '^realinit: done' "the real init finished"
	;;
absent)
	expect "rdinit: boot failed: root=UUID=$absent_uuid did not appear within 5 s" "the emergency message names the missing root and the timeout"
	expect 'rdinit: block devices seen:' "the emergency message lists the devices seen"
	expect "rdinit:   /dev/vda1 .*UUID=$ROOT_UUID .*PARTLABEL=$ROOT_PARTLABEL" "the disk that was seen is listed with its identifiers"
	expect 'rdinit: rebooting in 1 s \(panic=1\)' "panic=1 reboots"
	reject '^realinit: pid=' "the real init never ran"
	;;
esac

echo "1..$count"
[ "$failed" -eq 0 ]
