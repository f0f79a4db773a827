#!/usr/bin/env bash
# qemu/prepare's standard output is eval'ed (by qemu/demo, test/run, qemu/bench): nothing but its
# assignments may reach it, not even when packages get installed on the way, which prints
# "Selecting previously unselected package ..." on apt's and dpkg's stdout. CI's machine has every
# package, so it never installs anything: this test makes every package look missing, with a
# stand-in apt-get and dpkg-query that talk on stdout as the real ones do.
#
# Usage: prepare_stdout.sh TOP BUILD   (TAP output)
set -uo pipefail
top=${1:?usage: prepare_stdout.sh TOP BUILD}
build=${2:?usage: prepare_stdout.sh TOP BUILD}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
real_apt_get=$(command -v apt-get)
# Every package is missing.
cat >"$tmp/bin/dpkg-query" <<'EOF'
#!/bin/sh
echo "dpkg-query: no packages found matching $3"
exit 1
EOF
# Installing prints what apt and dpkg print, on stdout, and installs nothing; the rest is the real apt-get.
cat >"$tmp/bin/apt-get" <<EOF
#!/bin/sh
for a; do
	case \$a in
	update) echo "Hit:1 http://deb.debian.org/debian bookworm InRelease"; echo "Reading package lists..."; exit 0 ;;
	install)
		for p; do case \$p in -*|install) ;; *)
			echo "Selecting previously unselected package \$p."
			echo "Unpacking \$p (1.0) ..."
			echo "Setting up \$p (1.0) ..." ;; esac; done
		exit 0 ;;
	esac
done
exec "$real_apt_get" "\$@"
EOF
chmod +x "$tmp/bin/dpkg-query" "$tmp/bin/apt-get"

PATH=$tmp/bin:$PATH RDINIT_BUILD=$build "$top/qemu/prepare" >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" -eq 0 ]; then ok "qemu/prepare succeeded with every package 'missing'"; else not_ok "qemu/prepare succeeded with every package 'missing' (exit $status; stderr: $(tail -n 3 "$tmp/err" | tr '\n' ' '))"; fi
if grep -q '^Selecting previously unselected package' "$tmp/err"; then
	ok "the stand-in installer ran, and what it printed went to stderr"
else
	not_ok "the stand-in installer ran, and what it printed went to stderr"
fi
if [ -s "$tmp/out" ] && ! grep -qvE '^RDINIT_[A-Z_]+=' "$tmp/out"; then
	ok "stdout holds only RDINIT_*= assignments ($(wc -l <"$tmp/out") lines)"
else
	not_ok "stdout holds only RDINIT_*= assignments; it also has: $(grep -vE '^RDINIT_[A-Z_]+=' "$tmp/out" | head -n 3 | tr '\n' '|')"
fi
for var in RDINIT_KVER RDINIT_VMLINUZ RDINIT_IMAGE RDINIT_TRIXIE_IMAGE RDINIT_TRIXIE_ZST_IMAGE RDINIT_DISK; do
	value=$(set -e; eval "$(cat "$tmp/out")"; echo "${!var:-}")
	if [ -n "$value" ] && { [ "$var" = RDINIT_KVER ] || [ -s "$value" ]; }; then
		ok "eval gives $var, and it names what it should"
	else
		not_ok "eval gives $var, and it names what it should (got '$value')"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
