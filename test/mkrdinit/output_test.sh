#!/bin/bash
# Tests how mkrdinit writes -o FILE: so that a failure, a kill or a power cut leaves FILE either as it was or
# complete, never torn, and nothing that a planted symbolic link could redirect.
#
# Usage: output_test.sh MKRDINIT
#
# Checks, through strace: the system calls come in the order that makes the image durable (a new temporary
# file opened O_EXCL|O_NOFOLLOW, its writes, fsync of it, the rename over FILE, fsync of the folder); an fsync
# that fails (strace's fault injection), a full filesystem (a small tmpfs, in a private mount namespace: needs
# root) or a close that fails makes mkrdinit fail and leaves the old image byte for byte; SIGKILL or SIGTERM at
# each invocation of each system call of a build leaves the old image or the new one, and after SIGTERM (and
# SIGINT, SIGHUP while writing) no temporary file and a death by that signal. Without strace (Debian: strace)
# those checks are skipped. Then: an output that is a symbolic link is refused; the mode (and, for root, the
# owner) of the image replaced is kept, a new image is 0644 less the umask, and one with a key file 0600;
# --list refuses a planted symbolic link in its folder.
set -u

mkrdinit=${1:?usage: output_test.sh MKRDINIT}
[[ $mkrdinit == */* ]] && mkrdinit=$(cd "$(dirname "$mkrdinit")" && pwd)/$(basename "$mkrdinit")
unset SOURCE_DATE_EPOCH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/output-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=test/mkrdinit/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# Two images: "old" small, "new" big enough (300 KB of noise, uncompressed) to take many writes.
mkdir -p "$tmp/old" "$tmp/new"
printf 'old\n' >"$tmp/old-file"
head -c 300000 /dev/urandom >"$tmp/new-file"
printf 'dir /etc 0755 0 0\nfile /etc/data %s 0644 0 0\n' "$tmp/old-file" >"$tmp/old/manifest"
printf 'dir /etc 0755 0 0\nfile /etc/data %s 0644 0 0\n' "$tmp/new-file" >"$tmp/new/manifest"
# A firmware folder of two small fake microcode blobs: every image has its early archive, written (and
# faulted) as the main one, and the build machine's own microcode (21 MB on Debian) stays out.
mkdir -p "$tmp/fw/intel-ucode" "$tmp/fw/amd-ucode"
printf 'intel\n' >"$tmp/fw/intel-ucode/06-8f-08"
printf 'amd\n' >"$tmp/fw/amd-ucode/microcode_amd_fam19h.bin"
if ! "$mkrdinit" -f "$tmp/fw" -o "$tmp/old.img" "$tmp/old" 2>/dev/null || ! "$mkrdinit" -f "$tmp/fw" -o "$tmp/new.img" "$tmp/new" 2>/dev/null; then
	echo "Bail out! mkrdinit does not build the test's two images"
	exit 1
fi
out=$tmp/out/rdinit.img
mkdir "$tmp/out"

# run ARGS...: runs ARGS (mkrdinit, maybe under strace), leaving its exit status in $rc, standard error in
# $tmp/stderr.
run() {
	"$@" 2>"$tmp/stderr"
	rc=$?
}
check_stderr=$tmp/stderr

# fresh_old: $out is the old image again, mode 0644.
fresh_old() {
	rm -f "$tmp/out"/*
	cp "$tmp/old.img" "$out"
	chmod 0644 "$out"
}

# kept_old: $out is the old image byte for byte and no temporary file is left beside it.
kept_old() {
	cmp -s "$out" "$tmp/old.img" && [[ -z $(compgen -G "$out.tmp*") ]]
}

# in_order TRACE: the trace (strace -f -o) shows, in this order, the temporary file opened with O_EXCL and
# O_NOFOLLOW, writes to it, its fsync, the rename of it over the output, and an fsync of another descriptor
# (the folder). Prints how far it got.
in_order() {
	sed -E 's/^[0-9]+ +//; s/ +/ /g' "$1" | awk -v base="${out##*/}" '
		state == 0 && /^open(at)?\(/ && index($0, "\"" base ".tmp") && /O_EXCL/ && /O_NOFOLLOW/ && / = [0-9]+$/ {
			fd = $NF; state = 1; next }
		state == 1 && index($0, "write(" fd ",") == 1 { writes++; next }
		state == 1 && writes > 0 && $0 == "fsync(" fd ") = 0" { state = 2; next }
		state == 2 && /^rename(at2?)?\(/ && index($0, base ".tmp") && / = 0$/ { state = 3; next }
		state == 3 && /^fsync\([0-9]+\) = 0$/ && $0 != "fsync(" fd ") = 0" { state = 4 }
		END { split("no O_EXCL|O_NOFOLLOW temporary file;no write to it then fsync of it;no rename of it;no fsync of the folder after the rename;all in order", says, ";"); print says[state + 1]; exit state != 4 }'
}

strace_tests() {
	if ! strace -f -o /dev/null true 2>/dev/null; then
		skip "strace: the system calls and injected faults" "strace is not installed or cannot trace here"
		return
	fi
	fresh_old
	strace -f -o "$tmp/trace" -e trace=open,openat,write,fsync,fdatasync,rename,renameat,renameat2 \
		"$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new" 2>/dev/null
	local order
	order=$(in_order "$tmp/trace")
	if [[ $order == "all in order" ]]; then
		pass "system calls: open the temporary file O_EXCL|O_NOFOLLOW, write it, fsync it, rename it, fsync the folder"
	else
		fail "system calls: open the temporary file O_EXCL|O_NOFOLLOW, write it, fsync it, rename it, fsync the folder" "$order"
	fi
	check "the image written is the new one" cmp "$out" "$tmp/new.img"

	fresh_old
	run strace -f -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=1 "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new"
	check "fsync of the image fails (EIO): exit 1, naming the file and the error; the old image kept" \
		bash -c "[[ $rc -eq 1 ]] && grep -q 'unable to flush $out.tmp.* (fsync): Input/output error' '$tmp/stderr'"
	check "fsync of the image fails: the old image is byte for byte there, no temporary file left" kept_old

	fresh_old
	run strace -f -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=2 "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new"
	check "fsync of the folder fails (EIO): exit 1, saying so" \
		bash -c "[[ $rc -eq 1 ]] && grep -q 'unable to flush the folder of $out to the disk (fsync): Input/output error' '$tmp/stderr'"

	# The close of the temporary file: the how-manieth close the trace of a build shows for its descriptor.
	fresh_old
	strace -f -o "$tmp/trace" -e trace=openat,close "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new" 2>/dev/null
	local nth
	nth=$(sed -E 's/^[0-9]+ +//; s/ +/ /g' "$tmp/trace" | awk -v base="${out##*/}" '
		/^close\(/ { closes++ }
		/^openat\(/ && index($0, "\"" base ".tmp") { fd = $NF }
		fd != "" && $0 == "close(" fd ") = 0" { print closes; exit }')
	fresh_old
	run strace -f -o /dev/null -e trace=close -e inject="close:error=EIO:when=${nth:-1}" "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new"
	check "close of the image fails (EIO): exit 1, naming the file and the error" \
		bash -c "[[ -n '$nth' && $rc -eq 1 ]] && grep -q 'unable to write $out.tmp.* (close): Input/output error' '$tmp/stderr'"
	check "close of the image fails: the old image is byte for byte there, no temporary file left" kept_old

	kill_tests SIGKILL
	kill_tests SIGTERM
	local signal number
	for signal in SIGINT:2 SIGHUP:1; do
		number=${signal#*:} signal=${signal%:*}
		fresh_old
		# With the signal's default action, whatever this test inherited (nohup ignores SIGHUP, a
		# background job SIGINT): mkrdinit leaves an ignored signal ignored, as it should.
		rc=$(bash -c '"$@" >/dev/null 2>&1; echo $?' sh env --default-signal="${signal#SIG}" strace -f -o /dev/null -e trace=write \
			-e inject="write:signal=$signal:when=3" "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new" 2>/dev/null)
		if [[ $rc -eq $((128 + number)) ]] && kept_old; then
			pass "$signal while writing: the old image kept, no temporary file, death by $signal"
		else
			fail "$signal while writing: the old image kept, no temporary file, death by $signal" \
				"status $rc (expected $((128 + number))); in the folder: $(find "$tmp/out" -mindepth 1 -printf '%f ')"
		fi
	done
}

# kill_tests SIGNAL: SIGNAL at every invocation of each system call that a build makes; after each, the old
# image or the new one, byte for byte; for SIGTERM also no temporary file and a death by SIGTERM (status 143).
kill_tests() {
	local signal=$1 syscalls=openat,newfstatat,read,getrandom,fchown,fchmod,write,fsync,rename,renameat,close,rt_sigaction,rt_sigprocmask
	fresh_old
	strace -f -o "$tmp/count" -e trace="$syscalls" "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new" 2>/dev/null
	local syscall n count runs=0 old=0 new=0 torn=() left=() status=()
	for syscall in ${syscalls//,/ }; do
		count=$(sed -E 's/^[0-9]+ +//' "$tmp/count" | grep -c "^$syscall(")
		for ((n = 1; n <= count; n++)); do
			fresh_old
			# In a shell of its own, which says "Killed" to /dev/null rather than to the TAP output.
			rc=$(bash -c '"$@" >/dev/null 2>&1; echo $?' sh strace -f -o /dev/null -e trace="$syscall" \
				-e inject="$syscall:signal=$signal:when=$n" "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new" 2>/dev/null)
			runs=$((runs + 1))
			if cmp -s "$out" "$tmp/old.img"; then
				old=$((old + 1))
			elif cmp -s "$out" "$tmp/new.img"; then
				new=$((new + 1))
			else
				torn+=("$syscall#$n")
			fi
			if [[ $signal == SIGTERM ]]; then
				[[ -z $(compgen -G "$out.tmp*") ]] || left+=("$syscall#$n")
				rm -f "$out".tmp*
				[[ $rc -eq 143 ]] || status+=("$syscall#$n:$rc")
			fi
		done
	done
	if [[ ${#torn[@]} -eq 0 && $old -gt 0 && $new -gt 0 ]]; then
		pass "$signal at each of $runs system calls: the old image ($old times) or the new one ($new), never another"
	else
		fail "$signal at each of $runs system calls: the old image or the new one" \
			"old $old, new $new, neither after: ${torn[*]}"
	fi
	if [[ $signal == SIGTERM ]]; then
		check "SIGTERM: no temporary file left after any of them" test -z "${left[*]}"
		check "SIGTERM: each time mkrdinit dies of it (status 143)" test -z "${status[*]}"
	fi
}

# A full filesystem: the folder a small tmpfs, the new image bigger than its room.
full_tests() {
	if [[ $(id -u) != 0 ]] || ! unshare -m true 2>/dev/null; then
		skip "a full filesystem" "needs root and unshare -m (a private mount namespace)"
		return
	fi
	# shellcheck disable=SC2016 # the script's own arguments
	run unshare -m --propagation private bash -c '
		mount -t tmpfs -o size=128k tmpfs "$1" && cp "$2" "$1/rdinit.img" || exit 99
		"$3" -o "$1/rdinit.img" "$4" && exit 98
		cmp -s "$1/rdinit.img" "$2" || exit 97
		[ -z "$(ls -A "$1" | grep -v "^rdinit.img$")" ] || exit 96' \
		sh "$tmp/out" "$tmp/old.img" "$mkrdinit" "$tmp/new"
	check "a full filesystem: mkrdinit fails, the old image kept byte for byte, no temporary file left" \
		bash -c "[[ $rc -eq 0 ]] && grep -q 'unable to write $tmp/out/rdinit.img: .*No space left on device' '$tmp/stderr'"
}

symlink_tests() {
	fresh_old
	ln -s "$out" "$tmp/out/link.img"
	run "$mkrdinit" -f "$tmp/fw" -o "$tmp/out/link.img" "$tmp/new"
	check "an output that is a symbolic link: exit 1, saying so" \
		bash -c "[[ $rc -eq 1 ]] && grep -q 'unable to write $tmp/out/link.img: it is a symbolic link' '$tmp/stderr'"
	check "an output that is a symbolic link: the link and the file it names are as they were" \
		bash -c "[[ -L '$tmp/out/link.img' ]] && cmp -s '$out' '$tmp/old.img'"
	ln -s "$tmp/out/nowhere" "$tmp/out/dangling.img"
	run "$mkrdinit" -f "$tmp/fw" -o "$tmp/out/dangling.img" "$tmp/new"
	check "a dangling symbolic link: refused, nothing made where it points" \
		bash -c "[[ $rc -eq 1 && -L '$tmp/out/dangling.img' && ! -e '$tmp/out/nowhere' ]]"
}

mode_tests() {
	fresh_old
	chmod 0640 "$out"
	run "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/new"
	check "the image replaced had mode 0640: the new one has it too" \
		bash -c "[[ $rc -eq 0 && \$(stat -c %a '$out') == 640 ]]"
	if [[ $(id -u) == 0 ]]; then
		chown 12:34 "$out"
		run "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/old"
		check "root: the image replaced had owner 12:34: the new one has it too" \
			bash -c "[[ $rc -eq 0 && \$(stat -c '%a %u:%g' '$out') == '640 12:34' ]]"
	else
		skip "the owner of the image replaced is kept" "only root may give a file to another owner"
	fi

	rm -f "$out"
	run bash -c "umask 0002 && exec '$mkrdinit' -f '$tmp/fw' -o '$out' '$tmp/new'"
	check "a new image, umask 0002: mode 0644" bash -c "[[ $rc -eq 0 && \$(stat -c %a '$out') == 644 ]]"
	rm -f "$out"
	run bash -c "umask 0077 && exec '$mkrdinit' -f '$tmp/fw' -o '$out' '$tmp/new'"
	check "a new image, umask 0077: mode 0600" bash -c "[[ $rc -eq 0 && \$(stat -c %a '$out') == 600 ]]"

	mkdir -p "$tmp/crypt"
	head -c 64 /dev/urandom >"$tmp/root.key"
	printf 'cryptroot UUID=43bc5d76-1d7b-4d4d-847f-abc58b094c92 %s luks\n' "$tmp/root.key" >"$tmp/crypt/crypttab"
	printf 'crypttab crypttab\n' >"$tmp/crypt/manifest"
	fresh_old
	chmod 0644 "$out"
	[[ $(id -u) != 0 ]] || chown 12:34 "$out"
	run "$mkrdinit" -f "$tmp/fw" -o "$out" "$tmp/crypt"
	check "an image with a key file replacing one of mode 0644: mode 0600" \
		bash -c "[[ $rc -eq 0 && \$(stat -c %a '$out') == 600 ]]"
	if [[ $(id -u) == 0 ]]; then
		check "root: an image with a key file replacing one of owner 12:34: owned by root, not 12:34" \
			bash -c "[[ \$(stat -c %u:%g '$out') == 0:0 ]]"
	fi
}

# --list: the files it writes in its folder (here --resume's etc/rdinit/resume) never go through a link.
list_tests() {
	local resume=(--resume UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02 --list -o "$tmp/out/a.list" "$tmp/old")
	rm -rf "$tmp/out"/* "$tmp/victim"
	mkdir -p "$tmp/out/a.list.d/etc/rdinit" "$tmp/victim"
	printf 'precious\n' >"$tmp/victim/file"
	ln -s "$tmp/victim/file" "$tmp/out/a.list.d/etc/rdinit/resume"
	run "$mkrdinit" "${resume[@]}"
	check "--list: a planted symbolic link where it writes a file: refused, saying so; its target untouched" \
		bash -c "[[ $rc -eq 1 ]] && grep -q 'a.list.d/etc/rdinit/resume: .*is a symbolic link' '$tmp/stderr' && [[ \$(cat '$tmp/victim/file') == precious ]]"
	rm -rf "$tmp/out/a.list.d/etc"
	ln -s "$tmp/victim" "$tmp/out/a.list.d/etc"
	run "$mkrdinit" "${resume[@]}"
	check "--list: a planted symbolic link to a folder on the way: refused, nothing written there" \
		bash -c "[[ $rc -eq 1 && ! -e '$tmp/victim/rdinit' ]]"
	rm -f "$tmp/out/a.list.d/etc"
	run "$mkrdinit" "${resume[@]}"
	run "$mkrdinit" "${resume[@]}"
	check "--list: written again over its own files of an earlier run" \
		bash -c "[[ $rc -eq 0 && \$(cat '$tmp/out/a.list.d/etc/rdinit/resume') == UUID=5a5c0de5-9a9d-4c6e-b1a0-7e57c0ffee02 ]]"
}

strace_tests
full_tests
symlink_tests
mode_tests
list_tests
tap_done
