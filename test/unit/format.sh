#!/usr/bin/env bash
# Every C file of the project is in the house style of .clang-format: a file clang-format would change is
# named, with the first lines of the change. Usage: format.sh TOP (TAP output).
# clang-format's output differs between major versions; the style is written for Debian 12's, 14: with
# another, the check is skipped, saying so.
set -uo pipefail
top=${1:?usage: format.sh TOP}
cd "$top" || exit 1
version=$(clang-format --version 2>/dev/null | sed -n 's/.*clang-format version \([0-9]*\)\..*/\1/p')
if [ "$version" != 14 ]; then
	echo "1..0 # SKIP clang-format ${version:-missing}, not 14 (Debian 12's), whose output the style is written for"
	exit 0
fi
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find init include mkrdinit test qemu -name '*.[ch]')
n=0 failed=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if change=$(clang-format --style=file "$f" | diff -u "$f" - 2>&1); then
		echo "ok $n - $f"
	else
		failed=$((failed + 1))
		echo "not ok $n - $f is not in the house style (clang-format -i $f):"
		sed -n '3,12p' <<<"$change" | sed 's/^/#   /'
	fi
done
[ "$n" -gt 20 ] || { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - only $n C files found"; }
echo "1..$n"
[ "$failed" -eq 0 ]
