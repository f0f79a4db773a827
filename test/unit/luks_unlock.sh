#!/usr/bin/env bash
# Make the LUKS images luks_unlock.c checks, with the host's cryptsetup (cryptsetup-bin), into DIR.
# Small PBKDF costs (the test checks the code paths, not the strength; Argon2 with 4 lanes and with
# one) and small LUKS2 areas.
# Usage: luks_unlock.sh DIR [TEST]: with TEST (the built luks_unlock), run it on DIR.
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
cd "$dir"
cs luksFormat --type luks2 "${argon[@]}" --pbkdf-parallel 4 "${small[@]}" luks2.img pass.txt
cs luksAddKey "${argon[@]}" --pbkdf-parallel 1 --key-file pass.txt --new-keyfile key.bin luks2.img
cs luksFormat --type luks2 "${pbkdf2[@]}" "${small[@]}" luks2-pbkdf2.img pass.txt
cs luksFormat --type luks1 "${pbkdf2[@]}" luks1.img pass.txt
cs luksAddKey "${pbkdf2[@]}" --key-file pass.txt --new-keyfile key.bin luks1.img
cd - >/dev/null
[ $# -lt 2 ] || exec "$2" "$dir"
