#!/bin/bash
# Tests mkrdinit through its command line.
#
# Usage: archive_test.sh MKRDINIT basic
#        archive_test.sh MKRDINIT modules
#
# basic: builds images from manifests made here (file, hard link, dir, nod, slink, pipe, sock), checks that two
# builds give the same bytes, what `cpio -itv` lists, and that bad manifests, conflicts and bad usage fail with
# the right exit status and message and leave no output file behind.
#
# modules: needs a kernel's modules, named by RDINIT_MODULES_DIR (the folder holding KVER/) and RDINIT_KVER;
# without them it prints a SKIP line and exits 77, meson's code for a skipped test. Checks that `module ext4`
# brings exactly the .ko files `modprobe --show-depends ext4` lists (its dependencies and softdeps: crc32c), that
# an alias brings every module it stands for, that builtin modules need no file, and that the image's own
# indexes answer modprobe as the tree's do.
set -u

mkrdinit=${1:?usage: archive_test.sh MKRDINIT basic|modules}
mode=${2:-basic}
# Meson passes a path relative to the build folder; some checks run from elsewhere.
[[ $mkrdinit == */* ]] && mkrdinit=$(cd "$(dirname "$mkrdinit")" && pwd)/$(basename "$mkrdinit")

# Reproducibility is checked against the default time; the environment of the test run must not change it.
unset SOURCE_DATE_EPOCH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkrdinit-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

failures=0
checks=0

pass() {
	checks=$((checks + 1))
	echo "ok $checks - $1"
}

fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "not ok $checks - $1"
	shift
	local line
	for line in "$@"; do
		echo "#   $line"
	done
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local description=$1
	shift
	if "$@"; then
		pass "$description"
	else
		fail "$description" "failed: $*"
	fi
}

# run_mkrdinit ARGS...: runs mkrdinit, leaving its exit status in $rc and its standard error in $tmp/stderr.
run_mkrdinit() {
	"$mkrdinit" "$@" 2>"$tmp/stderr"
	rc=$?
}

# expect_failure DESCRIPTION STATUS MESSAGE OUTPUT ARGS...: mkrdinit ARGS must exit with STATUS, say MESSAGE
# (a fixed string) on standard error and leave neither OUTPUT nor a temporary file next to it.
expect_failure() {
	local description=$1 status=$2 message=$3 output=$4
	shift 4
	run_mkrdinit "$@"
	local leftovers
	leftovers=$(compgen -G "$output*")
	if [[ $rc -ne $status ]]; then
		fail "$description" "exit status $rc, expected $status" "stderr: $(cat "$tmp/stderr")"
	elif ! grep -qF -- "$message" "$tmp/stderr"; then
		fail "$description" "expected message: $message" "stderr: $(cat "$tmp/stderr")"
	elif [[ -n $leftovers ]]; then
		fail "$description" "left behind: $leftovers"
	else
		pass "$description"
	fi
}

# listing IMAGE: "permissions links uid gid name" per entry, in archive order; devices add "major,minor".
listing() {
	cpio -itv --numeric-uid-gid --quiet <"$1" |
		awk '{ if ($1 ~ /^[bc]/) print $1, $2, $3, $4, $5 $6, $NF; else if ($1 ~ /^l/) print $1, $2, $3, $4, $(NF-2), $(NF-1), $NF; else print $1, $2, $3, $4, $NF }'
}

basic_tests() {
	local hook=$tmp/hooks/t
	mkdir -p "$hook" "$tmp/data"
	printf '#!/bin/sh\necho hello from init\n' >"$hook/init.sh"
	printf 'config payload\n' >"$tmp/data/payload"
	cat >"$hook/manifest" <<-'EOF'
		# t: one line of every kind, for mkrdinit's tests.
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		nod /dev/vda 0660 0 6 b 254 0
		file /init init.sh 0755 0 0
		file /etc/conf ${PAYLOAD_DIR}/payload 0640 12 34 /etc/conf-link

		slink /bin/sh /init 0777 0 0
		pipe /run/fifo 0600 0 0
		sock /run/sock 0755 0 0
		dir /sysroot 0700 0 0
	EOF

	run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -o "$tmp/a.img" "$hook"
	if [[ $rc -ne 0 ]]; then
		fail "builds an image from every kind of line" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	pass "builds an image from every kind of line"
	local init_size payload_size image_size summary
	init_size=$(stat -c %s "$hook/init.sh")
	payload_size=$(stat -c %s "$tmp/data/payload")
	image_size=$(stat -c %s "$tmp/a.img")
	summary=$(
		cat <<-EOF
			mkrdinit: files 3 files $((init_size + payload_size)) bytes
			mkrdinit: modules 0 files 0 bytes
			mkrdinit: module indexes 0 files 0 bytes
			mkrdinit: other 5 folders, 2 device nodes, 1 symlinks, 1 pipes, 1 sockets
			mkrdinit: wrote $tmp/a.img: 13 entries, $image_size bytes of cpio, $image_size bytes uncompressed
		EOF
	)
	if [[ $(tr -s ' ' <"$tmp/stderr") == "$summary" ]]; then
		pass "prints what went in: the hard-linked file's bytes once, the parent /bin, the archive's size"
	else
		fail "prints what went in: the hard-linked file's bytes once, the parent /bin, the archive's size" \
			"expected:" "$summary" "got:" "$(cat "$tmp/stderr")"
	fi

	# Different modification times of the sources and a different hook path must not change a byte.
	touch -d '2001-02-03 04:05:06' "$hook/init.sh" "$tmp/data/payload"
	cp -r "$hook" "$tmp/hooks/copy"
	run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -o "$tmp/b.img" "$tmp/hooks/copy"
	check "a second build gives identical bytes" cmp "$tmp/a.img" "$tmp/b.img"

	local expected actual
	expected=$(
		cat <<-'EOF'
			drwxr-xr-x 2 0 0 bin
			lrwxrwxrwx 1 0 0 bin/sh -> /init
			drwxr-xr-x 2 0 0 dev
			crw------- 1 0 0 5,1 dev/console
			brw-rw---- 1 0 6 254,0 dev/vda
			drwxr-xr-x 2 0 0 etc
			-rw-r----- 2 12 34 etc/conf
			-rw-r----- 2 12 34 etc/conf-link
			-rwxr-xr-x 1 0 0 init
			drwxr-xr-x 2 0 0 run
			prw------- 1 0 0 run/fifo
			srwxr-xr-x 1 0 0 run/sock
			drwx------ 2 0 0 sysroot
		EOF
	)
	actual=$(listing "$tmp/a.img")
	if [[ $actual == "$expected" ]]; then
		pass "cpio -itv lists names, modes, owners and devices in order, with the missing parent /bin"
	else
		fail "cpio -itv lists names, modes, owners and devices in order, with the missing parent /bin" \
			"expected:" "$expected" "got:" "$actual"
	fi

	check "every entry has modification time 0 by default" \
		bash -c "cpio -itv --quiet <'$tmp/a.img' | grep -vc 'Jan  1  1970' | grep -qx 0"
	check "/init holds the hook's init.sh" \
		cmp <(cpio -i --to-stdout --quiet init <"$tmp/a.img") "$hook/init.sh"

	mkdir "$tmp/extract"
	(cd "$tmp/extract" && cpio -id --quiet 'etc/*' <"$tmp/a.img")
	check "the hard link extracts as one inode with the payload" \
		bash -c "[[ \$(stat -c %h '$tmp/extract/etc/conf') == 2 && '$tmp/extract/etc/conf' -ef '$tmp/extract/etc/conf-link' ]] && cmp -s '$tmp/extract/etc/conf-link' '$tmp/data/payload'"

	SOURCE_DATE_EPOCH=1700000000 "$mkrdinit" -D PAYLOAD_DIR="$tmp/data" -o "$tmp/epoch.img" "$hook" 2>/dev/null
	check "SOURCE_DATE_EPOCH sets every modification time" \
		bash -c "cpio -itv --quiet <'$tmp/epoch.img' | grep -vc 'Nov 14  2023' | grep -qx 0"

	local method
	for method in gzip zstd xz; do
		run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -c "$method" -o "$tmp/a.$method" "$hook"
		run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -c "$method" -o "$tmp/b.$method" "$tmp/hooks/copy"
		check "--compress $method: reproducible" cmp "$tmp/a.$method" "$tmp/b.$method"
		if [[ $method == gzip ]]; then
			# Two builds within one second would share a time stamp; look at gzip's MTIME field itself.
			check "--compress gzip: no time stamp in the gzip header" \
				bash -c "[[ \$(od -An -tx1 -j4 -N4 '$tmp/a.gzip' | tr -d ' ') == 00000000 ]]"
		fi
		if command -v "$method" >/dev/null; then
			check "--compress $method: decompresses to the uncompressed image" \
				cmp <("$method" -dc <"$tmp/a.$method") "$tmp/a.img"
		fi
	done
	if command -v xz >/dev/null; then
		# The kernel's xz decoder refuses CRC64, xz's and libarchive's default.
		check "--compress xz: CRC32 check" bash -c "xz --robot -lvv '$tmp/a.xz' | grep -q '^stream.*CRC32'"
	fi

	# A bad line: exit 1, "FILE:LINE: what was expected", nothing written, a previous image left alone.
	mkdir -p "$tmp/hooks/bad"
	printf '# bad\ndir /dev 0755 0 0\nnod /dev/console 0600 0 0 q 5 1\n' >"$tmp/hooks/bad/manifest"
	expect_failure "a malformed line fails with file:line and leaves no output" 1 \
		"mkrdinit: $tmp/hooks/bad/manifest:3: nod: expected <dev_type> b or c, got 'q'" \
		"$tmp/bad.img" -o "$tmp/bad.img" "$tmp/hooks/bad"
	echo previous >"$tmp/kept.img"
	run_mkrdinit -o "$tmp/kept.img" "$tmp/hooks/bad"
	check "a failed build leaves the previous output untouched" \
		bash -c "[[ $rc -eq 1 && \$(cat '$tmp/kept.img') == previous && -z \$(compgen -G '$tmp/kept.img.*') ]]"

	mkdir -p "$tmp/hooks/undef"
	printf 'file /init ${NOT_DEFINED_ANYWHERE}/init 0755 0 0\n' >"$tmp/hooks/undef/manifest"
	expect_failure "an undefined \${VAR} fails" 1 \
		"$tmp/hooks/undef/manifest:1: file: undefined variable 'NOT_DEFINED_ANYWHERE'" \
		"$tmp/undef.img" -o "$tmp/undef.img" "$tmp/hooks/undef"

	mkdir -p "$tmp/hooks/missing"
	printf 'file /init does-not-exist 0755 0 0\n' >"$tmp/hooks/missing/manifest"
	expect_failure "a missing file fails, naming the line" 1 \
		"$tmp/hooks/missing/manifest:1: unable to add '/init' from '$tmp/hooks/missing/does-not-exist': No such file or directory" \
		"$tmp/missing.img" -o "$tmp/missing.img" "$tmp/hooks/missing"

	# Identical lines from two hooks merge; different ones for the same path name both places.
	mkdir -p "$tmp/hooks/one" "$tmp/hooks/two" "$tmp/hooks/other"
	printf 'dir /x 0755 0 0\n' >"$tmp/hooks/one/manifest"
	printf '# two\ndir /x 0755 0 0\ndir /x/y 0755 0 0\n' >"$tmp/hooks/two/manifest"
	printf '\n\ndir /x 0700 0 0\n' >"$tmp/hooks/other/manifest"
	run_mkrdinit -o "$tmp/merged.img" "$tmp/hooks/one" "$tmp/hooks/two"
	check "identical dir lines from two hooks merge into one entry" \
		bash -c "[[ $rc -eq 0 && \$(cpio -it --quiet <'$tmp/merged.img' | tr '\n' ' ') == 'x x/y ' ]]"
	expect_failure "conflicting lines for one path fail, naming both" 1 \
		"conflicting entries for '/x': 'dir 0755 0 0' at $tmp/hooks/one/manifest:1 and 'dir 0700 0 0' at $tmp/hooks/other/manifest:3" \
		"$tmp/conflict.img" -o "$tmp/conflict.img" "$tmp/hooks/one" "$tmp/hooks/other"

	mkdir -p "$tmp/hooks/notdir"
	printf 'file /lib %s 0644 0 0\ndir /lib/modules 0755 0 0\n' "$tmp/data/payload" >"$tmp/hooks/notdir/manifest"
	expect_failure "a path under a file fails" 1 \
		"'/lib/modules' at $tmp/hooks/notdir/manifest:2 needs '/lib' to be a folder" \
		"$tmp/notdir.img" -o "$tmp/notdir.img" "$tmp/hooks/notdir"

	expect_failure "a missing hook folder fails" 1 "unable to read $tmp/hooks/nope/manifest: No such file" \
		"$tmp/nope.img" -o "$tmp/nope.img" "$tmp/hooks/nope"
	expect_failure "no HOOK is a usage error" 2 "expected at least one HOOK" "$tmp/usage.img" -o "$tmp/usage.img"
	expect_failure "an unknown --compress is a usage error" 2 "--compress: expected none, gzip, zstd or xz, got 'lz4'" \
		"$tmp/usage.img" -c lz4 -o "$tmp/usage.img" "$hook"
	expect_failure "a -D without '=' is a usage error" 2 "-D: expected VAR=VALUE" \
		"$tmp/usage.img" -D NOVALUE -o "$tmp/usage.img" "$hook"
	SOURCE_DATE_EPOCH=yesterday expect_failure "a bad SOURCE_DATE_EPOCH is a usage error" 2 \
		"SOURCE_DATE_EPOCH: expected seconds since 1970" "$tmp/usage.img" -o "$tmp/usage.img" "$hook"

	"$mkrdinit" --help >"$tmp/help" 2>&1
	check "--help exits 0 and documents options and exit codes" \
		bash -c "[[ $? -eq 0 ]] && grep -q -- '--compress=METHOD' '$tmp/help' && grep -q '^Exit status: 0' '$tmp/help'"
}

# modprobe's view of NAME in the tree under BASE (which holds lib/modules/KVER): the .ko paths it would load,
# relative to the tree, sorted, each once (modprobe repeats a module that several others pull in).
modprobe_files() {
	local base=$1 name=$2
	modprobe -d "$base" -S "$RDINIT_KVER" --show-depends "$name" |
		awk '$1 == "insmod" { print $2 }' | sed "s|^$base/lib/modules/$RDINIT_KVER/||" | sort -u
}

image_files() {
	cpio -it --quiet <"$1" | sed -n "s|^lib/modules/$RDINIT_KVER/\(.*\.ko.*\)$|\1|p" | sort
}

# module_test NAME: an image with `module NAME` holds exactly what modprobe would load for NAME.
module_test() {
	local name=$1
	mkdir -p "$tmp/hooks/$name"
	printf '# %s\nmodule %s\n' "$name" "$name" >"$tmp/hooks/$name/manifest"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/$name.img" "$tmp/hooks/$name"
	if [[ $rc -ne 0 ]]; then
		fail "module $name: builds" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return 1
	fi
	local expected actual
	expected=$(modprobe_files "$tmp/base" "$name")
	actual=$(image_files "$tmp/$name.img")
	if [[ -n $expected && $actual == "$expected" ]]; then
		pass "module $name: the image holds what modprobe --show-depends lists ($(wc -l <<<"$actual") files)"
	else
		fail "module $name: the image holds what modprobe --show-depends lists" "expected:" $expected "got:" $actual
	fi
}

modules_tests() {
	if [[ -z ${RDINIT_MODULES_DIR:-} || -z ${RDINIT_KVER:-} ]]; then
		echo "SKIP: RDINIT_MODULES_DIR and RDINIT_KVER are not set (no kernel modules to test with)"
		exit 77
	fi
	local tree=$RDINIT_MODULES_DIR/$RDINIT_KVER
	if [[ ! -e $tree/modules.dep.bin ]]; then
		echo "not ok 1 - $tree/modules.dep.bin exists (RDINIT_MODULES_DIR and RDINIT_KVER name a depmod'ed tree)"
		exit 1
	fi
	command -v modprobe >/dev/null || PATH=$PATH:/usr/sbin:/sbin
	# modprobe -d wants the folder that holds lib/modules.
	mkdir -p "$tmp/base/lib"
	ln -s "$(cd "$RDINIT_MODULES_DIR" && pwd)" "$tmp/base/lib/modules"

	if module_test ext4; then
		local files
		files=$(image_files "$tmp/ext4.img")
		check "module ext4: its softdep brings crc32c_generic" grep -q '/crc32c_generic\.ko' <<<"$files"
		check "module ext4: its dependency jbd2 is there" grep -q '/jbd2\.ko' <<<"$files"
		local listed
		listed=$(cpio -it --quiet <"$tmp/ext4.img")
		local index
		for index in modules.dep modules.dep.bin modules.alias.bin modules.softdep modules.symbols.bin modules.builtin.bin; do
			check "module ext4: the image has $index" grep -qx "lib/modules/$RDINIT_KVER/$index" <<<"$listed"
		done
		check "module ext4: /etc/rdinit/kernel-version says $RDINIT_KVER" \
			bash -c "[[ \$(cpio -i --to-stdout --quiet etc/rdinit/kernel-version <'$tmp/ext4.img') == '$RDINIT_KVER' ]]"

		# The image's own indexes must give /init's libkmod the answers the full tree gives.
		mkdir -p "$tmp/unpacked"
		(cd "$tmp/unpacked" && cpio -id --quiet 'lib/*' <"$tmp/ext4.img")
		check "module ext4: modprobe on the image's indexes loads the same files" \
			cmp <(modprobe_files "$tmp/unpacked" ext4) <(modprobe_files "$tmp/base" ext4)

		# The same tree named by a relative path and through a symlink: the image must not change.
		ln -s "$RDINIT_MODULES_DIR" "$tmp/modules-link"
		(cd "$tmp" && "$mkrdinit" -m modules-link -k "$RDINIT_KVER" -o ext4-again.img hooks/ext4 2>/dev/null)
		check "module ext4: a second build, from a relative -m through a symlink, gives identical bytes" \
			cmp "$tmp/ext4.img" "$tmp/ext4-again.img"
	fi

	# An alias that stands for several modules (one per CPU feature) brings them all.
	module_test crypto-crc32c
	module_test virtio_blk
	# sd_mod's dependency crc-t10dif has softdeps of its own, which modprobe loads too.
	module_test sd_mod

	# A builtin module needs no file.
	local builtin
	builtin=$(sed -n '1{s|.*/||;s|\.ko.*||;p}' "$tree/modules.builtin" 2>/dev/null)
	if [[ -n $builtin ]]; then
		mkdir -p "$tmp/hooks/builtin"
		printf 'module %s\n' "$builtin" >"$tmp/hooks/builtin/manifest"
		run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/builtin.img" "$tmp/hooks/builtin"
		check "module $builtin (builtin): builds with no .ko file" \
			bash -c "[[ $rc -eq 0 && -z \$(cpio -it --quiet <'$tmp/builtin.img' | grep '\.ko') ]]"
	fi

	mkdir -p "$tmp/hooks/nomod"
	printf '# nomod\n\nmodule no_such_module_anywhere\n' >"$tmp/hooks/nomod/manifest"
	expect_failure "an unknown module fails, naming the line" 1 \
		"$tmp/hooks/nomod/manifest:3: module 'no_such_module_anywhere' not found in $tree" \
		"$tmp/nomod.img" -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/nomod.img" "$tmp/hooks/nomod"
}

if ! command -v cpio >/dev/null; then
	echo "cpio is needed to read the images back" >&2
	exit 99
fi

case $mode in
basic) basic_tests ;;
modules) modules_tests ;;
*)
	echo "unknown mode '$mode'" >&2
	exit 99
	;;
esac

echo "1..$checks"
[[ $failures -eq 0 ]]
