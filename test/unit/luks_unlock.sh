#!/usr/bin/env bash
# Make the LUKS images luks_unlock_test.c checks, with the host's cryptsetup (cryptsetup-bin), into DIR.
# Small PBKDF costs (the test checks the code paths, not the strength; Argon2 with 4 threads and with
# one) and small LUKS2 areas.
# Usage: luks_unlock.sh DIR [TEST]: with TEST (the built luks_unlock_test), run it on DIR.
set -euo pipefail
dir=$1
command -v cryptsetup >/dev/null || { echo "1..0 # SKIP no cryptsetup on this host"; exit 0; }
mkdir -p "$dir"
printf 'correct horse' >"$dir/pass.txt"
head -c 64 /dev/urandom >"$dir/key.bin"
argon=(--pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4)
pbkdf2=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
small=(--luks2-metadata-size 16k --luks2-keyslots-size 1m)
for img in luks2 luks2-pbkdf2 luks1; do
	rm -f "$dir/$img.img"
	truncate -s 4M "$dir/$img.img"
done
cs() { cryptsetup --batch-mode "$@" >/dev/null; }
cs luksFormat --type luks2 "${argon[@]}" --pbkdf-parallel 4 "${small[@]}" "$dir/luks2.img" "$dir/pass.txt"
cs luksAddKey "${argon[@]}" --pbkdf-parallel 1 --key-file "$dir/pass.txt" --new-keyfile "$dir/key.bin" "$dir/luks2.img"
cs luksFormat --type luks2 "${pbkdf2[@]}" "${small[@]}" "$dir/luks2-pbkdf2.img" "$dir/pass.txt"
cs luksFormat --type luks1 "${pbkdf2[@]}" "$dir/luks1.img" "$dir/pass.txt"
cs luksAddKey "${pbkdf2[@]}" --key-file "$dir/pass.txt" --new-keyfile "$dir/key.bin" "$dir/luks1.img"
[ $# -lt 2 ] || exec "$2" "$dir"
