#!/usr/bin/env bash
# /init must run from an initramfs that holds nothing else: a static ELF, no interpreter, no
# shared-library dependencies. Usage: static_init.sh PATH-TO-INIT (TAP output).
set -uo pipefail
init=${1:?usage: static_init.sh INIT}
n=0 failed=0
check() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
check "file(1) calls it statically linked" "file -L '$init' | grep -q 'statically linked'"
check "no PT_INTERP program header" "! readelf -lW '$init' | grep -q INTERP"
check "no dynamic section" "! readelf -dW '$init' | grep -q NEEDED"
check "an x86-64 executable" "readelf -hW '$init' | grep -q 'Advanced Micro Devices X86-64'"
echo "1..$n"
[ "$failed" -eq 0 ]
