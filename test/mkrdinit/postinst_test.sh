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
HOST_ONLY=no
EOF
# Not the build machine's root: its hash may be locked, or unreadable to this user.
hash='$6$rdinitsalt$hla3BFEPgQSfduwOKpvc18Iw8shPIwKMYnqdpO6MhZTWgl0s9sGAgQGOQr6NmNdhMZITiGjVptAzElAFFvpUt/'
printf '%s\n' "$hash" >"$tmp/hash"
export RDINIT_CONF=$tmp/mkrdinit.conf
# The record of images made, in a state folder of the test's own (the package's is /var/lib/rdinit).
mkdir -p "$tmp/state"
export RDINIT_STATE_DIR=$tmp/state
# recorded: the record's lines as "KVER PATH" (less the SHA-256 between them).
recorded() { sed 's/^\([^ ]*\) [^ ]* /\1 /' "$RDINIT_STATE_DIR/images"; }
export -f recorded
image=$tmp/boot/rdinit.img-$RDINIT_KVER
fallback=$tmp/boot/rdinit-fallback.img-$RDINIT_KVER

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

# HOST_ONLY=yes (the hook's default): a host-only IMAGE and a generic FALLBACK_IMAGE, both recorded.
rm -f "$image" "$tmp/state/images"
sed -i '/^HOST_ONLY=/d; /no-such-hook/d' "$tmp/mkrdinit.conf"
# modules: the .ko paths in a gzip image, one a line.
modules() { image_main "$1" | cpio -it --quiet | grep '\.ko' | sort; }
export -f modules
if [[ $(findmnt -no SOURCE / 2>/dev/null) == /dev/* ]]; then
	printf 'HOOKS="base virtio sata ext4"\n' >>"$tmp/mkrdinit.conf"
	run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "by default (HOST_ONLY=yes): exit 0, /boot/rdinit.img-KVER and /boot/rdinit-fallback.img-KVER" \
		test "$rc" -eq 0 -a -s "$image" -a -s "$fallback"
	check "the image is host-only, the fallback generic (ahci among its modules, not in the host-only one)" \
		bash -c "grep -q 'host-only' '$tmp/stderr' && [[ \$(modules '$image' | wc -l) -lt \$(modules '$fallback' | wc -l) ]] &&
			image_main '$fallback' | cpio -it --quiet | grep -q '/ahci\.ko' && ! image_main '$image' | cpio -it --quiet | grep -q '/ahci\.ko'"
	check "both recorded in the state folder, each once" \
		test "$(recorded | sort | tr '\n' ' ')" = "$(printf '%s\n' "$RDINIT_KVER $image" "$RDINIT_KVER $fallback" | sort | tr '\n' ' ')"
	check "each with the SHA-256 of what was written" \
		bash -c "grep -qxF \"$RDINIT_KVER \$(sha256sum <'$image' | cut -d' ' -f1) $image\" '$tmp/state/images' &&
			grep -qxF \"$RDINIT_KVER \$(sha256sum <'$fallback' | cut -d' ' -f1) $fallback\" '$tmp/state/images'"
	run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "built again: still recorded once each" test "$(wc -l <"$tmp/state/images")" -eq 2
	cp "$image" "$tmp/host-only.img" && cp "$fallback" "$tmp/fallback.img"
	run env RDINIT_SYSFS="$tmp/no-sysfs" "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "no sysfs mounted (a chroot): a generic IMAGE, saying so, and the recorded fallback removed" \
		bash -c "[[ $rc -eq 0 && ! -e '$fallback' ]] && grep -q 'is not mounted (a chroot?)' '$tmp/stderr' &&
			image_main '$image' | cpio -it --quiet | grep -q '/ahci\.ko' && [[ \$(recorded) == '$RDINIT_KVER $image' ]]"
	cp "$tmp/host-only.img" "$image" && cp "$tmp/fallback.img" "$fallback"
	printf '%s %s %s\n' "$RDINIT_KVER" "$(sha256sum <"$image" | cut -d' ' -f1)" "$image" \
		"$RDINIT_KVER" "$(sha256sum <"$fallback" | cut -d' ' -f1)" "$fallback" >"$tmp/state/images"
	sed -i '$d' "$tmp/mkrdinit.conf"
else
	skip "HOST_ONLY=yes: a host-only image and a generic fallback" "'/' is not on a block device here ($(findmnt -no SOURCE / 2>/dev/null))"
	cp "$tmp/previous.img" "$image" && cp "$tmp/previous.img" "$fallback"
	sum=$(sha256sum <"$image" | cut -d' ' -f1)
	printf '%s %s %s\n' "$RDINIT_KVER" "$sum" "$image" "$RDINIT_KVER" "$sum" "$fallback" >"$tmp/state/images"
fi

# HOST_ONLY=no: IMAGE alone, generic; the fallback an earlier run made and recorded is removed, and forgotten.
printf 'HOST_ONLY=no\n' >>"$tmp/mkrdinit.conf"
echo "not the hook's" >"$tmp/boot/rdinit-fallback.img-0.0.0-other"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "HOST_ONLY=no: exit 0, a generic IMAGE (virtio_blk from the hook's list), the recorded fallback removed" \
	bash -c "[[ $rc -eq 0 && -s '$image' && ! -e '$fallback' ]] && image_main '$image' | cpio -it --quiet | grep -q '/virtio_blk\.ko$' &&
		! grep -q 'host-only' '$tmp/stderr' && grep -q 'removing $fallback' '$tmp/stderr'"
check "the record holds IMAGE alone; an unrecorded image of another kernel is untouched" \
	bash -c "[[ \$(recorded) == '$RDINIT_KVER $image' && -s '$tmp/boot/rdinit-fallback.img-0.0.0-other' ]]"

# IMAGE_NAME=initrd: /boot/initrd.img-KVER, refused while initramfs-tools' update-initramfs is there.
printf '#!/bin/sh\nexit 0\n' >"$tmp/update-initramfs" && chmod 0755 "$tmp/update-initramfs"
printf 'IMAGE_NAME=initrd\n' >>"$tmp/mkrdinit.conf"
run env RDINIT_UPDATE_INITRAMFS="$tmp/update-initramfs" "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "IMAGE_NAME=initrd with initramfs-tools installed: exit 1, saying why, nothing written" \
	bash -c "[[ $rc -eq 1 && ! -e '$tmp/boot/initrd.img-$RDINIT_KVER' && -s '$image' ]] && grep -q 'initramfs-tools is installed' '$tmp/stderr'"
run env RDINIT_UPDATE_INITRAMFS="$tmp/no-update-initramfs" "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "IMAGE_NAME=initrd without it: /boot/initrd.img-KVER, and rdinit.img-KVER (recorded, no longer made) removed" \
	bash -c "[[ $rc -eq 0 && -s '$tmp/boot/initrd.img-$RDINIT_KVER' && ! -e '$image' ]] &&
		[[ \$(recorded) == '$RDINIT_KVER $tmp/boot/initrd.img-$RDINIT_KVER' ]]"
run env DEB_MAINT_PARAMS="'remove'" "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "postrm at remove: the initrd.img removed, the record empty" \
	bash -c "[[ $rc -eq 0 && ! -e '$tmp/boot/initrd.img-$RDINIT_KVER' && ! -s '$tmp/state/images' ]]"
sed -i '$d' "$tmp/mkrdinit.conf"
printf 'IMAGE_NAME=dracut\n' >>"$tmp/mkrdinit.conf"
run "$postinst" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "IMAGE_NAME=dracut: exit 1, naming the setting" bash -c "[[ $rc -eq 1 ]] && grep -q 'IMAGE_NAME=dracut' '$tmp/stderr'"
sed -i '$d' "$tmp/mkrdinit.conf"

# postrm removes what the record names for KVER (an IMAGE set to another path then), and the fallback.
echo x >"$tmp/elsewhere.img" && echo x >"$fallback" && echo x >"$image" && echo y >"$tmp/overwritten.img"
x=$(sha256sum <"$tmp/elsewhere.img" | cut -d' ' -f1)
printf '%s %s %s\n' "$RDINIT_KVER" "$x" "$tmp/elsewhere.img" "$RDINIT_KVER" "$x" "$tmp/overwritten.img" \
	0.0.0-other "$x" "$tmp/boot/rdinit-fallback.img-0.0.0-other" >"$tmp/state/images"
run env DEB_MAINT_PARAMS="'purge'" "$postrm" "$RDINIT_KVER" "$tmp/boot/vmlinuz-$RDINIT_KVER"
check "postrm: KVER's recorded image, IMAGE and the fallback removed; another kernel's kept, and its record line" \
	bash -c "[[ $rc -eq 0 && ! -e '$tmp/elsewhere.img' && ! -e '$fallback' && ! -e '$image' && -s '$tmp/boot/rdinit-fallback.img-0.0.0-other' ]] &&
		[[ \$(recorded) == '0.0.0-other $tmp/boot/rdinit-fallback.img-0.0.0-other' ]]"
check "but not a recorded image that no longer holds what was recorded (another generator's now)" \
	grep -qx y "$tmp/overwritten.img"

# The kernel-install plugin, against a staging area of its own (as kernel-install makes it).
plugin=$top/mkrdinit/kernel-install.d/50-rdinit.install
sed -i '/no-such-hook/d' "$tmp/mkrdinit.conf"
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
check "nothing recorded (kernel-install moves the initrd away)" \
	bash -c "[[ \$(recorded) == '0.0.0-other $tmp/boot/rdinit-fallback.img-0.0.0-other' ]]"
if [[ $(findmnt -no SOURCE / 2>/dev/null) == /dev/* ]]; then
	sed -i '/^HOST_ONLY=/d' "$tmp/mkrdinit.conf"
	install_run -- add "$RDINIT_KVER" "$tmp/entry" "$tmp/boot/vmlinuz-$RDINIT_KVER"
	check "with HOST_ONLY=yes: the initrd host-only, and no fallback made beside it" \
		bash -c "[[ $rc -eq 0 && -s '$staging/initrd' && ! -e '$fallback' && \$(ls -A '$staging') == initrd ]] && grep -q 'host-only' '$tmp/stderr'"
	printf 'HOST_ONLY=no\n' >>"$tmp/mkrdinit.conf"
else
	skip "kernel-install with HOST_ONLY=yes: no fallback beside its initrd" "'/' is not on a block device here"
fi
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
