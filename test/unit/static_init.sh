#!/usr/bin/env bash
# /init must run from an initramfs that holds nothing else: a static x86-64 ELF executable, no interpreter
# (PT_INTERP), no .dynamic section, no shared-library dependencies. Usage: static_init.sh PATH-TO-INIT (TAP).
#
# Each check wants readelf's positive answer ("There is no dynamic section in this file.", a program header
# table without INTERP), so a readelf that fails or prints nothing fails the check rather than passing it.
# The checks are then run on files that must fail them (a dynamic program, a file that is no ELF, with a
# readelf that fails and one that prints nothing) to show that they can fail.
set -uo pipefail
init=${1:?usage: static_init.sh INIT}
n=0 failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

# The checks, by name; each takes the file and returns 0 when it holds.
readelf_out() { # readelf ARGS... : its output, failing when readelf fails or prints nothing
	local out
	out=$(readelf "$@" 2>&1) || return 1
	[[ -n $out ]] || return 1
	printf '%s\n' "$out"
}
is_elf_executable() {
	local out
	out=$(readelf_out -hW "$1") || return 1
	grep -Eq '^ *Magic: +7f 45 4c 46 ' <<<"$out" && grep -Eq '^ *Class: +ELF64$' <<<"$out" &&
		grep -Eq '^ *Type: +EXEC ' <<<"$out" && grep -Eq '^ *Machine: +Advanced Micro Devices X86-64$' <<<"$out"
}
no_interp() {
	local out
	out=$(readelf_out -lW "$1") || return 1
	grep -q '^Program Headers:' <<<"$out" && grep -Eq '^ +LOAD ' <<<"$out" && ! grep -Eq '^ +INTERP ' <<<"$out"
}
no_dynamic() {
	local out sections
	out=$(readelf_out -dW "$1") || return 1
	sections=$(readelf_out -SW "$1") || return 1
	grep -qx 'There is no dynamic section in this file.' <<<"$out" && ! grep -q NEEDED <<<"$out" &&
		grep -q '^Section Headers:' <<<"$sections" && ! grep -Eq '\] \.(dynamic|interp|dynsym) ' <<<"$sections"
}
file_says_static() { file -L "$1" | grep -q 'statically linked'; }

describe=(
	is_elf_executable "an ELF64 x86-64 executable (readelf -h: magic, class, type EXEC, machine)"
	no_interp "no PT_INTERP program header (readelf -l lists the LOAD headers and no INTERP)"
	no_dynamic "no dynamic section, .interp or .dynsym, no NEEDED (readelf -d says so, readelf -S agrees)"
	file_says_static "file(1) calls it statically linked"
)
for ((i = 0; i < ${#describe[@]}; i += 2)); do
	if "${describe[i]}" "$init"; then ok "${describe[i + 1]}"; else not_ok "${describe[i + 1]}: $init"; fi
done

# Self-check: the same checks fail where they must.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/static-init.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# must_fail DESCRIPTION FILE CHECK...: every CHECK must fail on FILE.
must_fail() {
	local description=$1 file=$2 check held=''
	shift 2
	for check in "$@"; do
		"$check" "$file" && held+=" $check"
	done
	if [[ -z $held ]]; then ok "self-check: $description"; else not_ok "self-check: $description (held:$held)"; fi
}
dynamic=$(PATH=/usr/bin:/bin type -P true)
if [[ -n $dynamic ]] && readelf -lW "$dynamic" 2>/dev/null | grep -Eq '^ +INTERP '; then
	must_fail "a dynamic program ($dynamic) fails the PT_INTERP, dynamic-section and file(1) checks" "$dynamic" \
		no_interp no_dynamic file_says_static
else
	ok "self-check: a dynamic program fails the checks # SKIP no dynamically linked true(1) on this machine"
fi
must_fail "a file that is no ELF (this script) fails every check" "$0" \
	is_elf_executable no_interp no_dynamic file_says_static
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "readelf: Error: broken" >&2\nexit 1\n' >"$tmp/bin/readelf"
chmod +x "$tmp/bin/readelf"
PATH=$tmp/bin:$PATH must_fail "a readelf that fails fails the readelf checks" "$init" \
	is_elf_executable no_interp no_dynamic
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/readelf"
PATH=$tmp/bin:$PATH must_fail "a readelf that prints nothing fails the readelf checks" "$init" \
	is_elf_executable no_interp no_dynamic

echo "1..$n"
[ "$failed" -eq 0 ]
