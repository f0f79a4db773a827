#!/bin/bash
# Tests mkrdinit through its command line.
#
# Usage: archive_test.sh MKRDINIT basic
#        archive_test.sh MKRDINIT modules
#        archive_test.sh MKRDINIT hooks HOOKS_DIR
#
# basic: builds images from manifests made here (file, hard link, dir, nod, slink, pipe, sock, hook, binary),
# checks that two builds give the same bytes, what `cpio -itv` lists, every compression, that a `binary` brings
# what ldd names, that the --list output read back as a manifest builds the same bytes, and that bad manifests,
# conflicts and bad usage fail with the right exit status and message and leave no output file behind.
#
# Output is TAP. A check this machine cannot make (no busybox, no cc, no lz4 program) is an "ok N # SKIP reason".
#
# modules: needs a kernel's modules, named by RDINIT_MODULES_DIR (the folder holding KVER/) and RDINIT_KVER;
# without them it prints "1..0 # SKIP reason", TAP's skip of the whole test. Checks that `module ext4`
# brings exactly the .ko files `modprobe --show-depends ext4` lists (its dependencies and softdeps: crc32c), that
# an alias brings every module it stands for, that builtin modules need no file, that module files are copied
# byte for byte (signatures intact), that the image's own indexes answer modprobe as the tree's do, that the
# firmware a module names comes along (a missing one is a warning), the --list round trip with generated
# files, the modprobe.d that goes in (and --modprobe-conf, --no-modprobe-conf), and --host-only on a sysfs tree
# made here.
#
# hooks: needs the kernel's modules too. Builds every hook in HOOKS_DIR (each with base), checks that the rescue
# hook's applets are in this machine's busybox, and builds an image of all hooks twice for identical bytes.
set -u

mkrdinit=${1:?usage: archive_test.sh MKRDINIT basic|modules|hooks [HOOKS_DIR]}
mode=${2:-basic}
# Meson passes a path relative to the build folder; some checks run from elsewhere.
[[ $mkrdinit == */* ]] && mkrdinit=$(cd "$(dirname "$mkrdinit")" && pwd)/$(basename "$mkrdinit")

# Reproducibility is checked against the default time; the environment of the test run must not change it.
unset SOURCE_DATE_EPOCH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkrdinit-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=test/mkrdinit/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

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
	image_main "$1" | cpio -itv --numeric-uid-gid --quiet |
		awk '{ if ($1 ~ /^[bc]/) print $1, $2, $3, $4, $5 $6, $NF; else if ($1 ~ /^l/) print $1, $2, $3, $4, $(NF-2), $(NF-1), $NF; else print $1, $2, $3, $4, $NF }'
}

# What `binary PROGRAM` must bring, as image paths: PROGRAM, each library and the loader that ldd names, and for
# each symlink among them every link of its chain and the file at its end (names normalized without resolving
# folder symlinks: the image has real folders).
binary_expected() {
	local path todo=("$1") seen=() target
	while read -r path; do todo+=("$path"); done < <(ldd "$1" 2>/dev/null | sed -n 's|.*=> \(/[^ ]*\) (0x.*|\1|p; s|^[[:space:]]*\(/[^ ]*\) (0x.*|\1|p')
	for path in "${todo[@]}"; do
		path=$(realpath -sm "$path")
		while :; do
			seen+=("${path#/}")
			[[ -L $path ]] || break
			target=$(readlink "$path")
			[[ $target == /* ]] || target=$(dirname "$path")/$target
			path=$(realpath -sm "$target")
		done
	done
	printf '%s\n' "${seen[@]}" | sort -u
}

binary_tests() {
	local program
	program=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P true)
	mkdir -p "$tmp/hooks/bin" "$tmp/links"
	ln -sf "$program" "$tmp/links/true-link"
	printf 'binary true\nbinary %s\n' "$tmp/links/true-link" >"$tmp/hooks/bin/manifest"
	run_mkrdinit -o "$tmp/bin.img" "$tmp/hooks/bin"
	if [[ $rc -ne 0 ]]; then
		fail "binary: builds" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	local expected actual
	expected=$( (binary_expected "$program"; echo "${tmp#/}/links/true-link") | sort -u)
	actual=$(image_main "$tmp/bin.img" | cpio -itv --quiet | awk '$1 !~ /^d/ { print ($1 ~ /^l/ ? $(NF-2) : $NF) }' | sort)
	if [[ $actual == "$expected" ]]; then
		pass "binary: a bare name is found in the PATH folders, with what ldd lists and each symlink's chain ($(wc -l <<<"$actual") entries)"
	else
		fail "binary: the image holds the program, what ldd lists and each symlink's chain" "expected:" $expected "got:" $actual
	fi
	check "binary: the program is copied unchanged, mode 0755" \
		bash -c "cmp -s <(image_main '$tmp/bin.img' | cpio -i --to-stdout --quiet '${program#/}') '$program' && image_main '$tmp/bin.img' | cpio -itv --quiet '${program#/}' | grep -q '^-rwxr-xr-x'"
	check "binary: a symlink is kept a symlink, to the same target" \
		bash -c "image_main '$tmp/bin.img' | cpio -itv --quiet | grep -qF '${tmp#/}/links/true-link -> $program'"
	check "binary: the summary counts them as binaries" grep -q '^mkrdinit: binaries *[1-9][0-9]* files' "$tmp/stderr"

	# The same file from a `file` line of one hook and a `binary` line of another is one entry.
	mkdir -p "$tmp/hooks/file-true"
	printf 'file %s %s 0755 0 0\n' "$program" "$program" >"$tmp/hooks/file-true/manifest"
	run_mkrdinit -o "$tmp/merge.img" "$tmp/hooks/file-true" "$tmp/hooks/bin"
	check "binary: a file line for the same path merges with it" bash -c "[[ $rc -eq 0 ]]"

	mkdir -p "$tmp/hooks/script"
	printf '#!/bin/sh\n' >"$tmp/links/script"
	chmod 0750 "$tmp/links/script"
	printf 'binary %s\n' "$tmp/links/script" >"$tmp/hooks/script/manifest"
	run_mkrdinit -o "$tmp/script.img" "$tmp/hooks/script"
	check "binary: a script comes alone, with its mode" \
		bash -c "[[ $rc -eq 0 && \$(image_main '$tmp/script.img' | cpio -itv --quiet | grep -c '^[-l]') == 1 ]] && image_main '$tmp/script.img' | cpio -itv --quiet | grep -q '^-rwxr-x---.*links/script$'"

	mkdir -p "$tmp/hooks/nobin"
	printf '# nobin\nbinary no-such-program-anywhere\n' >"$tmp/hooks/nobin/manifest"
	expect_failure "binary: a program that is nowhere fails, naming the line and where it looked" 1 \
		"$tmp/hooks/nobin/manifest:2: unable to find program 'no-such-program-anywhere' in /usr/sbin:/usr/bin:/sbin:/bin" \
		"$tmp/nobin.img" -o "$tmp/nobin.img" "$tmp/hooks/nobin"

	# A program whose library is gone: the loader says "not found", and so does mkrdinit.
	if command -v cc >/dev/null; then
		mkdir -p "$tmp/gone"
		printf 'int gone(void) { return 0; }\n' >"$tmp/gone/gone.c"
		printf 'int gone(void);\nint main(void) { return gone(); }\n' >"$tmp/gone/main.c"
		if cc -shared -fPIC -o "$tmp/gone/libgone.so" "$tmp/gone/gone.c" 2>/dev/null &&
			cc -o "$tmp/gone/prog" "$tmp/gone/main.c" -L"$tmp/gone" -lgone 2>/dev/null; then
			rm "$tmp/gone/libgone.so"
			mkdir -p "$tmp/hooks/gone"
			printf 'binary %s\n' "$tmp/gone/prog" >"$tmp/hooks/gone/manifest"
			expect_failure "binary: a missing library fails, with the loader's message" 1 \
				"$tmp/hooks/gone/manifest:1: unable to list the libraries of '$tmp/gone/prog': " \
				"$tmp/gone.img" -o "$tmp/gone.img" "$tmp/hooks/gone"
			check "binary: the message names the missing library" grep -q 'libgone\.so' "$tmp/stderr"
		else
			fail "binary: a missing library fails" "cc cannot build a program with a shared library of its own"
		fi
	else
		skip "binary: a missing library fails, with the loader's message" "no cc to build a program with a library"
	fi
}

basic_tests() {
	local hook=$tmp/hooks/t
	mkdir -p "$hook" "$tmp/data"
	printf '#!/bin/sh\necho hello from init\n' >"$hook/init.sh"
	printf '#!/bin/sh\nexit 0\n' >"$hook/check.sh"
	chmod 0644 "$hook/check.sh"
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
		hook pre-mount check.sh
	EOF

	run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -o "$tmp/a.img" "$hook"
	if [[ $rc -ne 0 ]]; then
		fail "builds an image from every kind of line" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	pass "builds an image from every kind of line"
	local init_size payload_size check_size image_size summary
	init_size=$(stat -c %s "$hook/init.sh")
	payload_size=$(stat -c %s "$tmp/data/payload")
	check_size=$(stat -c %s "$hook/check.sh")
	# The main archive's: a machine whose firmware folder has CPU microcode puts an early archive before it
	# (microcode_test.sh tests that; the summary's line of it is left out here).
	image_size=$(image_main "$tmp/a.img" | wc -c)
	summary=$(
		cat <<-EOF
			mkrdinit: files 3 files $((init_size + payload_size)) bytes
			mkrdinit: hooks 1 files $check_size bytes
			mkrdinit: binaries 0 files 0 bytes
			mkrdinit: modules 0 files 0 bytes
			mkrdinit: firmware 0 files 0 bytes
			mkrdinit: module indexes 0 files 0 bytes
			mkrdinit: modprobe.d 0 files 0 bytes
			mkrdinit: other 9 folders, 2 device nodes, 1 symlinks, 1 pipes, 1 sockets
			mkrdinit: total 4 files $((init_size + payload_size + check_size)) bytes
			mkrdinit: wrote $tmp/a.img: 18 entries, $image_size bytes of cpio, uncompressed
		EOF
	)
	if [[ $(grep -v '^mkrdinit: microcode ' "$tmp/stderr" | sed 's/, after [0-9]* bytes of early microcode archive .*//' |
		tr -s ' ') == "$summary" ]]; then
		pass "prints what went in, part by part: the hard-linked file's bytes once, the parent /bin, the total"
	else
		fail "prints what went in, part by part: the hard-linked file's bytes once, the parent /bin, the total" \
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
			drwxr-xr-x 2 0 0 lib
			drwxr-xr-x 2 0 0 lib/rdinit
			drwxr-xr-x 2 0 0 lib/rdinit/hooks
			drwxr-xr-x 2 0 0 lib/rdinit/hooks/pre-mount
			-rwxr-xr-x 1 0 0 lib/rdinit/hooks/pre-mount/check.sh
			drwxr-xr-x 2 0 0 run
			prw------- 1 0 0 run/fifo
			srwxr-xr-x 1 0 0 run/sock
			drwx------ 2 0 0 sysroot
		EOF
	)
	actual=$(listing "$tmp/a.img")
	if [[ $actual == "$expected" ]]; then
		pass "cpio -itv lists names, modes, owners and devices in order, the missing parents, the hook 0755"
	else
		fail "cpio -itv lists names, modes, owners and devices in order, the missing parents, the hook 0755" \
			"expected:" "$expected" "got:" "$actual"
	fi

	check "every entry has modification time 0 by default" \
		bash -c "image_main '$tmp/a.img' | cpio -itv --quiet | grep -vc 'Jan  1  1970' | grep -qx 0"
	check "/init holds the hook's init.sh" \
		cmp <(image_main "$tmp/a.img" | cpio -i --to-stdout --quiet init) "$hook/init.sh"
	check "the hook's program is at /lib/rdinit/hooks/pre-mount/check.sh" \
		cmp <(image_main "$tmp/a.img" | cpio -i --to-stdout --quiet lib/rdinit/hooks/pre-mount/check.sh) "$hook/check.sh"

	mkdir "$tmp/extract"
	(cd "$tmp/extract" && image_main "$tmp/a.img" | cpio -id --quiet 'etc/*')
	check "the hard link extracts as one inode with the payload" \
		bash -c "[[ \$(stat -c %h '$tmp/extract/etc/conf') == 2 && '$tmp/extract/etc/conf' -ef '$tmp/extract/etc/conf-link' ]] && cmp -s '$tmp/extract/etc/conf-link' '$tmp/data/payload'"

	SOURCE_DATE_EPOCH=1700000000 "$mkrdinit" -D PAYLOAD_DIR="$tmp/data" -o "$tmp/epoch.img" "$hook" 2>/dev/null
	check "SOURCE_DATE_EPOCH sets every modification time" \
		bash -c "image_main '$tmp/epoch.img' | cpio -itv --quiet | grep -vc 'Nov 14  2023' | grep -qx 0"

	local method cpio_bytes
	for method in gzip zstd xz lz4; do
		run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -c "$method" -o "$tmp/a.$method" "$hook"
		cpio_bytes=$(sed -n 's/.* entries, \([0-9]*\) bytes of cpio, .*/\1/p' "$tmp/stderr")
		run_mkrdinit -D PAYLOAD_DIR="$tmp/data" -c "$method" -o "$tmp/b.$method" "$tmp/hooks/copy"
		check "--compress $method: reproducible" cmp "$tmp/a.$method" "$tmp/b.$method"
		check "--compress $method: the summary's 'bytes of cpio' is the uncompressed size, the file's is the compressed" \
			bash -c "[[ '$cpio_bytes' == $image_size ]] && grep -q ' $(image_main_size "$tmp/a.$method") bytes with $method\(\$\|, after \)' '$tmp/stderr'"
		if [[ $method == gzip ]]; then
			# Two builds within one second would share a time stamp; look at gzip's MTIME field itself.
			check "--compress gzip: no time stamp in the gzip header" \
				bash -c "[[ \$(image_main_raw '$tmp/a.gzip' | od -An -tx1 -j4 -N4 | tr -d ' ') == 00000000 ]]"
		fi
		if command -v "$method" >/dev/null; then
			check "--compress $method: decompresses to the uncompressed image" \
				cmp <(image_main_raw "$tmp/a.$method" | "$method" -dc) <(image_main "$tmp/a.img")
		else
			skip "--compress $method: decompresses to the uncompressed image" "no $method program on this machine"
		fi
	done
	if command -v xz >/dev/null; then
		# The kernel's xz decoder refuses CRC64, xz's and libarchive's default.
		check "--compress xz: CRC32 check" bash -c "image_main_raw '$tmp/a.xz' >'$tmp/main.xz' && xz --robot -lvv '$tmp/main.xz' | grep -q '^stream.*CRC32'"
	else
		skip "--compress xz: CRC32 check" "no xz program on this machine"
	fi
	# The kernel's unlz4 reads only the legacy format, magic 0x184C2102, not the lz4 frame format (0x184D2204).
	check "--compress lz4: the legacy format (lz4 -l) the kernel reads" \
		bash -c "[[ \$(image_main_raw '$tmp/a.lz4' | od -An -tx1 -N4 | tr -d ' ') == 02214c18 ]]"

	# --list: the same image as a gen_init_cpio list, which read back as a manifest gives the same bytes.
	run_mkrdinit -D PAYLOAD_DIR="$tmp/data" --list -o "$tmp/a.list" "$hook"
	check "--list writes a list" bash -c "[[ $rc -eq 0 && -s '$tmp/a.list' ]]"
	check "--list: every location is an absolute path" bash -c "! grep -E '^file [^ ]+ [^/]' '$tmp/a.list'"
	check "--list: the hard link is one line with its other name" grep -q '^file /etc/conf /.* 0640 12 34 /etc/conf-link$' "$tmp/a.list"
	check "--list: the hook is a 0755 file line" grep -q '^file /lib/rdinit/hooks/pre-mount/check.sh /.* 0755 0 0$' "$tmp/a.list"
	mkdir -p "$tmp/hooks/from-list"
	cp "$tmp/a.list" "$tmp/hooks/from-list/manifest"
	run_mkrdinit -o "$tmp/from-list.img" "$tmp/hooks/from-list"
	check "--list: built again from the list as a manifest, the image is byte for byte the same" \
		cmp "$tmp/from-list.img" "$tmp/a.img"
	"$mkrdinit" -D PAYLOAD_DIR="$tmp/data" --list "$hook" 2>/dev/null >"$tmp/stdout.list"
	check "--list to standard output, when nothing is generated, needs no --list-dir" cmp "$tmp/stdout.list" "$tmp/a.list"
	expect_failure "--list with --compress is a usage error" 2 "--list writes a list of files, which is not compressed" \
		"$tmp/usage.list" --list -c gzip -o "$tmp/usage.list" "$hook"
	expect_failure "--list-dir without --list is a usage error" 2 "--list-dir goes with --list" \
		"$tmp/usage.img" --list-dir "$tmp" -o "$tmp/usage.img" "$hook"

	# A bare HOOK name is a folder in the hooks folder.
	run_mkrdinit -D PAYLOAD_DIR="$tmp/data" --hooks-dir "$tmp/hooks" -o "$tmp/bare.img" t
	check "a bare HOOK name is looked for in --hooks-dir" cmp "$tmp/bare.img" "$tmp/a.img"
	expect_failure "a bare HOOK name that is not there fails, naming where it looked" 1 \
		"unable to read $tmp/hooks/nope/manifest: No such file" "$tmp/nope.img" --hooks-dir "$tmp/hooks" -o "$tmp/nope.img" nope

	binary_tests

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
		bash -c "[[ $rc -eq 0 && \$(image_main '$tmp/merged.img' | cpio -it --quiet | tr '\n' ' ') == 'x x/y ' ]]"
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
	expect_failure "an unknown --compress is a usage error" 2 "--compress: expected none, gzip, zstd, xz or lz4, got 'bzip2'" \
		"$tmp/usage.img" -c bzip2 -o "$tmp/usage.img" "$hook"
	expect_failure "a -D without '=' is a usage error" 2 "-D: expected VAR=VALUE" \
		"$tmp/usage.img" -D NOVALUE -o "$tmp/usage.img" "$hook"
	SOURCE_DATE_EPOCH=yesterday expect_failure "a bad SOURCE_DATE_EPOCH is a usage error" 2 \
		"SOURCE_DATE_EPOCH: expected seconds since 1970" "$tmp/usage.img" -o "$tmp/usage.img" "$hook"

	"$mkrdinit" --help >"$tmp/help" 2>&1
	check "--help exits 0 and documents options and exit codes" \
		bash -c "[[ $? -eq 0 ]] && grep -q -- '--compress=METHOD' '$tmp/help' && grep -q '^Exit status: 0' '$tmp/help'"
	crypttab_tests
}

# `crypttab FILE`: its lines, checked as /init reads them, in /etc/crypttab; key files along, the image 0600.
crypttab_tests() {
	local hook=$tmp/hooks/ct
	mkdir -p "$hook" "$tmp/keys"
	head -c 64 /dev/urandom >"$tmp/keys/root.key"
	cat >"$hook/crypttab" <<-EOF
		# the machine's
		cryptroot UUID=43bc5d76-1d7b-4d4d-847f-abc58b094c92 $tmp/keys/root.key luks,discard
		data PARTUUID=b5e4dfc1-27de-4347-a8a1-891871fa7cf3 none luks,tries=5
	EOF
	printf 'crypttab crypttab\n' >"$hook/manifest"
	run_mkrdinit -o "$tmp/ct.img" "$hook"
	check "crypttab: builds" bash -c "[[ $rc -eq 0 ]]"
	check "crypttab: /etc/crypttab holds its two lines, not the comment" \
		bash -c "image_main '$tmp/ct.img' | cpio -i --to-stdout --quiet etc/crypttab | grep -c . | grep -qx 2"
	check "crypttab: the key file is in at its path, mode 0400" \
		grep -q "^-r-------- 1 0 0 ${tmp#/}/keys/root.key$" <(listing "$tmp/ct.img")
	check "crypttab: its bytes are the key's" \
		cmp <(image_main "$tmp/ct.img" | cpio -i --to-stdout --quiet "${tmp#/}/keys/root.key") "$tmp/keys/root.key"
	check "crypttab: an image with a key in it is written 0600" bash -c "[[ \$(stat -c %a '$tmp/ct.img') == 600 ]]"

	printf 'plain UUID=43bc5d76-1d7b-4d4d-847f-abc58b094c92 none luks,keyscript=/lib/cryptsetup/scripts/passdev\n' \
		>"$hook/bad-option"
	printf 'crypttab bad-option\n' >"$hook/manifest"
	expect_failure "crypttab: an option /init does not support is an error naming the file, line and option" 1 \
		"$hook/bad-option:1: plain: /init does not support the option(s) keyscript=/lib/cryptsetup/scripts/passdev" \
		"$tmp/ct-bad.img" -o "$tmp/ct-bad.img" "$hook"
	printf '# fine\nbroken UUID=not-hex none luks\n' >"$hook/bad-line"
	printf 'crypttab bad-line\n' >"$hook/manifest"
	expect_failure "crypttab: a malformed line is an error naming the file and line" 1 \
		"$hook/bad-line:2: identifier is not hexadecimal" "$tmp/ct-bad.img" -o "$tmp/ct-bad.img" "$hook"
	printf 'nokey UUID=43bc5d76-1d7b-4d4d-847f-abc58b094c92 /nonexistent/key luks\n' >"$hook/no-key"
	printf 'crypttab no-key\n' >"$hook/manifest"
	expect_failure "crypttab: a key file that is not there is an error" 1 "/nonexistent/key" \
		"$tmp/ct-bad.img" -o "$tmp/ct-bad.img" "$hook"
	printf 'data PARTUUID=b5e4dfc1-27de-4347-a8a1-891871fa7cf3 none luks\n' >"$hook/no-key"
	run_mkrdinit -o "$tmp/ct-nokey.img" "$hook"
	local nokey_rc=$rc
	run_mkrdinit --resume UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02 -o "$tmp/resume.img" "$hook"
	check "--resume: /etc/rdinit/resume names the device, for a command line without resume=" \
		bash -c "[[ $rc -eq 0 && \$(image_main '$tmp/resume.img' | cpio -i --to-stdout --quiet etc/rdinit/resume) == UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02 ]]"
	expect_failure "--resume: a device resume= would not take is a usage error" 2 "--resume: UUID=nothex:" \
		"$tmp/resume-bad.img" --resume UUID=nothex -o "$tmp/resume-bad.img" "$hook"
	rc=$nokey_rc
	check "crypttab: without a key file the image keeps the usual mode" \
		bash -c "[[ $rc -eq 0 && \$(stat -c %a '$tmp/ct-nokey.img') == $(printf '%o' $((0644 & ~$(umask)))) ]]"
}

# modprobe's view of NAME in the tree under BASE (which holds lib/modules/KVER): the .ko paths it would load,
# relative to the tree, sorted, each once (modprobe repeats a module that several others pull in).
modprobe_files() {
	local base=$1 name=$2
	modprobe -d "$base" -S "$RDINIT_KVER" --show-depends "$name" |
		awk '$1 == "insmod" { print $2 }' | sed "s|^$base/lib/modules/$RDINIT_KVER/||" | sort -u
}

image_files() {
	image_main "$1" | cpio -it --quiet | sed -n "s|^lib/modules/$RDINIT_KVER/\(.*\.ko.*\)$|\1|p" | sort
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

# The firmware a module's modinfo names comes from -f DIR, as NAME or NAME.xz; a missing one is a warning.
firmware_tests() {
	local names
	names=$(modinfo -b "$tmp/base" -k "$RDINIT_KVER" -F firmware e100 2>/dev/null | sort)
	if [[ $(wc -l <<<"$names") -lt 3 ]]; then
		skip "firmware" "module e100 names no three firmware files in this kernel"
		return
	fi
	local first second third
	{ read -r first; read -r second; read -r third; } <<<"$names"
	mkdir -p "$tmp/fw/$(dirname "$first")" "$tmp/fw/$(dirname "$second")" "$tmp/hooks/e100"
	printf 'firmware one\n' >"$tmp/fw/$first"
	printf 'firmware two, compressed\n' | xz --check=crc32 >"$tmp/fw/$second.xz"
	printf 'module e100\n' >"$tmp/hooks/e100/manifest"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -f "$tmp/fw" -o "$tmp/e100.img" "$tmp/hooks/e100"
	check "firmware: a missing firmware file is no error" bash -c "[[ $rc -eq 0 ]]"
	local listed
	listed=$(image_main "$tmp/e100.img" | cpio -it --quiet)
	check "firmware: $first is at /lib/firmware/$first" grep -qx "lib/firmware/$first" <<<"$listed"
	check "firmware: $second.xz (compressed) is at /lib/firmware/$second.xz" grep -qx "lib/firmware/$second.xz" <<<"$listed"
	check "firmware: its content is the file's" \
		cmp <(image_main "$tmp/e100.img" | cpio -i --to-stdout --quiet "lib/firmware/$first") "$tmp/fw/$first"
	check "firmware: the missing $third is a warning naming it and the module" \
		grep -q "^mkrdinit: warning: firmware $third of module e100 (.*) is not in $tmp/fw; left out" "$tmp/stderr"
	check "firmware: the summary counts 2 files and 1 missing" \
		grep -q "^mkrdinit: firmware *2 files *[0-9]* bytes (1 named but missing)$" "$tmp/stderr"
}

# Compressed modules (Debian 13's .ko.xz, others' .ko.zst), in a tree made of this kernel's ext4 and what it
# needs, two of them compressed one way each (not .ko.gz: Debian's kmod reads no gzip, so its depmod indexes no
# such file): --decompress-modules=yes puts each in as the .ko it holds
# (its signature intact), under that name in the image's indexes; no, and auto without --host-only, as they are;
# auto with --host-only decompresses. A file that is not what its name says is an error naming it.
decompress_tests() {
	local zbase=$tmp/zbase ztree=$tmp/zbase/lib/modules/$RDINIT_KVER ko
	local -A how=([kernel/fs/ext4/ext4.ko]=xz [kernel/fs/jbd2/jbd2.ko]=zst)
	mkdir -p "$ztree" "$tmp/hooks/zext4"
	cp "$tree/modules.builtin" "$tree/modules.builtin.modinfo" "$tree/modules.order" "$ztree/"
	while read -r ko; do
		mkdir -p "$ztree/$(dirname "$ko")"
		case ${how[$ko]:-} in
		xz) xz --check=crc32 -c "$tree/$ko" >"$ztree/$ko.xz" ;;
		zst) zstd -q -c "$tree/$ko" >"$ztree/$ko.zst" ;;
		*) cp "$tree/$ko" "$ztree/$ko" ;;
		esac
	done < <(modprobe_files "$tmp/base" ext4)
	if ! depmod -b "$zbase" "$RDINIT_KVER" 2>"$tmp/stderr"; then
		fail "--decompress-modules: depmod indexes the compressed tree" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	printf 'module ext4\n' >"$tmp/hooks/zext4/manifest"
	local expected
	expected=$(modprobe_files "$tmp/base" ext4)

	run_mkrdinit -m "$zbase/lib/modules" -k "$RDINIT_KVER" --decompress-modules=yes -o "$tmp/zyes.img" "$tmp/hooks/zext4"
	check "--decompress-modules=yes: builds" bash -c "[[ $rc -eq 0 ]]"
	check "--decompress-modules=yes: every module is in as .ko, the same files modprobe loads" \
		cmp <(image_files "$tmp/zyes.img") <(echo "$expected")
	local changed=0
	for ko in "${!how[@]}"; do
		cmp -s <(image_main "$tmp/zyes.img" | cpio -i --to-stdout --quiet "lib/modules/$RDINIT_KVER/$ko") "$tree/$ko" ||
			changed=$((changed + 1))
	done
	check "--decompress-modules=yes: ext4.ko.xz and jbd2.ko.zst are in as the .ko each holds, byte for byte" \
		bash -c "[[ $changed -eq 0 ]]"
	check "--decompress-modules=yes: the image's modules.dep names ext4.ko" \
		bash -c "image_main '$tmp/zyes.img' | cpio -i --to-stdout --quiet lib/modules/$RDINIT_KVER/modules.dep | grep -q '^kernel/fs/ext4/ext4.ko: .*kernel/fs/jbd2/jbd2.ko'"
	check "--decompress-modules=yes: the summary counts the 2 decompressed" \
		grep -q "^mkrdinit: modules *[0-9]* files *[0-9]* bytes (2 decompressed)$" "$tmp/stderr"
	mkdir -p "$tmp/zunpacked"
	(cd "$tmp/zunpacked" && image_main "$tmp/zyes.img" | cpio -id --quiet 'lib/*')
	check "--decompress-modules=yes: modprobe on the image's indexes loads the same files" \
		cmp <(modprobe_files "$tmp/zunpacked" ext4) <(echo "$expected")

	run_mkrdinit -m "$zbase/lib/modules" -k "$RDINIT_KVER" --decompress-modules=no -o "$tmp/zno.img" "$tmp/hooks/zext4"
	check "--decompress-modules=no: the compressed files are in as they are, byte for byte" bash -c "[[ $rc -eq 0 ]] &&
		cmp <(image_main '$tmp/zno.img' | cpio -i --to-stdout --quiet lib/modules/$RDINIT_KVER/kernel/fs/ext4/ext4.ko.xz) '$ztree/kernel/fs/ext4/ext4.ko.xz' &&
		cmp <(image_main '$tmp/zno.img' | cpio -i --to-stdout --quiet lib/modules/$RDINIT_KVER/kernel/fs/jbd2/jbd2.ko.zst) '$ztree/kernel/fs/jbd2/jbd2.ko.zst'"
	run_mkrdinit -m "$zbase/lib/modules" -k "$RDINIT_KVER" -o "$tmp/zauto.img" "$tmp/hooks/zext4"
	check "--decompress-modules=auto (the default), generic: as =no" cmp "$tmp/zauto.img" "$tmp/zno.img"

	# --host-only: a virtio disk with ext4 on it, as host_only_tests make it; the tree has no virtio drivers
	# (a warning), ext4 is what counts.
	local sys=$tmp/zsys
	make_sysfs "$sys"
	printf '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n' >"$tmp/zmountinfo"
	printf 'hostonly\nmodule ext4\n' >"$tmp/hooks/zext4/manifest"
	run_mkrdinit -m "$zbase/lib/modules" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/zmountinfo" \
		-o "$tmp/zhost.img" "$tmp/hooks/zext4"
	check "--decompress-modules=auto, --host-only: decompressed" bash -c "[[ $rc -eq 0 ]] &&
		image_main '$tmp/zhost.img' | cpio -it --quiet | grep -qx 'lib/modules/$RDINIT_KVER/kernel/fs/ext4/ext4.ko'"
	printf 'module ext4\n' >"$tmp/hooks/zext4/manifest"

	expect_failure "--decompress-modules: a value other than auto, yes or no is a usage error" 2 \
		"--decompress-modules: expected auto, yes or no, got 'always'" "$tmp/zbad.img" \
		--decompress-modules=always -o "$tmp/zbad.img" "$tmp/hooks/zext4"
	# A file libkmod cannot read fails already where the module is resolved: named with its modinfo.
	head -c 1000 "$ztree/kernel/fs/ext4/ext4.ko.xz" >"$tmp/truncated" && mv "$tmp/truncated" "$ztree/kernel/fs/ext4/ext4.ko.xz"
	expect_failure "--decompress-modules=yes: a truncated .ko.xz is an error naming the module and its file" 1 \
		"unable to read the modinfo of module 'ext4' ($(realpath "$ztree")/kernel/fs/ext4/ext4.ko.xz)" "$tmp/zbad.img" \
		-m "$zbase/lib/modules" -k "$RDINIT_KVER" --decompress-modules=yes -o "$tmp/zbad.img" "$tmp/hooks/zext4"
	# One libkmod reads by what it holds, not by its name: decompressing it finds the lie.
	cp "$tree/kernel/fs/ext4/ext4.ko" "$ztree/kernel/fs/ext4/ext4.ko.xz"
	expect_failure "--decompress-modules=yes: a .ko.xz that holds no xz data is an error naming it" 1 \
		"unable to decompress module $(realpath "$ztree")/kernel/fs/ext4/ext4.ko.xz: it is not xz, zstd or gzip data" \
		"$tmp/zbad.img" -m "$zbase/lib/modules" -k "$RDINIT_KVER" --decompress-modules=yes -o "$tmp/zbad.img" "$tmp/hooks/zext4"
}

# --list with modules: the generated files (module indexes, kernel version) go to OUT.d, and the list read back
# as a manifest builds the same bytes as the direct build.
list_module_tests() {
	mkdir -p "$tmp/hooks/ext4-list" "$tmp/data"
	printf '#!/bin/sh\n' >"$tmp/data/init"
	printf 'file /init %s 0755 0 0\nmodule ext4\n' "$tmp/data/init" >"$tmp/hooks/ext4-list/manifest"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/ext4-list.img" "$tmp/hooks/ext4-list"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --list -o "$tmp/ext4.list" "$tmp/hooks/ext4-list"
	check "--list with modules: the module indexes are written to OUT.d" \
		bash -c "[[ $rc -eq 0 && -s '$tmp/ext4.list.d/lib/modules/$RDINIT_KVER/modules.dep.bin' && -s '$tmp/ext4.list.d/etc/rdinit/kernel-version' ]]"
	check "--list with modules: modules are file lines with the tree's absolute paths" \
		grep -q "^file /lib/modules/$RDINIT_KVER/kernel/fs/ext4/ext4.ko $(realpath "$RDINIT_MODULES_DIR")/$RDINIT_KVER/kernel/fs/ext4/ext4.ko 0644 0 0$" "$tmp/ext4.list"
	mkdir -p "$tmp/hooks/from-ext4-list"
	cp "$tmp/ext4.list" "$tmp/hooks/from-ext4-list/manifest"
	run_mkrdinit -o "$tmp/from-ext4-list.img" "$tmp/hooks/from-ext4-list"
	check "--list with modules: built again from the list, the image is byte for byte the same" \
		cmp "$tmp/from-ext4-list.img" "$tmp/ext4-list.img"
	"$mkrdinit" -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --list --list-dir "$tmp/elsewhere" "$tmp/hooks/ext4-list" \
		>"$tmp/ext4-stdout.list" 2>/dev/null
	check "--list --list-dir DIR: the generated files are named in DIR" \
		grep -q "^file /lib/modules/$RDINIT_KVER/modules.dep $tmp/elsewhere/lib/modules/$RDINIT_KVER/modules.dep 0644 0 0$" "$tmp/ext4-stdout.list"
	expect_failure "--list to standard output with generated files needs --list-dir" 1 "no folder to write them in (--list-dir)" \
		"$tmp/none" -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --list "$tmp/hooks/ext4-list"
}

# modprobe.d: the files libkmod would read (an earlier folder's name hides a later one's) go to /etc/modprobe.d
# of the image, and mkrdinit resolves modules with them: a softdep brings its module in, an alias names one, a
# blacklisted module is not left out (as dracut); --no-modprobe-conf puts none in and resolves without them.
modprobe_conf_tests() {
	local conf=$tmp/modprobe
	mkdir -p "$conf/etc" "$conf/lib/sub.conf" "$tmp/hooks/conf-ext4" "$tmp/hooks/conf-alias"
	printf 'blacklist mbcache\nsoftdep ext4 post: loop\ninstall floppy /bin/true\n' >"$conf/etc/local.conf"
	printf 'options loop max_loop=4\n' >"$conf/lib/local.conf"
	printf 'alias rdinit-test-disk virtio_blk\n' >"$conf/lib/aliases.conf"
	printf 'blacklist ext4\n' >"$conf/lib/.hidden.conf"
	printf 'blacklist ext4\n' >"$conf/lib/not-a-conf"
	printf 'module ext4\n' >"$tmp/hooks/conf-ext4/manifest"
	printf 'module rdinit-test-disk\n' >"$tmp/hooks/conf-alias/manifest"
	local dirs=(--modprobe-conf "$conf/etc" --modprobe-conf "$conf/lib" --modprobe-conf "$conf/none")
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" "${dirs[@]}" -o "$tmp/conf.img" "$tmp/hooks/conf-ext4"
	if [[ $rc -ne 0 ]]; then
		fail "modprobe.d: builds" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	local listed
	listed=$(image_main "$tmp/conf.img" | cpio -it --quiet)
	check "modprobe.d: the image's /etc/modprobe.d holds exactly aliases.conf and local.conf" \
		bash -c "[[ \$(grep '^etc/modprobe.d/' <<<'$listed' | tr '\n' ' ') == 'etc/modprobe.d/aliases.conf etc/modprobe.d/local.conf ' ]]"
	check "modprobe.d: local.conf is the first folder's, which hides the second's" \
		cmp <(image_main "$tmp/conf.img" | cpio -i --to-stdout --quiet etc/modprobe.d/local.conf) "$conf/etc/local.conf"
	check "modprobe.d: its softdep brings loop in" grep -q "^lib/modules/$RDINIT_KVER/.*/loop\.ko" <<<"$listed"
	local expected actual
	expected=$(modprobe -C "$conf/etc" -d "$tmp/base" -S "$RDINIT_KVER" --show-depends ext4 |
		awk '$1 == "insmod" { print $2 }' | sed "s|^$tmp/base/lib/modules/$RDINIT_KVER/||" | sort -u)
	actual=$(image_files "$tmp/conf.img")
	if [[ -n $expected && $actual == "$expected" ]]; then
		pass "modprobe.d: the image holds what modprobe -C lists for ext4 with that configuration"
	else
		fail "modprobe.d: the image holds what modprobe -C lists for ext4 with that configuration" "expected:" $expected "got:" $actual
	fi
	check "modprobe.d: the blacklisted dependency mbcache is still in the image (/init keeps it out)" \
		grep -q "^lib/modules/$RDINIT_KVER/.*/mbcache\.ko" <<<"$listed"
	check "modprobe.d: the summary counts 2 files" grep -q '^mkrdinit: modprobe.d *2 files' "$tmp/stderr"
	check "modprobe.d: the install line is a warning naming the file, the line and the module" \
		grep -q "^mkrdinit: warning: $conf/etc/local.conf:3: /init runs no install commands: it will not load floppy from the image" "$tmp/stderr"

	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" "${dirs[@]}" -o "$tmp/conf-alias.img" "$tmp/hooks/conf-alias"
	check "modprobe.d: an alias of modprobe.d names a module" \
		bash -c "[[ $rc -eq 0 ]] && image_main '$tmp/conf-alias.img' | cpio -it --quiet | grep -q '/virtio_blk\.ko'"

	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --no-modprobe-conf -o "$tmp/noconf.img" "$tmp/hooks/conf-ext4"
	check "--no-modprobe-conf: no /etc/modprobe.d in the image" \
		bash -c "[[ $rc -eq 0 ]] && ! image_main '$tmp/noconf.img' | cpio -it --quiet | grep -q '^etc/modprobe.d'"
	check "--no-modprobe-conf: no softdep of modprobe.d brings loop in" \
		bash -c "! image_main '$tmp/noconf.img' | cpio -it --quiet | grep -q '/loop\.ko'"
	expect_failure "--no-modprobe-conf with --modprobe-conf is bad usage" 2 "--no-modprobe-conf and --modprobe-conf: choose one" \
		"$tmp/both.img" --no-modprobe-conf --modprobe-conf "$conf/etc" -o "$tmp/both.img" "$tmp/hooks/conf-ext4"

	# By default, this machine's: each name once, the first of libkmod's folders that has it.
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/hostconf.img" "$tmp/hooks/conf-ext4"
	expected=$(for d in /etc/modprobe.d /run/modprobe.d /usr/local/lib/modprobe.d /usr/lib/modprobe.d /lib/modprobe.d; do
		ls -1 "$d" 2>/dev/null | grep -v '^\.' | grep '.\.conf$'; done | sort -u | sed 's|^|etc/modprobe.d/|')
	check "modprobe.d: by default the image has this machine's files ($(wc -w <<<"$expected"))" \
		bash -c "[[ $rc -eq 0 && \"\$(image_main '$tmp/hostconf.img' | cpio -it --quiet | grep '^etc/modprobe.d/' | sort)\" == '$expected' ]]"
}

# A sysfs tree as the kernel makes it for a virtio disk (vda1 on vda on virtio2 on PCI 0000:00:04.0), and a
# device-mapper device (dm-0, a dm-crypt mapping) resting on vda1.
make_sysfs() {
	local sys=$1 pci=$1/devices/pci0000:00/0000:00:04.0
	mkdir -p "$pci/virtio2/block/vda/vda1" "$sys/bus/pci/drivers/virtio-pci" "$sys/bus/virtio/drivers/virtio_blk" \
		"$sys/module/virtio_pci" "$sys/module/virtio_blk" "$sys/dev/block" "$sys/devices/virtual/block/dm-0/dm" \
		"$sys/devices/virtual/block/dm-0/slaves"
	ln -s ../../../../module/virtio_pci "$sys/bus/pci/drivers/virtio-pci/module"
	ln -s ../../../../module/virtio_blk "$sys/bus/virtio/drivers/virtio_blk/module"
	ln -s ../../../bus/pci/drivers/virtio-pci "$pci/driver"
	ln -s ../../../../bus/virtio/drivers/virtio_blk "$pci/virtio2/driver"
	echo pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00 >"$pci/modalias"
	echo virtio:d00000002v00001AF4 >"$pci/virtio2/modalias"
	echo 254:1 >"$pci/virtio2/block/vda/vda1/dev"
	ln -s ../../devices/pci0000:00/0000:00:04.0/virtio2/block/vda/vda1 "$sys/dev/block/254:1"
	ln -s ../../devices/virtual/block/dm-0 "$sys/dev/block/253:0"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio2/block/vda/vda1 "$sys/devices/virtual/block/dm-0/slaves/vda1"
	echo CRYPT-LUKS2-0123456789abcdef0123456789abcdef-root >"$sys/devices/virtual/block/dm-0/dm/uuid"
	echo root >"$sys/devices/virtual/block/dm-0/dm/name"
}

# --host-only: the module lines of `hostonly` hooks give way to what the root's devices need.
host_only_tests() {
	local sys=$tmp/sys
	make_sysfs "$sys"
	printf '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n' >"$tmp/mountinfo-vda1"
	printf '22 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/root rw\n' >"$tmp/mountinfo-dm"
	printf '30 1 0:27 / / rw - overlay overlay rw,lowerdir=/a\n' >"$tmp/mountinfo-overlay"
	mkdir -p "$tmp/hooks/storage" "$tmp/hooks/fs" "$tmp/hooks/keep"
	printf 'hostonly\nmodule ahci\nmodule nvme\nmodule virtio_scsi\n' >"$tmp/hooks/storage/manifest"
	printf '# filesystems\nhostonly\nmodule btrfs\nmodule ext4\n' >"$tmp/hooks/fs/manifest"
	printf 'module dm_mirror\n' >"$tmp/hooks/keep/manifest"

	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-vda1" \
		-o "$tmp/host.img" "$tmp/hooks/storage" "$tmp/hooks/fs" "$tmp/hooks/keep"
	if [[ $rc -ne 0 ]]; then
		fail "--host-only: builds" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		return
	fi
	local expected actual
	expected=$( (modprobe_files "$tmp/base" virtio_pci; modprobe_files "$tmp/base" virtio_blk
		modprobe_files "$tmp/base" fs-ext4; modprobe_files "$tmp/base" dm_mirror) | sort -u)
	actual=$(image_files "$tmp/host.img")
	if [[ $actual == "$expected" ]]; then
		pass "--host-only: the drivers of the root's devices and fs-ext4 replace the hostonly hooks' lists; other hooks keep theirs"
	else
		fail "--host-only: the drivers of the root's devices and fs-ext4 replace the hostonly hooks' lists" "expected:" $expected "got:" $actual
	fi
	check "--host-only: says what it found and what it left out" \
		grep -q "^mkrdinit: host-only: '/' is ext4 on $(realpath "$sys")/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/vda1; instead of 5 module lines of hostonly hooks: virtio_blk .*virtio_pci .*fs-ext4$" "$tmp/stderr"

	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-dm" \
		-o "$tmp/host-dm.img" "$tmp/hooks/storage" "$tmp/hooks/fs"
	expected=$( (modprobe_files "$tmp/base" virtio_pci; modprobe_files "$tmp/base" virtio_blk
		modprobe_files "$tmp/base" fs-xfs; modprobe_files "$tmp/base" dm-mod; modprobe_files "$tmp/base" dm-crypt) | sort -u)
	actual=$(image_files "$tmp/host-dm.img")
	if [[ $rc -eq 0 && $actual == "$expected" ]]; then
		pass "--host-only: a dm-crypt root brings dm-mod, dm-crypt, fs-xfs and, through slaves/, the disk's drivers"
	else
		fail "--host-only: a dm-crypt root brings dm-mod, dm-crypt, fs-xfs and the disk's drivers" "stderr: $(cat "$tmp/stderr")" "expected:" $expected "got:" $actual
	fi

	# `hostonly keyboard`: the rescue hook's USB keyboard drivers give way to those of the machine's keyboards.
	# A USB keyboard (HID device on a USB interface on an xHCI controller), a power button (keys, but not a
	# keyboard's; its ACPI driver, button, would come in if it were taken for one) and a PS/2 keyboard whose
	# drivers (atkbd, i8042) the kernel has built in.
	local kbd=$tmp/sys-kbd xhci hid button ps2
	make_sysfs "$kbd"
	xhci=$kbd/devices/pci0000:00/0000:00:14.0
	hid=$xhci/usb1/1-1/1-1:1.0/0003:046D:C31C.0001
	button=$kbd/devices/LNXSYSTM:00/LNXPWRBN:00
	ps2=$kbd/devices/platform/i8042/serio0
	mkdir -p "$hid/input/input3/capabilities" "$hid/input/input3/event3" "$button/input/input0/capabilities" \
		"$ps2/input/input1/capabilities" "$kbd/class/input"
	for d in xhci_hcd:xhci_pci usbhid:usbhid hid-generic:hid_generic button:button atkbd:atkbd; do
		mkdir -p "$kbd/bus/x/drivers/${d%%:*}" "$kbd/module/${d#*:}"
		ln -s "../../../../module/${d#*:}" "$kbd/bus/x/drivers/${d%%:*}/module"
	done
	ln -s "$kbd/bus/x/drivers/xhci_hcd" "$xhci/driver"
	ln -s "$kbd/bus/x/drivers/usbhid" "$xhci/usb1/1-1/1-1:1.0/driver"
	ln -s "$kbd/bus/x/drivers/hid-generic" "$hid/driver"
	ln -s "$kbd/bus/x/drivers/button" "$button/driver"
	ln -s "$kbd/bus/x/drivers/atkbd" "$ps2/driver"
	echo 'ffffffffffffffff fffffffffffffffe' >"$hid/input/input3/capabilities/key"
	echo '10000000000000 0' >"$button/input/input0/capabilities/key"
	echo '402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe' >"$ps2/input/input1/capabilities/key"
	ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/0003:046D:C31C.0001/input/input3 "$kbd/class/input/input3"
	ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/0003:046D:C31C.0001/input/input3/event3 "$kbd/class/input/event3"
	ln -s ../../devices/LNXSYSTM:00/LNXPWRBN:00/input/input0 "$kbd/class/input/input0"
	ln -s ../../devices/platform/i8042/serio0/input/input1 "$kbd/class/input/input1"
	mkdir -p "$tmp/hooks/shell"
	printf 'hostonly keyboard\nmodule ehci_pci\nmodule usbhid\nmodule hid_generic\n' >"$tmp/hooks/shell/manifest"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$kbd" --mountinfo "$tmp/mountinfo-vda1" \
		-o "$tmp/host-kbd.img" "$tmp/hooks/fs" "$tmp/hooks/shell"
	expected=$( (modprobe_files "$tmp/base" virtio_pci; modprobe_files "$tmp/base" virtio_blk
		modprobe_files "$tmp/base" fs-ext4; modprobe_files "$tmp/base" xhci_pci; modprobe_files "$tmp/base" usbhid
		modprobe_files "$tmp/base" hid_generic) | sort -u)
	actual=$(image_files "$tmp/host-kbd.img")
	if [[ $rc -eq 0 && $actual == "$expected" ]]; then
		pass "--host-only, hostonly keyboard: the USB keyboard's drivers (xhci_pci, usbhid, hid_generic), not ehci_pci, not the power button's"
	else
		fail "--host-only, hostonly keyboard: the USB keyboard's drivers replace the hook's lines" "stderr: $(cat "$tmp/stderr")" "expected:" $expected "got:" $actual
	fi
	check "--host-only, hostonly keyboard: names the keyboards it found" \
		grep -q "^mkrdinit: host-only: the drivers of 2 keyboard(s) instead of 3 module lines of .hostonly keyboard. hooks: $(realpath "$kbd")/devices/platform/i8042/serio0/input/input1 $(realpath "$kbd")/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/0003:046D:C31C.0001/input/input3$" "$tmp/stderr"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-vda1" \
		-o "$tmp/host-nokbd.img" "$tmp/hooks/fs" "$tmp/hooks/shell"
	check "--host-only, hostonly keyboard, a machine without keyboards: the hook's module lines left out, said so" \
		bash -c "[[ $rc -eq 0 ]] && ! image_main '$tmp/host-nokbd.img' | cpio -it --quiet | grep -q '/usbhid\.ko' &&
			grep -q '^mkrdinit: host-only: no keyboard in $sys/class/input: 3 module lines of .hostonly keyboard. hooks left out' '$tmp/stderr'"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/generic-kbd.img" "$tmp/hooks/shell"
	check "without --host-only, a hostonly keyboard hook keeps its module lines (ehci_pci)" \
		bash -c "[[ $rc -eq 0 ]] && image_main '$tmp/generic-kbd.img' | cpio -it --quiet | grep -q '/ehci-pci\.ko'"

	# `hostonly if dm-crypt`: a LUKS hook's ciphers and keyboards, only for a root that needs dm-crypt.
	mkdir -p "$tmp/hooks/cryptish"
	printf 'hostonly if dm-crypt\nmodule xts\nmodule essiv\n' >"$tmp/hooks/cryptish/manifest"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-vda1" \
		-o "$tmp/host-nocrypt.img" "$tmp/hooks/fs" "$tmp/hooks/cryptish"
	check "--host-only, hostonly if dm-crypt, a root on vda1: its module lines left out, said so" \
		bash -c "[[ $rc -eq 0 ]] && ! image_main '$tmp/host-nocrypt.img' | cpio -it --quiet | grep -q '/xts\.ko\|/essiv\.ko' &&
			grep -q '^mkrdinit: host-only: 2 module lines of .hostonly if. hooks left out' '$tmp/stderr'"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-dm" \
		-o "$tmp/host-crypt.img" "$tmp/hooks/fs" "$tmp/hooks/cryptish"
	check "--host-only, hostonly if dm-crypt, a root on dm-crypt: its module lines kept (xts, essiv)" \
		bash -c "[[ $rc -eq 0 ]] && image_main '$tmp/host-crypt.img' | cpio -it --quiet | grep -q '/xts\.ko' &&
			image_main '$tmp/host-crypt.img' | cpio -it --quiet | grep -q '/essiv\.ko'"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/generic-crypt.img" "$tmp/hooks/cryptish"
	check "without --host-only, a hostonly if hook keeps its module lines" \
		bash -c "[[ $rc -eq 0 ]] && image_main '$tmp/generic-crypt.img' | cpio -it --quiet | grep -q '/xts\.ko'"

	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/generic.img" "$tmp/hooks/storage" "$tmp/hooks/fs"
	check "without --host-only, hostonly hooks keep their module lines (ahci, btrfs are there)" \
		bash -c "[[ $rc -eq 0 ]] && image_main '$tmp/generic.img' | cpio -it --quiet | grep -q '/ahci\.ko' && image_main '$tmp/generic.img' | cpio -it --quiet | grep -q '/btrfs\.ko'"

	# The machine's crypttab: only the line of the dm-crypt device under '/' goes in.
	printf 'root UUID=0123456789abcdef0123456789abcdef none luks,discard\nhome /dev/sdb1 none luks\n' >"$tmp/host-crypttab"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-dm" \
		--crypttab "$tmp/host-crypttab" -o "$tmp/host-ct.img" "$tmp/hooks/fs"
	check "--host-only: the crypttab line of the dm-crypt device under '/' is in /etc/crypttab, and no other" \
		bash -c "[[ $rc -eq 0 && \$(image_main '$tmp/host-ct.img' | cpio -i --to-stdout --quiet etc/crypttab) == 'root UUID=0123456789abcdef0123456789abcdef none luks,discard' ]]"
	printf 'home /dev/sdb1 none luks\n' >"$tmp/host-crypttab"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-dm" \
		--crypttab "$tmp/host-crypttab" -o "$tmp/host-ct2.img" "$tmp/hooks/fs"
	check "--host-only: a dm-crypt root without a crypttab line is a warning, and no /etc/crypttab" \
		bash -c "[[ $rc -eq 0 ]] && grep -q 'has lines for 0 of them' '$tmp/stderr' && ! image_main '$tmp/host-ct2.img' | cpio -it --quiet | grep -qx etc/crypttab"

	# An md array under '/': the machine's mdadm.conf lines for it go in; RESUME= of conf.d/resume too.
	local md=$sys/devices/virtual/block/md127
	mkdir -p "$md/md" "$md/slaves" "$tmp/dev/md"
	echo raid1 >"$md/md/level"
	ln -s ../../devices/virtual/block/md127 "$sys/dev/block/9:127"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio2/block/vda/vda1 "$md/slaves/vda1"
	: >"$tmp/dev/md127" >"$tmp/dev/md126"
	ln -s ../md127 "$tmp/dev/md/rdroot"
	ln -s ../md126 "$tmp/dev/md/other"
	printf '22 1 9:127 / / rw,relatime shared:1 - ext4 /dev/md127 rw\n' >"$tmp/mountinfo-md"
	cat >"$tmp/mdadm.conf" <<-EOF
		# mdadm.conf
		HOMEHOST <system>
		ARRAY $tmp/dev/md/rdroot metadata=1.2 UUID=335684f2:7fba4c0e:a43f0708:d2da28db name=rdroot
		ARRAY $tmp/dev/md/other metadata=1.2 UUID=11111111:22222222:33333333:44444444
	EOF
	printf '# written by the installer\nRESUME=UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02\n' >"$tmp/resume.conf"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-md" \
		--mdadm-conf "$tmp/mdadm.conf" --resume-conf "$tmp/resume.conf" -o "$tmp/host-md.img" "$tmp/hooks/fs"
	check "--host-only: an md root brings md-raid1 and the members' drivers" \
		bash -c "[[ $rc -eq 0 ]] && grep -q 'md-raid1' '$tmp/stderr' && image_main '$tmp/host-md.img' | cpio -it --quiet | grep -q '/raid1\.ko'"
	check "--host-only: mdadm.conf keeps HOMEHOST and the ARRAY line of the array under '/', not the other" \
		bash -c "[[ \$(image_main '$tmp/host-md.img' | cpio -i --to-stdout --quiet etc/mdadm/mdadm.conf) == \$'HOMEHOST <system>\\nARRAY $tmp/dev/md/rdroot metadata=1.2 UUID=335684f2:7fba4c0e:a43f0708:d2da28db name=rdroot' ]]"
	check "--host-only: the machine's RESUME= becomes /etc/rdinit/resume" \
		bash -c "[[ \$(image_main '$tmp/host-md.img' | cpio -i --to-stdout --quiet etc/rdinit/resume) == UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02 ]]"

	# The resume swap on dm-crypt: its crypttab line goes in too.
	local swapdm=$sys/devices/virtual/block/dm-1
	mkdir -p "$swapdm/dm" "$swapdm/slaves"
	echo CRYPT-LUKS2-fedcba9876543210fedcba9876543210-cryptswap >"$swapdm/dm/uuid"
	echo cryptswap >"$swapdm/dm/name"
	ln -s ../../devices/virtual/block/dm-1 "$sys/dev/block/253:1"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio2/block/vda/vda1 "$swapdm/slaves/vda1"
	printf 'RESUME=253:1\n' >"$tmp/resume-swap.conf"
	printf 'root UUID=0123456789abcdef0123456789abcdef none luks\ncryptswap UUID=fedcba9876543210fedcba9876543210 none luks\nhome /dev/sdb1 none luks\n' >"$tmp/host-crypttab"
	run_mkrdinit -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" --mountinfo "$tmp/mountinfo-dm" \
		--crypttab "$tmp/host-crypttab" --resume-conf "$tmp/resume-swap.conf" -o "$tmp/host-swap.img" "$tmp/hooks/fs"
	check "--host-only: the resume swap's crypttab line goes in next to the root's" \
		bash -c "[[ $rc -eq 0 && \$(image_main '$tmp/host-swap.img' | cpio -i --to-stdout --quiet etc/crypttab) == \$'root UUID=0123456789abcdef0123456789abcdef none luks\\ncryptswap UUID=fedcba9876543210fedcba9876543210 none luks' ]]"

	expect_failure "--host-only: a root on no block device fails, saying what it is" 1 \
		"mkrdinit: --host-only: unable to find the block device that holds '/': it is overlay from 'overlay'" \
		"$tmp/host-overlay.img" -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" --host-only --sysfs "$sys" \
		--mountinfo "$tmp/mountinfo-overlay" -o "$tmp/host-overlay.img" "$tmp/hooks/fs"
}

# Every shipped hook builds, each next to base; all of them together build twice to the same bytes.
hooks_tests() {
	local hooks_dir=${1:?hooks mode needs HOOKS_DIR}
	if [[ -z ${RDINIT_MODULES_DIR:-} || -z ${RDINIT_KVER:-} ]]; then
		skip_all "RDINIT_MODULES_DIR and RDINIT_KVER are not set (no kernel modules to test with: run through test/run)"
	fi
	printf '#!/bin/sh\n' >"$tmp/init"
	local args=(-m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -D RDINIT_INIT="$tmp/init")
	local dir name all=() missing
	for dir in "$hooks_dir"/*/; do
		name=$(basename "$dir")
		# A hook that needs a program this machine lacks cannot be built here; say so rather than fail.
		missing=''
		while read -r program; do
			[[ $program == /* ]] && [[ -e $program ]] && continue
			[[ $program != /* ]] && PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$program" >/dev/null && continue
			missing+=" $program"
		done < <(awk '$1 == "binary" { print $2 }' "$dir/manifest")
		if [[ -n $missing ]]; then
			skip "hook $name builds" "this machine has no$missing"
			continue
		fi
		all+=("$name")
		run_mkrdinit "${args[@]}" --hooks-dir "$hooks_dir" -o "$tmp/hook-$name.img" base "$name"
		if [[ $rc -eq 0 ]]; then
			pass "hook $name builds ($(sed -n 's/^mkrdinit: total *\([0-9]*\) files *\([0-9]*\) bytes$/\1 files, \2 bytes/p' "$tmp/stderr"))"
		else
			fail "hook $name builds" "exit status $rc" "stderr: $(cat "$tmp/stderr")"
		fi
		local script
		for script in $(awk '$1 == "hook" { print $3 }' "$dir/manifest"); do
			check "hook $name: $script is a shell script sh -n accepts" sh -n "$dir/$script"
		done
	done

	if [[ ! -f $hooks_dir/rescue/manifest ]]; then
		fail "hook rescue: $hooks_dir/rescue/manifest exists"
	elif [[ ! -x /bin/busybox ]]; then
		skip "hook rescue: every applet it links is in this machine's busybox" "no /bin/busybox on this machine"
	else
		local applet absent=''
		for applet in $(awk '$1 == "slink" && $3 == "busybox" { sub("^/bin/", "", $2); print $2 }' "$hooks_dir/rescue/manifest"); do
			/bin/busybox --list | grep -qxF -- "$applet" || absent+=" $applet"
		done
		check "hook rescue: every applet it links is in this machine's busybox${absent:+ (not:$absent)}" test -z "$absent"
	fi

	run_mkrdinit "${args[@]}" --hooks-dir "$hooks_dir" -o "$tmp/all-1.img" "${all[@]}"
	local summary
	summary=$(cat "$tmp/stderr")
	run_mkrdinit "${args[@]}" --hooks-dir "$hooks_dir" -o "$tmp/all-2.img" "${all[@]}"
	check "all hooks together (${all[*]}): two builds give identical bytes" cmp "$tmp/all-1.img" "$tmp/all-2.img"
	echo "$summary" | sed 's/^/# /'
	local listing
	listing=$(listing "$tmp/all-1.img")
	local hook_line
	while read -r hook_line; do
		check "all hooks: $hook_line is a 0755 root-owned file" grep -qx -- "-rwxr-xr-x 1 0 0 $hook_line" <<<"$listing"
	done < <(for name in "${all[@]}"; do cat "$hooks_dir/$name/manifest"; done |
		awk '$1 == "hook" { n = split($3, p, "/"); print "lib/rdinit/hooks/" $2 "/" p[n] }')
	if [[ " ${all[*]} " == *" rescue "* ]]; then
		check "all hooks: /bin/sh is busybox" grep -qx -- "lrwxrwxrwx 1 0 0 bin/sh -> busybox" <<<"$listing"
	else
		skip "all hooks: /bin/sh is busybox" "the rescue hook was not built (see its line above)"
	fi
}

modules_tests() {
	if [[ -z ${RDINIT_MODULES_DIR:-} || -z ${RDINIT_KVER:-} ]]; then
		skip_all "RDINIT_MODULES_DIR and RDINIT_KVER are not set (no kernel modules to test with: run through test/run)"
	fi
	local tree=$RDINIT_MODULES_DIR/$RDINIT_KVER
	if [[ ! -e $tree/modules.dep.bin ]]; then
		echo "not ok 1 - $tree/modules.dep.bin exists (RDINIT_MODULES_DIR and RDINIT_KVER name a depmod'ed tree)"
		echo "1..1"
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
		listed=$(image_main "$tmp/ext4.img" | cpio -it --quiet)
		local index
		for index in modules.dep modules.dep.bin modules.alias.bin modules.softdep modules.symbols.bin modules.builtin.bin; do
			check "module ext4: the image has $index" grep -qx "lib/modules/$RDINIT_KVER/$index" <<<"$listed"
		done
		check "module ext4: /etc/rdinit/kernel-version says $RDINIT_KVER" \
			bash -c "[[ \$(image_main '$tmp/ext4.img' | cpio -i --to-stdout --quiet etc/rdinit/kernel-version) == '$RDINIT_KVER' ]]"

		# The image's own indexes must give /init's libkmod the answers the full tree gives.
		mkdir -p "$tmp/unpacked"
		(cd "$tmp/unpacked" && image_main "$tmp/ext4.img" | cpio -id --quiet 'lib/*')
		check "module ext4: modprobe on the image's indexes loads the same files" \
			cmp <(modprobe_files "$tmp/unpacked" ext4) <(modprobe_files "$tmp/base" ext4)

		# Module files are copied byte for byte: Debian signs its modules, and a signature covers the whole file.
		local ko signed=0 changed=0
		while read -r ko; do
			cmp -s "$tmp/unpacked/lib/modules/$RDINIT_KVER/$ko" "$tree/$ko" || changed=$((changed + 1))
			[[ $(tail -c 28 "$tmp/unpacked/lib/modules/$RDINIT_KVER/$ko") == '~Module signature appended~' ]] &&
				signed=$((signed + 1))
		done < <(image_files "$tmp/ext4.img")
		check "module ext4: every module file is the tree's, byte for byte ($signed of them signed, signature intact)" \
			bash -c "[[ $changed -eq 0 ]]"

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
			bash -c "[[ $rc -eq 0 && -z \$(image_main '$tmp/builtin.img' | cpio -it --quiet | grep '\.ko') ]]"
	else
		skip "a builtin module builds with no .ko file" "$tree/modules.builtin names no module"
	fi

	firmware_tests
	decompress_tests
	modprobe_conf_tests
	list_module_tests
	host_only_tests

	mkdir -p "$tmp/hooks/nomod"
	printf '# nomod\n\nmodule no_such_module_anywhere\n' >"$tmp/hooks/nomod/manifest"
	expect_failure "an unknown module fails, naming the line" 1 \
		"$tmp/hooks/nomod/manifest:3: module 'no_such_module_anywhere' not found in $tree" \
		"$tmp/nomod.img" -m "$RDINIT_MODULES_DIR" -k "$RDINIT_KVER" -o "$tmp/nomod.img" "$tmp/hooks/nomod"
}

if ! command -v cpio >/dev/null; then
	echo "Bail out! cpio is needed to read the images back"
	exit 99
fi

case $mode in
basic) basic_tests ;;
modules) modules_tests ;;
hooks) hooks_tests "${3:-}" ;;
*)
	echo "Bail out! unknown mode '$mode'"
	exit 99
	;;
esac

tap_done
