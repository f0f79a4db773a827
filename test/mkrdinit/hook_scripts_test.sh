#!/bin/bash
# Tests the fsck hook's shell script as /init runs it: with busybox sh, the hook environment, and fake
# checkers that record their arguments and exit with the status a case asks for. (LVM is /init's lvm layer,
# tested in test/namespace/layers_test.c.)
#
# Usage: hook_scripts_test.sh HOOKS_DIR
#
# Each case runs in a private mount namespace (unshare -m; needs root, else a TAP skip), where
# /proc/cmdline is a file of the case's command line, /dev/kmsg a file that collects the messages, and /run and
# /lib/modules empty tmpfs; nothing of the machine's is touched. Needs busybox (Debian: busybox-static), else a
# TAP skip.
set -u

hooks_dir=${1:?usage: hook_scripts_test.sh HOOKS_DIR}
hooks_dir=$(cd "$hooks_dir" && pwd)
if [[ $(id -u) != 0 ]] || ! unshare -m true 2>/dev/null; then
	echo "1..0 # SKIP needs root and unshare -m (a private mount namespace)"
	exit 0
fi
busybox=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P busybox) || {
	echo "1..0 # SKIP needs busybox, the hooks' shell"
	exit 0
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hook-scripts-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=test/mkrdinit/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# Fake programs: each appends "NAME ARGS" to $tmp/calls and exits with $FAKE_STATUS.
mkdir -p "$tmp/bin"
for program in e2fsck fsck.vfat; do
	printf '#!/bin/sh\necho "%s $*" >>"$CALLS"\nexit "${FAKE_STATUS:-0}"\n' "$program" >"$tmp/bin/$program"
done
chmod 0755 "$tmp/bin"/*
# The hook's folder holds a file whose name a glob on the command line would turn into an option.
mkdir -p "$tmp/cwd"
touch "$tmp/cwd/rd.skipfsck"

# run_hook SCRIPT CMDLINE [VAR=VALUE...]: runs the hook; leaves $status, $calls (the fake programs' calls), $kmsg
# (the messages), $checked (whether /run/initramfs/fsck-root was made).
run_hook() {
	local script=$1 cmdline=$2
	shift 2
	printf '%s\n' "$cmdline" >"$tmp/cmdline"
	: >"$tmp/kmsg"
	: >"$tmp/calls"
	unshare -m --propagation private bash -c '
		dir=$1 busybox=$2 script=$3
		shift 3
		cd "$dir/cwd" || exit 99
		mount --bind "$dir/cmdline" /proc/cmdline && mount --bind "$dir/kmsg" /dev/kmsg && mount -t tmpfs tmpfs /run &&
			{ [ ! -d /lib/modules ] || mount -t tmpfs tmpfs /lib/modules; } || exit 99
		env -i PATH="$dir/bin:/usr/sbin:/usr/bin:/sbin:/bin" CALLS="$dir/calls" RDINIT_STAGE=test RDINIT_ROOT=LABEL=root \
			RDINIT_ROOT_DEVICE=/dev/fakeroot RDINIT_ROOT_FSTYPE=ext4 RDINIT_SYSROOT=/sysroot RDINIT_READ_WRITE=0 \
			"$@" "$busybox" sh "$script"
		status=$?
		[ -e /run/initramfs/fsck-root ] && echo checked >"$dir/checked"
		exit $status
	' hook "$tmp" "$busybox" "$script" "$@" >"$tmp/output" 2>&1
	status=$?
	calls=$(cat "$tmp/calls")
	kmsg=$(cat "$tmp/kmsg")
	checked=no
	[[ -e $tmp/checked ]] && checked=yes
	rm -f "$tmp/checked"
}

# expect DESCRIPTION STATUS CALLS CHECKED KMSG-REGEXP: the last run exited STATUS, the fakes were called as CALLS
# (exactly), /run/initramfs/fsck-root exists as CHECKED says, and a message matches KMSG-REGEXP.
expect() {
	local description=$1 want_status=$2 want_calls=$3 want_checked=$4 want_kmsg=$5
	if [[ $status -eq $want_status && $calls == "$want_calls" && $checked == "$want_checked" ]] &&
		grep -qE -- "$want_kmsg" <<<"$kmsg"; then
		pass "$description"
	else
		fail "$description" "status $status (expected $want_status), calls '$calls' (expected '$want_calls')," \
			"fsck-root: $checked (expected $want_checked), messages:" "$kmsg" "(expected /$want_kmsg/)" \
			"output: $(cat "$tmp/output")"
	fi
}

fsck=$hooks_dir/fsck/50-fsck
run_hook "$fsck" "root=LABEL=root ro" FAKE_STATUS=0
expect "fsck: a clean filesystem (0): e2fsck -a, the boot goes on, fsck-root for systemd" 0 \
	"e2fsck -a /dev/fakeroot" yes '^<6>rdinit: fsck: /dev/fakeroot is clean \(e2fsck exit status 0\)$'
check_line='^<6>rdinit: fsck: checking /dev/fakeroot \(ext4\): e2fsck -a /dev/fakeroot$'
if grep -qE -- "$check_line" <<<"$kmsg"; then pass "fsck: says what it runs"; else fail "fsck: says what it runs" "$kmsg"; fi
run_hook "$fsck" "" FAKE_STATUS=1
expect "fsck: errors corrected (1): the boot goes on" 0 "e2fsck -a /dev/fakeroot" yes \
	'^<5>rdinit: fsck: e2fsck corrected errors on /dev/fakeroot \(exit status 1\); going on$'
for code in 2 3; do
	run_hook "$fsck" "" FAKE_STATUS=$code
	expect "fsck: reboot advised ($code): a warning, the boot goes on" 0 "e2fsck -a /dev/fakeroot" yes \
		"^<4>rdinit: fsck: e2fsck corrected errors on /dev/fakeroot and advises a reboot \(exit status $code\)"
done
for code in 4 8 12 32; do
	run_hook "$fsck" "" FAKE_STATUS=$code
	expect "fsck: exit status $code: the hook fails with it, for the emergency screen" $code "e2fsck -a /dev/fakeroot" no \
		"^<3>rdinit: fsck: e2fsck -a /dev/fakeroot exited with status $code"
done
run_hook "$fsck" "quiet fsck.mode=force ro"
expect "fsck: fsck.mode=force adds -f" 0 "e2fsck -a -f /dev/fakeroot" yes 'is clean'
run_hook "$fsck" "fsck.repair=yes"
expect "fsck: fsck.repair=yes is -y" 0 "e2fsck -y /dev/fakeroot" yes 'is clean'
run_hook "$fsck" "fsck.repair=no"
expect "fsck: fsck.repair=no is -n" 0 "e2fsck -n /dev/fakeroot" yes 'is clean'
run_hook "$fsck" "fsck.mode=skip" FAKE_STATUS=4
expect "fsck: fsck.mode=skip checks nothing" 0 "" no 'not checking /dev/fakeroot: fsck.mode=skip'
run_hook "$fsck" "rd.skipfsck" FAKE_STATUS=4
expect "fsck: rd.skipfsck checks nothing" 0 "" no 'not checking /dev/fakeroot: fsck.mode=skip'
run_hook "$fsck" "rd.skipfs?k" FAKE_STATUS=0
expect "fsck: command-line words are not globbed (rd.skipfs?k next to a file rd.skipfsck)" 0 \
	"e2fsck -a /dev/fakeroot" yes 'is clean'
run_hook "$fsck" "" RDINIT_ROOT_FSTYPE=vfat
expect "fsck: vfat is checked with fsck.vfat" 0 "fsck.vfat -a /dev/fakeroot" yes 'is clean \(fsck.vfat exit status 0\)'
run_hook "$fsck" "" RDINIT_ROOT_FSTYPE=xfs FAKE_STATUS=4
expect "fsck: xfs is left to the kernel" 0 "" no 'not checking /dev/fakeroot: xfs is checked by the kernel as it mounts'
run_hook "$fsck" "" RDINIT_ROOT_FSTYPE=rdinittestfs FAKE_STATUS=4
expect "fsck: no checker in the image: not checked, the boot goes on" 0 "" no \
	'^<4>rdinit: fsck: not checking /dev/fakeroot: the image has no fsck.rdinittestfs for rdinittestfs$'
run_hook "$fsck" "" RDINIT_ROOT_DEVICE=
expect "fsck: no root device: nothing to check" 0 "" no 'no root device named'

tap_done
