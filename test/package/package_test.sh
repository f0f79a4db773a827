#!/usr/bin/env bash
# The Debian package, as a user gets it: built with dpkg-buildpackage from a copy of the source tree, checked
# with lintian, then installed into a real Debian 12 root (qemu/realroot's mmdebstrap tarball) in a chroot with
# Debian's own kernels' modules, where its postinst must build each kernel's images, a kernel's removal and
# installation (the kernel packages' run-parts) and a change of settings must keep the record of images right,
# and `apt-get purge` must leave the root as it was before the install, with an image it did not make untouched.
#
# Usage: package_test.sh SOURCE_DIR BUILD_DIR
# Needs root (the chroot, the root's owners) and RDINIT_KVER, RDINIT_MODULES_DIR (from test/run; a second kernel
# from RDINIT_TRIXIE_KVER, RDINIT_TRIXIE_MODULES_DIR when set); skips without them, and the chroot's part when
# no Debian root can be had (offline, nothing cached). The package is built once per content of the source
# tree: BUILD_DIR/package/HASH/ keeps it, and BUILD_DIR/package/images/ the two images its postinst made for
# RDINIT_KVER (test/package/images prints their paths). PACKAGE_KEEP=1 keeps the chroot (its path is printed).
set -uo pipefail

top=$(cd "${1:?usage: package_test.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: package_test.sh SOURCE_DIR BUILD_DIR}" && pwd)
# shellcheck source=test/mkrdinit/tap.sh
source "$top/test/mkrdinit/tap.sh"
[[ $(id -u) == 0 ]] || skip_all "needs root (a chroot, files owned by root)"
[[ -n ${RDINIT_KVER:-} && -d ${RDINIT_MODULES_DIR:-}/${RDINIT_KVER:-} ]] ||
	skip_all "RDINIT_MODULES_DIR and RDINIT_KVER name no kernel's modules (run through test/run)"
# shellcheck source=deps/common.sh
source "$top/deps/common.sh"
need_packages debhelper dpkg-dev lintian zstd cpio man-db >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/package-test.XXXXXX") || exit 99
cleanup() {
	if [[ ${PACKAGE_KEEP:-} == 1 ]]; then
		echo "# kept: $tmp" >&2
	else
		# Never across a mount: the chroot's are in namespaces of their own, gone with them, but should one be
		# left, /dev is not removed through it.
		rm -rf --one-file-system "$tmp"
	fi
}
trap cleanup EXIT
check_stderr=$tmp/stderr
: >"$check_stderr"
started=$SECONDS
timing=()
lap() { timing+=("$1 $((SECONDS - lap_start)) s"); lap_start=$SECONDS; }
lap_start=$SECONDS

# --- the package, built once per source tree -------------------------------------------------------------
version=$(sed -n '1s/^rdinit (\([^)]*\)).*/\1/p' "$top/debian/changelog")
mapfile -d '' files < <(cd "$top" && git ls-files -z -co --exclude-standard 2>/dev/null)
[[ ${#files[@]} -gt 0 ]] || { echo "Bail out! no files from git ls-files in $top"; exit 1; }
# The cross file and the musl libraries' stamps go into /init as much as the sources do.
hash=$( (cd "$top" && printf '%s\0' "${files[@]}" | xargs -0 sha256sum; cat "$RDINIT_CROSS" "$RDINIT_MUSL"/.stamp-* 2>/dev/null) |
	sha256sum | cut -c1-16)
cache=$build/package/$hash
deb=$cache/rdinit_${version}_amd64.deb
if [[ ! -s $deb ]]; then
	rm -rf "$build/package"
	mkdir -p "$build/package/src/rdinit-$version" "$cache"
	(cd "$top" && printf '%s\0' "${files[@]}" | xargs -0 cp --parents -t "$build/package/src/rdinit-$version")
	(cd "$build/package/src/rdinit-$version" && dpkg-buildpackage -us -uc -b) >"$build/package/build.log" 2>&1
	status=$?
	mv "$build/package/src/"*.deb "$build/package/src/"*.changes "$cache/" 2>/dev/null
	cp "$build/package/build.log" "$cache/"
	rm -rf "$build/package/src"
	if [[ $status != 0 || ! -s $deb ]]; then
		fail "dpkg-buildpackage -us -uc -b builds rdinit_${version}_amd64.deb" "exit $status; the log's end:" \
			"$(tail -n 15 "$cache/build.log")"
		rm -rf "$cache"
		tap_done
		exit 1
	fi
	lap "dpkg-buildpackage"
else
	lap "the package (cached in $cache)"
fi
pass "dpkg-buildpackage -us -uc -b builds rdinit_${version}_amd64.deb ($(stat -c %s "$deb") bytes)"
echo "# package: $deb"

# What is in it.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's,^\./,/,' >"$tmp/contents"
for path in /usr/lib/rdinit/init /usr/sbin/mkrdinit /usr/share/rdinit/hooks/base/manifest \
	/usr/share/rdinit/hooks/fsck/manifest /etc/rdinit/mkrdinit.conf /etc/kernel/postinst.d/rdinit \
	/etc/kernel/postrm.d/rdinit /usr/lib/kernel/install.d/50-rdinit.install /etc/grub.d/42_rdinit \
	/usr/share/man/man8/mkrdinit.8.gz /usr/share/man/man7/rdinit.7.gz; do
	check "the package has $path" grep -qxF "$path" "$tmp/contents"
done
hooks_in_repo=$(cd "$top/hooks" && find . -type f | sed 's,^\.,/usr/share/rdinit/hooks,' | sort)
check "every file of hooks/ is in /usr/share/rdinit/hooks" \
	bash -c "[[ -z \$(comm -23 <(printf '%s\n' '$hooks_in_repo') <(sort '$tmp/contents')) ]]"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles" 2>/dev/null
check "its conffiles are mkrdinit.conf, the kernel hooks and the GRUB script" \
	test "$(sort "$tmp/conffiles" | tr '\n' ' ')" = \
	"/etc/grub.d/42_rdinit /etc/kernel/postinst.d/rdinit /etc/kernel/postrm.d/rdinit /etc/rdinit/mkrdinit.conf "
mkdir -p "$tmp/deb"
dpkg-deb -x "$deb" "$tmp/deb"
check "/usr/lib/rdinit/init is the static /init (test/unit/static_init.sh)" \
	bash -c "bash '$top/test/unit/static_init.sh' '$tmp/deb/usr/lib/rdinit/init' >'$tmp/stderr' 2>&1"
# The configuration file: the hook's defaults, commented out; uncommented, it builds exactly what no file does.
conf=$tmp/deb/etc/rdinit/mkrdinit.conf
check "mkrdinit.conf sets nothing: every setting is a comment" bash -c "! grep -v '^#' '$conf' | grep -q ."
defaults=$(sed -n 's/^\(  *\)\{0,1\}\([A-Z_]*\)=\(.*\)$/\2=\3/p' "$top/mkrdinit/kernel-postinst.d/rdinit" |
	grep -E '^(MKRDINIT|RDINIT_INIT|HOOKS_DIR|HOOKS|COMPRESS|HOST_ONLY|IMAGE_NAME|RESCUE_SHELL)=' | sort -u)
commented=$(sed -n 's/^#\([A-Z_]*=.*\)$/\1/p' "$conf" | sort)
check "and each of its settings shows the hook's default" \
	bash -c "[[ -z \$(comm -23 <(printf '%s\n' '$defaults') <(printf '%s\n' '$commented')) ]]"
for page in man8/mkrdinit.8 man7/rdinit.7; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$tmp/deb/usr/share/man/$page.gz" >"$tmp/${page#*/}" 2>"$tmp/stderr"
	check "${page#*/} renders without a warning from groff" test ! -s "$tmp/stderr" -a -s "$tmp/${page#*/}"
done
: >"$tmp/stderr"
check "mkrdinit(8) has mkrdinit --help's options and exit status, README's hooks and Debian hooks" \
	bash -c "grep -q -- '--host-only' '$tmp/mkrdinit.8' && grep -q '^EXIT STATUS' '$tmp/mkrdinit.8' &&
		grep -q 'usb-storage' '$tmp/mkrdinit.8' && grep -q '/etc/kernel/postinst.d/rdinit' '$tmp/mkrdinit.8'"
check "rdinit(7) has the kernel command line's table and the rescue shell's policies" \
	bash -c "grep -q 'rd.driver.blacklist=' '$tmp/rdinit.7' && grep -q '^WHO GETS A SHELL' '$tmp/rdinit.7'"

# A README section the pages are made of, renamed: the build fails, naming it, rather than drop it silently.
sed 's/^## Kernel command line$/## Command line/' "$top/README.md" >"$tmp/README.md"
python3 "$top/debian/mkman" rdinit.7 "$tmp/README.md" >/dev/null 2>"$tmp/stderr"
status=$?
check "debian/mkman with a README that lacks a section: exit 1, naming it" \
	bash -c "[[ $status == 1 ]] && grep -q 'no section \"## Kernel command line\"' '$tmp/stderr'"

# The GRUB script, with GRUB's own grub-mkconfig_lib (grub-common) and a stand-in grub-probe for a made-up disk.
need_packages grub-common >&2
grub=$tmp/grub
mkdir -p "$grub/boot"
for f in vmlinuz-6.1.0-1-amd64 rdinit.img-6.1.0-1-amd64 rdinit-fallback.img-6.1.0-1-amd64 vmlinuz-6.12.0-1-amd64 \
	rdinit-fallback.img-6.12.0-1-amd64 initrd.img-6.12.0-1-amd64 rdinit.img-6.9.0-gone; do
	echo "$f" >"$grub/boot/$f"
done
cat >"$grub/grub-probe" <<'PROBE'
#!/bin/sh
for arg; do
	case $arg in
	--target=fs) echo ext4 ;;
	--target=fs_uuid) echo 0a1b2c3d-0000-4000-8000-000000000001 ;;
	--target=partmap) echo gpt ;;
	--target=compatibility_hint) echo hd0,gpt2 ;;
	--target=abstraction | --target=hints_string) ;;
	esac
done
PROBE
chmod 0755 "$grub/grub-probe"
env RDINIT_BOOT_DIR="$grub/boot" grub_probe="$grub/grub-probe" grub_mkrelpath=grub-mkrelpath GRUB_DEVICE=/dev/sda2 \
	GRUB_DEVICE_UUID=0a1b2c3d-0000-4000-8000-000000000001 GRUB_DISTRIBUTOR=Debian GRUB_CMDLINE_LINUX_DEFAULT=quiet \
	sh "$tmp/deb/etc/grub.d/42_rdinit" >"$grub/grub.cfg" 2>"$tmp/stderr"
status=$?
rel=$(grub-mkrelpath "$grub/boot")
check "/etc/grub.d/42_rdinit: exit 0, a grub.cfg that grub-script-check takes" \
	bash -c "[[ $status == 0 ]] && grub-script-check '$grub/grub.cfg'"
check "one entry per rdinit image with a kernel, newest kernel first, none for initrd.img (10_linux's)" \
	test "$(sed -n "s/^menuentry '\([^']*\)'.*\\\$menuentry_id_option '\([^']*\)'.*/\2/p" "$grub/grub.cfg" | tr '\n' ' ')" = \
	"rdinit-fallback-6.12.0-1-amd64 rdinit-6.1.0-1-amd64 rdinit-fallback-6.1.0-1-amd64 "
check "each boots its kernel with root=UUID= and the image as its initrd" \
	bash -c "grep -qxF \"	linux	$rel/vmlinuz-6.1.0-1-amd64 root=UUID=0a1b2c3d-0000-4000-8000-000000000001 ro  quiet\" '$grub/grub.cfg' &&
		grep -qxF \"	initrd	$rel/rdinit-fallback.img-6.12.0-1-amd64\" '$grub/grub.cfg' &&
		grep -qxF \"	search --no-floppy --fs-uuid --set=root 0a1b2c3d-0000-4000-8000-000000000001\" '$grub/grub.cfg'"
while IFS= read -r line; do echo "# 42_rdinit: $line"; done <"$grub/grub.cfg"

# lintian: no error (the overrides in debian/rdinit.lintian-overrides say why each is not one).
lintian --pedantic --fail-on error "$deb" >"$tmp/lintian" 2>"$tmp/stderr"
status=$?
check "lintian reports no error" test "$status" -eq 0
# What it says, overridden tags too (their reasons on the N: lines).
lintian --pedantic --show-overrides "$deb" >"$tmp/lintian" 2>/dev/null
while IFS= read -r line; do echo "# lintian: $line"; done <"$tmp/lintian"
lap "the package's checks and lintian"

# --- installed into a real Debian root ---------------------------------------------------------------------
tarball=$RDINIT_CACHE/realroot/bookworm.tar
if [[ ! -s $tarball ]]; then
	status=0
	"$top/qemu/realroot" bookworm "$tmp/realroot.img" 2>"$tmp/realroot.err" || status=$?
	rm -f "$tmp/realroot.img" "$tmp/realroot.img.stamp"
	if [[ $status == 3 ]]; then
		skip "installed into Debian 12" "$(tail -n 1 "$tmp/realroot.err")"
		tap_done
		exit
	elif [[ $status != 0 || ! -s $tarball ]]; then
		fail "qemu/realroot bookworm made $tarball" "$(tail -n 3 "$tmp/realroot.err")"
		tap_done
		exit 1
	fi
fi
root=$tmp/root
mkdir "$root"
tar -xf "$tarball" -C "$root" --numeric-owner || { echo "Bail out! unable to unpack $tarball"; exit 1; }
kernels=("$RDINIT_KVER")
modules_dirs=("$RDINIT_MODULES_DIR")
vmlinuzes=("${RDINIT_VMLINUZ:-}")
if [[ -n ${RDINIT_TRIXIE_KVER:-} && -d ${RDINIT_TRIXIE_MODULES_DIR:-}/${RDINIT_TRIXIE_KVER:-} ]]; then
	kernels+=("$RDINIT_TRIXIE_KVER") modules_dirs+=("$RDINIT_TRIXIE_MODULES_DIR") vmlinuzes+=("${RDINIT_TRIXIE_VMLINUZ:-}")
fi
mkdir -p "$root/usr/lib/modules"
for i in "${!kernels[@]}"; do
	# Hard links where the cache is on the same filesystem: nothing in the chroot writes them.
	cp -al "${modules_dirs[$i]}/${kernels[$i]}" "$root/usr/lib/modules/" 2>/dev/null ||
		cp -a "${modules_dirs[$i]}/${kernels[$i]}" "$root/usr/lib/modules/"
	if [[ -f ${vmlinuzes[$i]} ]]; then cp "${vmlinuzes[$i]}" "$root/boot/vmlinuz-${kernels[$i]}"; else : >"$root/boot/vmlinuz-${kernels[$i]}"; fi
done
# A kernel's modules without its kernel image: no image for it. And an image the package did not make.
mkdir -p "$root/usr/lib/modules/0.0.0-modules-only"
echo "made by hand" >"$root/boot/rdinit.img-0.0.0-by-hand"
# update-grub, as GRUB installs it: the postinst and the purge must run it.
mkdir -p "$root/boot/grub"
: >"$root/boot/grub/grub.cfg"
printf '#!/bin/sh\necho "update-grub $*" >>/tmp/update-grub.calls\n' >"$root/usr/sbin/update-grub"
chmod 0755 "$root/usr/sbin/update-grub"
cp "$deb" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# apt's lists and archives, kept between runs in the cache: the dependencies install offline once fetched.
apt_cache=$RDINIT_CACHE/package/apt
mkdir -p "$apt_cache/lists/partial" "$apt_cache/archives/partial"
lap "the Debian 12 root"

# in_root COMMAND...: COMMAND in the chroot, with /proc, /sys, /dev and the root itself as a mount of its own
# (mkrdinit --host-only finds '/' in mountinfo), in a private mount namespace that takes them all away after.
in_root() {
	unshare --mount --propagation private -- sh -c '
		root=$1 apt=$2; shift 2
		mount --bind "$root" "$root" && mount -t proc proc "$root/proc" && mount -t sysfs sysfs "$root/sys" &&
			mount --rbind /dev "$root/dev" && mount --bind "$apt/lists" "$root/var/lib/apt/lists" &&
			mount --bind "$apt/archives" "$root/var/cache/apt/archives" && exec chroot "$root" "$@"' sh "$root" "$apt_cache" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# files: the root's paths, less what dpkg and the system keep changing (dpkg's database and logs, caches,
# /tmp), and the mount points' insides.
files() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./run \
		-o -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache -o -path ./var/tmp \) -prune -o -print | sort)
}
# image_list IMAGE: the paths in an image (past an early microcode archive), one a line.
image_list() { image_main "$1" | cpio -it --quiet 2>/dev/null; }

# The package's dependencies first (busybox, libarchive, ...: what the root lacks), from Debian's archive.
depends=$(dpkg-deb -f "$deb" Depends)
in_root apt-get -o APT::Sandbox::User=root update -qq >"$tmp/apt.log" 2>&1 || echo "# apt-get update failed: taking the lists cached in $apt_cache"
if ! in_root apt-get -o APT::Sandbox::User=root satisfy -y -qq --no-install-recommends "$depends" >>"$tmp/apt.log" 2>&1; then
	skip "installed into Debian 12" "unable to install its dependencies in the root: $(tail -n 1 "$tmp/apt.log")"
	tap_done
	exit
fi
pass "the package's dependencies install in the root (apt-get satisfy '$depends')"
files >"$tmp/before"

# As README says: apt install ./rdinit_VERSION_amd64.deb (its dependencies are there: nothing else comes).
in_root apt-get -o APT::Sandbox::User=root install -y --no-install-recommends "/tmp/${deb##*/}" >"$tmp/stderr" 2>&1
status=$?
check "apt-get install ./rdinit_${version}_amd64.deb: exit 0" test "$status" -eq 0
cp "$tmp/stderr" "$tmp/install.log"
lap "apt-get install (the postinst builds ${#kernels[@]} kernels' images)"
for kver in "${kernels[@]}"; do
	image=$root/boot/rdinit.img-$kver fallback=$root/boot/rdinit-fallback.img-$kver
	check "the postinst made /boot/rdinit.img-$kver and /boot/rdinit-fallback.img-$kver" test -s "$image" -a -s "$fallback"
	check "both are images for $kver with /init and the hooks' programs" \
		bash -c "for i in '$image' '$fallback'; do
			[[ \$(image_main \"\$i\" | cpio -i --to-stdout --quiet etc/rdinit/kernel-version) == '$kver' ]] || exit 1
			image_main \"\$i\" | cpio -it --quiet | grep -qx init || exit 1
			image_main \"\$i\" | cpio -it --quiet | grep -qx bin/busybox || exit 1
		done"
	image_list "$image" | grep -c '\.ko' >"$tmp/n-host"
	image_list "$fallback" | grep -c '\.ko' >"$tmp/n-generic"
	check "rdinit.img-$kver is host-only ($(cat "$tmp/n-host") modules), the fallback generic ($(cat "$tmp/n-generic"), nvme among them)" \
		bash -c "[[ \$(cat '$tmp/n-host') -lt \$(cat '$tmp/n-generic') ]] && image_main '$fallback' | cpio -it --quiet | grep -q '/nvme\.ko' &&
			! image_main '$image' | cpio -it --quiet | grep -q '/nvme\.ko'"
	check "the images ask for root's password (RESCUE_SHELL=password) and are 0600" \
		bash -c "[[ \$(image_main '$image' | cpio -i --to-stdout --quiet etc/rdinit/shell) == password && \$(stat -c %a '$image') == 600 ]]"
done
# Kept for a boot (test/package/images prints where): the images the package's postinst made for this kernel.
rm -rf "$build/package/images" && mkdir -p "$build/package/images"
cp "$root/boot/rdinit.img-$RDINIT_KVER" "$root/boot/rdinit-fallback.img-$RDINIT_KVER" "$build/package/images/"
check "no image for a kernel whose /boot/vmlinuz is missing" bash -c "! ls '$root'/boot/*0.0.0-modules-only* 2>/dev/null"
check "the record lists the ${#kernels[@]} kernels' 2 images each" test "$(wc -l <"$root/var/lib/rdinit/images")" -eq $((2 * ${#kernels[@]}))
check "the postinst ran update-grub" grep -qx 'update-grub ' "$root/tmp/update-grub.calls"
in_root mkrdinit -k "$RDINIT_KVER" -D RDINIT_INIT=/usr/lib/rdinit/init -o /tmp/bare.img base ext4 >"$tmp/stderr" 2>&1
check "mkrdinit finds the packaged hooks by their bare names" test $? -eq 0 -a -s "$root/tmp/bare.img"
check "dpkg knows mkrdinit.conf as a conffile" \
	bash -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' rdinit | grep -q '/etc/rdinit/mkrdinit.conf'"

# A kernel removed, then installed again, as its package's maintainer scripts run the hooks.
if [[ ${#kernels[@]} -gt 1 ]]; then
	k=${kernels[1]}
	in_root env DEB_MAINT_PARAMS="'remove'" run-parts --arg="$k" --arg="/boot/vmlinuz-$k" /etc/kernel/postrm.d >"$tmp/stderr" 2>&1
	check "kernel $k removed (postrm.d, remove): its images gone, the record without them" \
		bash -c "[[ ! -e '$root/boot/rdinit.img-$k' && ! -e '$root/boot/rdinit-fallback.img-$k' ]] && ! grep -q '^$k ' '$root/var/lib/rdinit/images' &&
			[[ -s '$root/boot/rdinit.img-${kernels[0]}' ]]"
	in_root env DEB_MAINT_PARAMS="'configure' ''" run-parts --arg="$k" --arg="/boot/vmlinuz-$k" /etc/kernel/postinst.d >"$tmp/stderr" 2>&1
	check "kernel $k installed (postinst.d, configure): both images again, recorded" \
		bash -c "[[ -s '$root/boot/rdinit.img-$k' && -s '$root/boot/rdinit-fallback.img-$k' ]] && [[ \$(grep -c '^$k ' '$root/var/lib/rdinit/images') == 2 ]]"
fi

# HOST_ONLY=no, then dpkg-reconfigure: one generic image per kernel, the fallbacks removed.
sed -i 's/^#HOST_ONLY=yes$/HOST_ONLY=no/' "$root/etc/rdinit/mkrdinit.conf"
in_root dpkg-reconfigure rdinit >"$tmp/stderr" 2>&1
status=$?
check "HOST_ONLY=no and dpkg-reconfigure rdinit: exit 0" test "$status" -eq 0
check "one generic image per kernel now (nvme in it), no fallback, the record saying so" \
	bash -c "for k in ${kernels[*]}; do [[ ! -e '$root'/boot/rdinit-fallback.img-\$k ]] || exit 1
		image_main '$root'/boot/rdinit.img-\$k | cpio -it --quiet | grep -q '/nvme\.ko' || exit 1; done
		[[ \$(wc -l <'$root/var/lib/rdinit/images') == ${#kernels[@]} ]]"

# IMAGE_NAME=initrd with initramfs-tools installed is refused (a stand-in update-initramfs).
sed -i 's/^#IMAGE_NAME=rdinit$/IMAGE_NAME=initrd/' "$root/etc/rdinit/mkrdinit.conf"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/sbin/update-initramfs" && chmod 0755 "$root/usr/sbin/update-initramfs"
in_root /etc/kernel/postinst.d/rdinit "$RDINIT_KVER" "/boot/vmlinuz-$RDINIT_KVER" >"$tmp/stderr" 2>&1
status=$?
check "IMAGE_NAME=initrd while initramfs-tools is installed: exit 1, naming it, no initrd.img written" \
	bash -c "[[ $status == 1 && ! -e '$root/boot/initrd.img-$RDINIT_KVER' ]] && grep -q 'initramfs-tools is installed' '$tmp/stderr'"
rm -f "$root/usr/sbin/update-initramfs"
in_root /etc/kernel/postinst.d/rdinit "$RDINIT_KVER" "/boot/vmlinuz-$RDINIT_KVER" >"$tmp/stderr" 2>&1
status=$?
check "without it: /boot/initrd.img-KVER, recorded, and rdinit.img-KVER (no longer made) removed" \
	bash -c "[[ $status == 0 && -s '$root/boot/initrd.img-$RDINIT_KVER' && ! -e '$root/boot/rdinit.img-$RDINIT_KVER' ]] &&
		grep -q '^$RDINIT_KVER [0-9a-f]\{64\} /boot/initrd.img-$RDINIT_KVER\$' '$root/var/lib/rdinit/images'"
lap "kernel hooks and settings in the root"

# remove keeps the conffiles and the images; purge takes everything the package made, and only that.
in_root apt-get remove -y rdinit >"$tmp/stderr" 2>&1
status=$?
check "apt-get remove rdinit: exit 0, the programs gone, the conffiles and images kept" \
	bash -c "[[ $status == 0 && ! -e '$root/usr/sbin/mkrdinit' && ! -e '$root/usr/lib/rdinit/init' ]] &&
		[[ -f '$root/etc/rdinit/mkrdinit.conf' && -f '$root/etc/kernel/postinst.d/rdinit' && -s '$root/boot/initrd.img-$RDINIT_KVER' ]]"
: >"$root/tmp/update-grub.calls"
# An image the record names that another generator has written over since: the purge must keep it.
other=${kernels[${#kernels[@]} - 1]}
echo "another generator's" >"$root/boot/rdinit.img-$other"
in_root apt-get purge -y rdinit >"$tmp/stderr" 2>&1
status=$?
check "apt-get purge rdinit: exit 0, dpkg forgetting it" \
	bash -c "[[ $status == 0 ]] && ! chroot '$root' dpkg-query -W rdinit >/dev/null 2>&1"
check "the purge ran update-grub" grep -qx 'update-grub ' "$root/tmp/update-grub.calls"
check "the image the package did not make is still there" grep -qx 'made by hand' "$root/boot/rdinit.img-0.0.0-by-hand"
check "and so is a recorded one written over since, the purge saying so" \
	bash -c "grep -qx \"another generator's\" '$root/boot/rdinit.img-$other' && grep -q 'keeping /boot/rdinit.img-$other' '$tmp/stderr'"
rm -f "$root/boot/rdinit.img-$other"
files >"$tmp/after"
check "after the purge the root's files are those before the install" \
	bash -c "diff '$tmp/before' '$tmp/after' >'$tmp/stderr'"
lap "apt-get remove, purge"

# The fallback image the postinst made (the generic one: the host-only one has this machine's root
# drivers, which the VM may lack) boots the real Debian root to multi-user.target, as the vm suite's
# vm-real-bookworm boots the kernel hook's image: its checks, run on the image kept above.
if [ -n "${RDINIT_VMLINUZ:-}" ]; then
	"$top/test/vm/realroot_test.sh" bookworm "$build/package/images/rdinit-fallback.img-$RDINIT_KVER" >"$tmp/boot.tap" 2>&1
	status=$?
	check "the package's fallback image boots Debian 12 with systemd to multi-user.target ($(grep -c '^ok' "$tmp/boot.tap") checks of test/vm/realroot_test.sh)" \
		bash -c "[[ $status == 0 ]] && grep -q '^ok .*multi-user.target was reached' '$tmp/boot.tap' && ! grep -q '^not ok' '$tmp/boot.tap'"
	grep '^not ok\|^Bail\|SKIP' "$tmp/boot.tap" | sed 's/^/#   /' || true
	lap "a boot of the fallback image"
fi

echo "# timing: ${timing[*]}; total $((SECONDS - started)) s"
tap_done
