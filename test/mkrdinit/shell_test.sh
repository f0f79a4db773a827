#!/bin/bash
# Tests mkrdinit --shell: who gets the rescue shell, as the image records it for /init.
#
# Usage: shell_test.sh MKRDINIT
#
# Checks that --shell puts the policy in /etc/rdinit/shell (open, never, password; none without it), that with
# password the hash goes in /etc/rdinit/shell-hash mode 0600 and the image is written 0600 (from --shell-hash,
# --shell-hash-from's first line, or root's line of --shadow), that a locked or empty hash is a warning, and that
# a hash of another method, a shadow file without root, or a hash option without --shell=password is refused.
set -u

mkrdinit=${1:?usage: shell_test.sh MKRDINIT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkrdinit-shell.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
# image_main: the main archive, past an early microcode archive.
# shellcheck source=test/image.sh
source "$(dirname "${BASH_SOURCE[0]}")/../image.sh"
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what"
	fi
}

yescrypt='$y$j9T$Mmz3JHfEBv7Wm/9Xg3MDw.$TF0Jk4bMnjD2Uj1I.hWXEZ0e4.0vDuuJZWJu8WsnXxB'
sha512='$6$rdinitsalt$hla3BFEPgQSfduwOKpvc18Iw8shPIwKMYnqdpO6MhZTWgl0s9sGAgQGOQr6NmNdhMZITiGjVptAzElAFFvpUt/'
mkdir -p "$tmp/hook"
echo "dir /etc 0755 0 0" >"$tmp/hook/manifest"
# build NAME ARGS...: the image $tmp/NAME.img; its exit status in $tmp/NAME.rc, what it said in $tmp/NAME.err.
build() {
	local name=$1
	shift
	(umask 022 && "$mkrdinit" -o "$tmp/$name.img" "$@" "$tmp/hook") 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}
status() { [ "$(cat "$tmp/$1.rc")" = "$2" ]; }
said() { grep -q -- "$2" "$tmp/$1.err"; }
member() { (cd "$tmp" && image_main "$1.img" | cpio -i --quiet --to-stdout "$2"); }
# mode NAME PATH: the member's permissions as cpio -tv lists them (-rw-r--r--).
mode() { (cd "$tmp" && image_main "$1.img" | cpio -itv --quiet | awk -v p="$2" '$NF == p { print $1 }'); }
file_mode() { stat -c %a "$tmp/$1.img"; }

build default
check "without --shell: no policy file (open, as before the policy)" [ -z "$(mode default etc/rdinit/shell)" ]
check "and no hash" [ -z "$(mode default etc/rdinit/shell-hash)" ]
check "the image is as readable as any file" [ "$(file_mode default)" = 644 ]

build open --shell=open
check "--shell=open" [ "$(member open etc/rdinit/shell)" = open ]
check "the policy file is 0644" [ "$(mode open etc/rdinit/shell)" = -rw-r--r-- ]

build never --shell=never
check "--shell=never" [ "$(member never etc/rdinit/shell)" = never ]
check "without a hash" [ -z "$(mode never etc/rdinit/shell-hash)" ]

build given --shell=password --shell-hash="$yescrypt"
check "--shell=password --shell-hash: built" status given 0
check "policy password" [ "$(member given etc/rdinit/shell)" = password ]
check "the hash is in /etc/rdinit/shell-hash, one line" [ "$(member given etc/rdinit/shell-hash)" = "$yescrypt" ]
check "the hash file is 0600" [ "$(mode given etc/rdinit/shell-hash)" = -rw------- ]
check "the image holding it is 0600" [ "$(file_mode given)" = 600 ]

printf '%s\nnot this\n' "$sha512" >"$tmp/hashfile"
build from --shell=password --shell-hash-from="$tmp/hashfile"
check "--shell-hash-from: the file's first line" [ "$(member from etc/rdinit/shell-hash)" = "$sha512" ]

printf 'daemon:*:19000:0:99999:7:::\nroot:%s:19000:0:99999:7:::\n' "$yescrypt" >"$tmp/shadow"
build shadow --shell=password --shadow="$tmp/shadow"
check "without a hash: root's of the shadow file" [ "$(member shadow etc/rdinit/shell-hash)" = "$yescrypt" ]

printf 'root:!:19000:0:99999:7:::\n' >"$tmp/locked"
build locked --shell=password --shadow="$tmp/locked"
check "a locked root: built" status locked 0
check "with a warning that nobody gets the shell" said locked "warning: --shell=password: the hash from $tmp/locked is locked"

printf 'daemon:*:19000:0:99999:7:::\n' >"$tmp/noroot"
build noroot --shell=password --shadow="$tmp/noroot"
check "a shadow file without root: bad input (1)" status noroot 1
check "which says so" said noroot "$tmp/noroot: no line for root"
check "and writes no image" [ ! -e "$tmp/noroot.img" ]

build nofile --shell=password --shadow="$tmp/absent"
check "an unreadable shadow file: bad input (1), naming it" eval 'status nofile 1 && said nofile "unable to read root.s password hash from $tmp/absent"'

build md5 --shell=password --shell-hash='$1$rdinit$wVrcoNJMuBVwBiPdb5YQH0'
check "an MD5 crypt hash: bad input (1)" status md5 1
check "naming the method" said md5 'method (\$1\$) is not one /init checks'

build colon --shell=password --shell-hash="root:$yescrypt"
check "a shadow line for a hash: refused" eval 'status colon 1 && said colon "not a crypt(3) hash"'

build usage --shell-hash="$yescrypt"
check "--shell-hash without --shell=password: bad usage (2)" status usage 2
check "which says so" said usage "goes with --shell=password"
build usage2 --shell=password --shell-hash="$yescrypt" --shell-hash-from="$tmp/hashfile"
check "both hash options: bad usage (2)" status usage2 2
build word --shell=closed
check "--shell=closed: bad usage (2), naming the words" eval 'status word 2 && said word "expected open, password or never"'

echo "1..$n"
[ "$failed" -eq 0 ]
