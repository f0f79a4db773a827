#!/bin/bash
# Tests mkrdinit's early microcode archive through its command line.
#
# Usage: microcode_test.sh MKRDINIT fixture
#        microcode_test.sh MKRDINIT debian TOP
#
# fixture: a firmware folder of small fake blobs made here (intel-ucode/, amd-ucode/, with names the early loader
# does not read beside them). Checks that the image starts with an uncompressed newc archive listing exactly
# kernel, kernel/x86, kernel/x86/microcode and the two vendor files, 4-byte aligned and closed by TRAILER!!!, whose
# GenuineIntel.bin is every file of intel-ucode/ one after the other in the order of their names and
# AuthenticAMD.bin those of amd-ucode/microcode_amd*.bin; that the main archive (compressed or not) follows and
# unpacks; that the build is reproducible and follows SOURCE_DATE_EPOCH; --host-only with the CPU of a cpuinfo
# made here (--cpuinfo: Intel, AMD before and from family 15h, another vendor, a CPU without a blob);
# --no-microcode; a firmware folder without microcode (no archive, said in the summary, not an error); --list.
#
# debian: the same with Debian's intel-microcode and amd64-microcode (qemu/microcode fetches them into the cache
# through a private apt configuration); an offline machine without them cached skips ("1..0 # SKIP reason").
#
# Output is TAP.
set -u

mkrdinit=${1:?usage: microcode_test.sh MKRDINIT fixture|debian [TOP]}
mode=${2:-fixture}
top=${3:-}
[[ $mkrdinit == */* ]] && mkrdinit=$(cd "$(dirname "$mkrdinit")" && pwd)/$(basename "$mkrdinit")
unset SOURCE_DATE_EPOCH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkrdinit-microcode.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=test/mkrdinit/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

command -v cpio >/dev/null || skip_all "cpio is needed to read the images back"
command -v python3 >/dev/null || skip_all "python3 is needed to find where the main archive starts"

# run_mkrdinit ARGS...: $rc gets the exit status, $tmp/stderr the standard error.
run_mkrdinit() {
	"$mkrdinit" "$@" 2>"$tmp/stderr"
	rc=$?
	check_stderr=$tmp/stderr
}

# A hook of one file, and a module tree of no module (--host-only asks for the root's modules, all optional).
mkdir -p "$tmp/hooks/t" "$tmp/mods/lib/modules/0.0-test"
printf '#!/bin/sh\necho init\n' >"$tmp/hooks/t/init.sh"
printf 'file /init init.sh 0755 0 0\n' >"$tmp/hooks/t/manifest"
depmod -b "$tmp/mods" 0.0-test 2>/dev/null || /sbin/depmod -b "$tmp/mods" 0.0-test
# A root on a block device 254:1 that no driver claims, for --host-only.
mkdir -p "$tmp/sys/devices/virtual/block/vda1" "$tmp/sys/dev/block"
echo 254:1 >"$tmp/sys/devices/virtual/block/vda1/dev"
ln -s ../../devices/virtual/block/vda1 "$tmp/sys/dev/block/254:1"
printf '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n' >"$tmp/mountinfo"
host_only=(--host-only --sysfs "$tmp/sys" --mountinfo "$tmp/mountinfo" --crypttab /nonexistent
	--resume-conf /nonexistent --mdadm-conf /nonexistent -m "$tmp/mods/lib/modules" -k 0.0-test)

early_paths=$'kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/AuthenticAMD.bin\nkernel/x86/microcode/GenuineIntel.bin'

# member IMAGE PATH: PATH of IMAGE's early archive.
member() { image_early "$1" | cpio -i --to-stdout --quiet "$2"; }

# cpuinfo VENDOR FAMILY MODEL STEPPING: a /proc/cpuinfo of two processors (the second another CPU, which must
# not count), numbers in decimal as the kernel writes them.
cpuinfo() {
	local file=$tmp/cpuinfo-$1-$2-$3-$4
	printf 'processor\t: 0\nvendor_id\t: %s\ncpu family\t: %s\nmodel\t\t: %s\nmodel name\t: Test CPU\nstepping\t: %s\nflags\t\t: fpu\n\nprocessor\t: 1\nvendor_id\t: Other\ncpu family\t: 99\nmodel\t\t: 1\nstepping\t: 1\n\n' \
		"$1" "$2" "$3" "$4" >"$file"
	echo "$file"
}

# generic_checks FW INTEL_BLOBS AMD_BLOBS: a generic image from firmware folder FW, whose vendor files must be the
# INTEL_BLOBS and AMD_BLOBS (paths, in order) one after the other.
generic_checks() {
	local fw=$1 intel=$2 amd=$3 img=$tmp/generic.img
	run_mkrdinit -f "$fw" -c zstd -o "$img" "$tmp/hooks/t"
	if [[ $rc -ne 0 ]]; then
		fail "builds an image with microcode" "exit status $rc" "$(cat "$tmp/stderr")"
		return
	fi
	pass "builds an image with microcode"
	local size
	size=$(image_early_size "$img")
	check "the image starts with an uncompressed newc archive" \
		bash -c "[[ \$(head -c 6 '$img') == 070701 && $size -gt 0 ]]"
	check "the early archive lists exactly kernel/x86/microcode's folders and two files" \
		bash -c "[[ \$(image_early '$img' | cpio -it --quiet) == '$early_paths' ]]"
	check "its folders are 0755 root's, its files 0644 root's" \
		bash -c "image_early '$img' | cpio -itv --quiet --numeric-uid-gid | awk '{ print \$1, \$3, \$4 }' | sort -u |
			tr '\n' ' ' | grep -qx -- '-rw-r--r-- 0 0 drwxr-xr-x 0 0 '"
	check "GenuineIntel.bin is intel-ucode's files one after the other, in the order of their names" \
		cmp <(member "$img" kernel/x86/microcode/GenuineIntel.bin) <(eval "cat $intel")
	check "AuthenticAMD.bin is amd-ucode/microcode_amd*.bin one after the other" \
		cmp <(member "$img" kernel/x86/microcode/AuthenticAMD.bin) <(eval "cat $amd")
	check "the early archive is 4-byte aligned and ends with TRAILER!!!" \
		bash -c "(( $size % 4 == 0 )) && head -c $size '$img' | tail -c 16 | grep -aq 'TRAILER!!!'"
	check "the main archive follows it, compressed: zstd's magic at byte $size" \
		bash -c "[[ \$(od -An -tx1 -j $size -N4 '$img' | tr -d ' ') == 28b52ffd ]]"
	check "the rest of the image unpacks: the main archive holds /init" \
		bash -c "cmp <(image_main '$img' | cpio -i --to-stdout --quiet init) '$tmp/hooks/t/init.sh'"
	check "the summary says 2 microcode files and the early archive's size" \
		bash -c "grep -q '^mkrdinit: microcode  *2 files ' '$tmp/stderr' && grep -q ', after $size bytes of early microcode archive ($(stat -c %s "$img") bytes in all)' '$tmp/stderr'"

	run_mkrdinit -f "$fw" -c zstd -o "$tmp/again.img" "$tmp/hooks/t"
	check "a second build gives identical bytes" cmp "$img" "$tmp/again.img"
	SOURCE_DATE_EPOCH=1700000000 "$mkrdinit" -f "$fw" -o "$tmp/epoch.img" "$tmp/hooks/t" 2>/dev/null
	check "SOURCE_DATE_EPOCH sets the early archive's times too" \
		bash -c "[[ \$(image_early '$tmp/epoch.img' | cpio -itv --quiet | grep -c 'Nov 14  2023') == 5 ]]"

	# Uncompressed, the main archive is a second newc archive right after the first (the kernel reads on).
	run_mkrdinit -f "$fw" -o "$tmp/plain.img" "$tmp/hooks/t"
	check "uncompressed: the main archive starts right after the early one, with /init in it" \
		bash -c "[[ \$(od -An -c -j $size -N6 '$tmp/plain.img' | tr -d ' ') == 070701 ]] &&
			cmp <(image_main '$tmp/plain.img' | cpio -i --to-stdout --quiet init) '$tmp/hooks/t/init.sh'"

	run_mkrdinit -f "$fw" --no-microcode -c zstd -o "$tmp/none.img" "$tmp/hooks/t"
	check "--no-microcode: the image is the main archive alone, the same bytes as after the early archive" \
		bash -c "[[ $rc -eq 0 && \$(image_early_size '$tmp/none.img') == 0 ]] && cmp '$tmp/none.img' <(tail -c +$((size + 1)) '$img')"
	check "--no-microcode: the summary says so" grep -q '^mkrdinit: microcode  *0 files  *0 bytes: none (--no-microcode)$' "$tmp/stderr"
}

fixture_tests() {
	local fw=$tmp/fw
	mkdir -p "$fw/intel-ucode/sub" "$fw/amd-ucode"
	printf 'intel 06-8f-08\n' >"$fw/intel-ucode/06-8f-08"
	printf 'intel 06-3a-09 early only\n' >"$fw/intel-ucode/06-3a-09.initramfs"
	printf 'intel 06-3a-09 late\n' >"$fw/intel-ucode/06-3a-09"
	printf 'intel 0f-04-01 odd size\n!' >"$fw/intel-ucode/0f-04-01"
	printf 'hidden\n' >"$fw/intel-ucode/.hidden"
	printf 'compressed\n' | xz >"$fw/intel-ucode/06-55-04.xz"
	printf 'amd before 15h\n' >"$fw/amd-ucode/microcode_amd.bin"
	printf 'amd 15h\n' >"$fw/amd-ucode/microcode_amd_fam15h.bin"
	printf 'amd 17h\n' >"$fw/amd-ucode/microcode_amd_fam17h.bin"
	printf 'amd 19h, five bytes more\n' >"$fw/amd-ucode/microcode_amd_fam19h.bin"
	printf 'not a blob\n' >"$fw/amd-ucode/README"
	printf 'amd 1ah signature\n' >"$fw/amd-ucode/microcode_amd_fam19h.bin.asc"
	local i=$fw/intel-ucode a=$fw/amd-ucode
	generic_checks "$fw" "$i/06-3a-09 $i/06-3a-09.initramfs $i/06-8f-08 $i/0f-04-01" \
		"$a/microcode_amd.bin $a/microcode_amd_fam15h.bin $a/microcode_amd_fam17h.bin $a/microcode_amd_fam19h.bin"
	run_mkrdinit -f "$fw" -o "$tmp/c.img" "$tmp/hooks/t"
	check "a compressed blob is left out and counted in the summary" grep -q '; 1 compressed blobs left out' "$tmp/stderr"

	# --host-only: the blob of the first processor only.
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo GenuineIntel 6 143 8)" -o "$tmp/h-intel.img" "$tmp/hooks/t"
	check "--host-only, Intel family 6 model 143 stepping 8: only GenuineIntel.bin, intel-ucode/06-8f-08" \
		bash -c "[[ $rc -eq 0 && \$(image_early '$tmp/h-intel.img' | cpio -it --quiet | grep '\.bin') == kernel/x86/microcode/GenuineIntel.bin ]] &&
			cmp <(image_early '$tmp/h-intel.img' | cpio -i --to-stdout --quiet kernel/x86/microcode/GenuineIntel.bin) '$i/06-8f-08'"
	check "--host-only: the summary names the CPU and the blob" \
		grep -q 'host-only: GenuineIntel family 0x6 model 0x8f stepping 0x8: intel-ucode/06-8f-08 or 06-8f-08.initramfs' "$tmp/stderr"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo GenuineIntel 6 58 9)" -o "$tmp/h-both.img" "$tmp/hooks/t"
	check "--host-only, Intel 06-3a-09: the blob and Debian's early-only 06-3a-09.initramfs" \
		cmp <(member "$tmp/h-both.img" kernel/x86/microcode/GenuineIntel.bin) <(cat "$i/06-3a-09" "$i/06-3a-09.initramfs")
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo AuthenticAMD 25 33 0)" -o "$tmp/h-amd.img" "$tmp/hooks/t"
	check "--host-only, AMD family 25 (19h): only AuthenticAMD.bin, microcode_amd_fam19h.bin" \
		bash -c "[[ $rc -eq 0 && \$(image_early '$tmp/h-amd.img' | cpio -it --quiet | grep '\.bin') == kernel/x86/microcode/AuthenticAMD.bin ]] &&
			cmp <(image_early '$tmp/h-amd.img' | cpio -i --to-stdout --quiet kernel/x86/microcode/AuthenticAMD.bin) '$a/microcode_amd_fam19h.bin'"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo AuthenticAMD 16 4 3)" -o "$tmp/h-amd10.img" "$tmp/hooks/t"
	check "--host-only, AMD family 16 (10h, before 15h): microcode_amd.bin" \
		cmp <(member "$tmp/h-amd10.img" kernel/x86/microcode/AuthenticAMD.bin) "$a/microcode_amd.bin"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo AuthenticAMD 21 2 0)" -o "$tmp/h-amd15.img" "$tmp/hooks/t"
	check "--host-only, AMD family 21 (15h, the first with a file of its own): microcode_amd_fam15h.bin" \
		cmp <(member "$tmp/h-amd15.img" kernel/x86/microcode/AuthenticAMD.bin) "$a/microcode_amd_fam15h.bin"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo GenuineIntel 6 85 4)" -o "$tmp/h-missing.img" "$tmp/hooks/t"
	check "--host-only, a CPU with no blob (06-55-04, compressed only): no early archive, said, not an error" \
		bash -c "[[ $rc -eq 0 && \$(image_early_size '$tmp/h-missing.img') == 0 ]] && grep -q '^mkrdinit: microcode .*: none (no such file in $fw); 1 compressed' '$tmp/stderr'"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo HygonGenuine 24 0 1)" -o "$tmp/h-other.img" "$tmp/hooks/t"
	check "--host-only, another vendor: no early archive, said" \
		bash -c "[[ $rc -eq 0 && \$(image_early_size '$tmp/h-other.img') == 0 ]] && grep -q 'host-only: HygonGenuine, for which' '$tmp/stderr'"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$tmp/no-such-cpuinfo" -o "$tmp/h-bad.img" "$tmp/hooks/t"
	check "--host-only, an unreadable cpuinfo: exit 1 naming it, no image" \
		bash -c "[[ $rc -eq 1 && ! -e '$tmp/h-bad.img' ]] && grep -q 'unable to read the CPU from $tmp/no-such-cpuinfo: No such file' '$tmp/stderr'"

	# No microcode in the firmware folder: no early archive, and the summary says why.
	mkdir -p "$tmp/nofw"
	run_mkrdinit -f "$tmp/nofw" -c gzip -o "$tmp/nofw.img" "$tmp/hooks/t"
	check "no microcode in -f DIR: the image is the main archive alone (gzip's magic first), exit 0" \
		bash -c "[[ $rc -eq 0 && \$(od -An -tx1 -N2 '$tmp/nofw.img' | tr -d ' ') == 1f8b ]]"
	check "no microcode in -f DIR: the summary says where it looked" \
		grep -q "^mkrdinit: microcode  *0 files  *0 bytes: none (no intel-ucode or amd-ucode in $tmp/nofw)\$" "$tmp/stderr"
	mkdir -p "$tmp/amdonly/amd-ucode"
	cp "$a/microcode_amd_fam17h.bin" "$tmp/amdonly/amd-ucode/"
	run_mkrdinit -f "$tmp/amdonly" -o "$tmp/amdonly.img" "$tmp/hooks/t"
	check "one vendor's folder only: that vendor's file alone" \
		bash -c "[[ \$(image_early '$tmp/amdonly.img' | cpio -it --quiet | tr '\n' ' ') == 'kernel kernel/x86 kernel/x86/microcode kernel/x86/microcode/AuthenticAMD.bin ' ]]"

	run_mkrdinit -f "$fw" --list -o "$tmp/a.list" "$tmp/hooks/t"
	check "--list: no microcode in the list, said" \
		bash -c "[[ $rc -eq 0 ]] && ! grep -q kernel/x86 '$tmp/a.list' && grep -q 'microcode .*none (--list)' '$tmp/stderr'"
	"$mkrdinit" -f "$fw" "$tmp/hooks/t" 2>/dev/null >"$tmp/stdout.img"
	check "to standard output: the same bytes as with -o" cmp "$tmp/stdout.img" "$tmp/plain.img"
}

debian_tests() {
	local fw
	fw=$("$top/qemu/microcode" 2>"$tmp/fetch.err")
	case $? in
	0) ;;
	3) skip_all "no Debian microcode cached and none could be fetched: $(tail -n 1 "$tmp/fetch.err")" ;;
	*) echo "Bail out! qemu/microcode failed: $(tail -n 3 "$tmp/fetch.err" | tr '\n' ' ')"; exit 1 ;;
	esac
	local intel amd
	intel=$(LC_ALL=C; printf '%q ' "$fw"/intel-ucode/*)
	amd=$(LC_ALL=C; printf '%q ' "$fw"/amd-ucode/microcode_amd*.bin)
	generic_checks "$fw" "$intel" "$amd"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo GenuineIntel 6 143 8)" -o "$tmp/h-intel.img" "$tmp/hooks/t"
	check "Debian's blobs, --host-only, Intel 06-8f-08 (Sapphire Rapids): intel-ucode/06-8f-08 alone" \
		cmp <(member "$tmp/h-intel.img" kernel/x86/microcode/GenuineIntel.bin) "$fw/intel-ucode/06-8f-08"
	run_mkrdinit "${host_only[@]}" -f "$fw" --cpuinfo "$(cpuinfo AuthenticAMD 25 1 1)" -o "$tmp/h-amd.img" "$tmp/hooks/t"
	check "Debian's blobs, --host-only, AMD family 19h: microcode_amd_fam19h.bin alone" \
		cmp <(member "$tmp/h-amd.img" kernel/x86/microcode/AuthenticAMD.bin) "$fw/amd-ucode/microcode_amd_fam19h.bin"
	echo "# early archive $(image_early_size "$tmp/generic.img") bytes; image $(stat -c %s "$tmp/generic.img") bytes with, $(stat -c %s "$tmp/none.img") without"
}

case $mode in
fixture) fixture_tests ;;
debian) [[ -n $top ]] || { echo "Bail out! debian needs TOP, the source tree"; exit 1; }; debian_tests ;;
*) echo "Bail out! unknown mode $mode"; exit 1 ;;
esac
tap_done
