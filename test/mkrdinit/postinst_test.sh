#!/bin/bash
# Tests mkrdinit/kernel-postinst.d/rdinit and kernel-postrm.d/rdinit as Debian's kernel packages call them
# (run-parts --arg=KVER --arg=/boot/vmlinuz-KVER, DEB_MAINT_PARAMS set), with a configuration that points at
# this build and a /boot made here.
#
# Usage: postinst_test.sh MKRDINIT SOURCE_DIR
# Needs RDINIT_MODULES_DIR and RDINIT_KVER (a kernel's modules); without them exits 77, meson's skip.
set -u

mkrdinit=${1:?usage: postinst_test.sh MKRDINIT SOURCE_DIR}
top=$(cd "${2:?usage: postinst_test.sh MKRDINIT SOURCE_DIR}" && pwd)
[[ $mkrdinit == */* ]] && mkrdinit=$(cd "$(dirname "$mkrdinit")" && pwd)/$(basename "$mkrdinit")
if [[ -z ${RDINIT_MODULES_DIR:-} || -z ${RDINIT_KVER:-} ]]; then
	echo "1..0 # SKIP RDINIT_MODULES_DIR and RDINIT_KVER are not set (no kernel modules to test with)"
	exit 0
fi
postinst=$top/mkrdinit/kernel-postinst.d/rdinit
postrm=$top/mkrdinit/kernel-postrm.d/rdinit

tmp=$(mktemp -d "${TMPDIR:-/tmp}/postinst-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=test/mkrdinit/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check_stderr=$tmp/stderr

mkdir -p "$tmp/boot"
: >"$tmp/boot/vmlinuz-$RDINIT_KVER"
printf '#!/bin/sh\n' >"$tmp/init"
cat >"$tmp/mkrdinit.conf" <<EOF
MKRDINIT=$mkrdinit
RDINIT_INIT=$tmp/init
HOOKS_DIR=$top/hooks
HOOKS="base virtio ext4"
COMPRESS=gzip
MODULES_DIR=$RDINIT_MODULES_DIR
RESCUE_SHELL_HASH_FROM=$tmp/hash
EOF
# Not the build machine's root: its hash may be locked, or unreadable to this user.
hash='$6$rdinitsalt$hla3BFEPgQSfduwOKpvc18Iw8shPIwKMYnqdpO6MhZTWgl0s9sGAgQGOQr6NmNdhMZITiGjVptAzElAFFvpUt/'
printf '%s\n' "$hash" >"$tmp/hash"
export RDINIT_CONF=$tmp/mkrdinit.conf
image=$tmp/boot/rdinit.img-$RDINIT_KVER

# run SCRIPT ARGS...: leaves the exit status in $rc, standard error in $tmp/stderr.
run() {
	"$@" 2>"$tmp/stderr"
	rc=$?
}

run env DEB_MAINT_PARAMS="'configure' ''" "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "postinst KVER /boot/vmlinuz-KVER (configure): exit 0 and /boot/rdinit.img-KVER" \
	test "$rc" -eq 0 -a -s "$image"
check "the image is for KVER" \
	bash -c "[[ \$(image_main '$image' | cpio -i --to-stdout --quiet etc/rdinit/kernel-version) == '$RDINIT_KVER' ]]"
check "the image has the configured hooks' modules and /init" \
	bash -c "image_main '$image' | cpio -it --quiet | grep -q '/virtio_blk\.ko$' && image_main '$image' | cpio -it --quiet | grep -qx init"
check "by default the rescue shell asks for a password, checked against the hash given" \
	bash -c "[[ \$(image_main '$image' | cpio -i --to-stdout --quiet etc/rdinit/shell) == password &&
		\$(image_main '$image' | cpio -i --to-stdout --quiet etc/rdinit/shell-hash) == '$hash' ]]"
check "and the image, which holds the hash, is 0600" test "$(stat -c %a "$image")" = 600

rm -f "$image"
run env DEB_MAINT_PARAMS="'upgrade' '6.1.0-1'" "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "a step other than configure builds nothing" test "$rc" -eq 0 -a ! -e "$image"

run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "run by hand (no DEB_MAINT_PARAMS), it builds" test "$rc" -eq 0 -a -s "$image"

printf 'RESCUE_SHELL=never\n' >>"$tmp/mkrdinit.conf"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "RESCUE_SHELL=never: no shell, no hash" \
	bash -c "[[ $rc -eq 0 && \$(image_main '$image' | cpio -i --to-stdout --quiet etc/rdinit/shell) == never ]] &&
		! image_main '$image' | cpio -it --quiet | grep -q shell-hash"
sed -i '$d' "$tmp/mkrdinit.conf"

run "$postinst"
check "no KVER: exit 2, naming the problem" bash -c "[[ $rc -eq 2 ]] && grep -q 'passed no kernel version' '$tmp/stderr'"

printf 'MKRDINIT=/nonexistent/mkrdinit\n' >>"$tmp/mkrdinit.conf"
rm -f "$image"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "mkrdinit not installed: nothing to do, exit 0, saying so" \
	bash -c "[[ $rc -eq 0 && ! -e '$image' ]] && grep -q 'is not installed' '$tmp/stderr'"

sed -i '$d' "$tmp/mkrdinit.conf"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
cp "$image" "$tmp/previous.img"
printf 'HOOKS="base no-such-hook"\n' >>"$tmp/mkrdinit.conf"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "mkrdinit fails: exit 1, the previous image kept" \
	bash -c "[[ $rc -eq 1 ]] && cmp -s '$image' '$tmp/previous.img' && grep -q 'unable to build $image' '$tmp/stderr'"

# postrm: the kernel package runs it at every step of its postrm; only remove and purge mean the kernel is gone.
for step in "'upgrade' '6.1.0-2'" "'failed-upgrade' '6.1.0-2'" "'abort-install'" "'abort-upgrade' '6.1.0-2'" \
	"'disappear' 'other' '1'"; do
	run env DEB_MAINT_PARAMS="$step" "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "postrm at $step: exit 0, the image kept" bash -c "[[ $rc -eq 0 ]] && cmp -s '$image' '$tmp/previous.img'"
done
for step in remove purge; do
	cp "$tmp/previous.img" "$image"
	run env DEB_MAINT_PARAMS="'$step'" "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "postrm at $step: the image removed" test "$rc" -eq 0 -a ! -e "$image"
done
cp "$tmp/previous.img" "$image"
run "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "postrm run by hand (no DEB_MAINT_PARAMS) removes the image" test "$rc" -eq 0 -a ! -e "$image"
run "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "postrm with no image: exit 0" test "$rc" -eq 0

# The kernel-install plugin, against a staging area of its own (as kernel-install makes it).
plugin=$top/mkrdinit/kernel-install.d/50-rdinit.install
sed -i '$d' "$tmp/mkrdinit.conf" # the no-such-hook line
staging=$tmp/staging
install_run() { # ENV... -- ARGS...: the plugin with a fresh staging area
	rm -rf "$staging" && mkdir -p "$staging"
	local envs=()
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	run env RDINIT_POSTINST="$postinst" RDINIT_BOOT_DIR="$tmp/no-boot" KERNEL_INSTALL_STAGING_AREA="$staging" \
		${envs[@]+"${envs[@]}"} "$plugin" "$@"
}
install_run -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "kernel-install add: the image in the staging area's initrd, for KVER" \
	bash -c "[[ $rc -eq 0 ]] && [[ \$(image_main '$staging/initrd' | cpio -i --to-stdout --quiet etc/rdinit/kernel-version) == '$RDINIT_KVER' ]]"
check "built with the kernel hook's configuration (its hooks, the password shell)" \
	bash -c "[[ \$(image_main '$staging/initrd' | cpio -i --to-stdout --quiet etc/rdinit/shell) == password ]] &&
		image_main '$staging/initrd' | cpio -it --quiet | grep -q '/virtio_blk\.ko$'"
check "and nothing else left in the staging area" test "$(ls -A "$staging")" = initrd
for case in "KERNEL_INSTALL_INITRD_GENERATOR=dracut -- add" "KERNEL_INSTALL_IMAGE_TYPE=uki -- add" \
	"KERNEL_INSTALL_VERBOSE=1 -- add-initrd" "KERNEL_INSTALL_VERBOSE=1 -- remove"; do
	install_run ${case% --*} -- ${case#*-- } "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "kernel-install ${case}: steps aside (exit 0, no initrd)" bash -c "[[ $rc -eq 0 && ! -e '$staging/initrd' ]]"
done
install_run -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER" "$tmp/other-initrd"
check "kernel-install add with an initrd given: steps aside" bash -c "[[ $rc -eq 0 && ! -e '$staging/initrd' ]]"
rm -rf "$staging" && mkdir -p "$staging" && echo other >"$staging/initrd"
run env RDINIT_POSTINST="$postinst" KERNEL_INSTALL_STAGING_AREA="$staging" "$plugin" add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "an initrd another plugin wrote is left alone" bash -c "[[ $rc -eq 0 && \$(cat '$staging/initrd') == other ]]"
mkdir -p "$tmp/made" && echo "made by the hook" >"$tmp/made/rdinit.img-$RDINIT_KVER"
chmod 0600 "$tmp/made/rdinit.img-$RDINIT_KVER" && touch -d '+1 hour' "$tmp/made/rdinit.img-$RDINIT_KVER"
install_run RDINIT_BOOT_DIR="$tmp/made" -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "the kernel hook's image, newer than the modules, is taken as it is" \
	bash -c "[[ $rc -eq 0 ]] && cmp -s '$staging/initrd' '$tmp/made/rdinit.img-$RDINIT_KVER'"
check "with its mode (0600: it may hold the shell's hash)" test "$(stat -c %a "$staging/initrd")" = 600
printf 'HOOKS="base no-such-hook"\n' >>"$tmp/mkrdinit.conf"
install_run -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "mkrdinit fails: exit 1, saying so (kernel-install then fails)" \
	bash -c "[[ $rc -eq 1 ]] && grep -q 'unable to make the image for kernel $RDINIT_KVER' '$tmp/stderr'"
install_run KERNEL_INSTALL_STAGING_AREA= -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "no staging area: exit 1, naming what is missing" \
	bash -c "[[ $rc -eq 1 ]] && grep -q 'KERNEL_INSTALL_STAGING_AREA' '$tmp/stderr'"

tap_done
