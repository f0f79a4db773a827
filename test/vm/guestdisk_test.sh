#!/usr/bin/env bash
# Tier (c), disks: what qemu/guestdisk makes in a QEMU guest for one recipe, checked on this machine, which may
# have no device-mapper and no md: nothing here opens a LUKS volume, activates a volume group or assembles an
# array. The layers are read from the files: the GPT with sfdisk/partx, the LUKS headers with cryptsetup
# (luksDump, `open --test-passphrase`, which needs no dm, and the volume key, with which guestdisk_read.py
# decrypts the payload: aes-xts-plain64 needs python3's cryptography), LVM's metadata and md RAID5's stripes
# with guestdisk_read.py, md superblocks with mdadm --examine, btrfs with dump-super, dump-tree and restore,
# every signature with blkid -p, and each root filesystem against the tree qemu/mkdisk puts in its root
# (modes, owners, contents; e2fsck -fn clean). Then qemu/guestdisk runs again and must answer from its cache.
#
# Usage: test/vm/guestdisk_test.sh RECIPE   (recipes: qemu/guestdisk --list; the environment from qemu/prepare:
#                                           RDINIT_KVER, RDINIT_MODULES_DIR, RDINIT_VMLINUZ, RDINIT_INIT,
#                                           RDINIT_DISK and RDINIT_BUILD; test/run sets it. Without it the
#                                           test is skipped.)
# Output is TAP. What it unpacks goes to $RDINIT_BUILD/vm/guestdisk/RECIPE/ (removed when every check passed).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/qemu/disk.env"
recipe=${1:?usage: guestdisk_test.sh RECIPE}

if [ -z "${RDINIT_VMLINUZ:-}" ] || [ -z "${RDINIT_DISK:-}" ] || [ -z "${RDINIT_MODULES_DIR:-}" ] ||
	[ -z "${RDINIT_KVER:-}" ] || [ -z "${RDINIT_INIT:-}" ]; then
	echo "1..0 # SKIP no kernel, modules, /init or disk: run through test/run"
	exit 0
fi
build=${RDINIT_BUILD:-$top/build}
realinit=$build/qemu/realinit
read_py=$top/test/vm/guestdisk_read.py
work=$build/vm/guestdisk/$recipe
rm -rf "$work"
mkdir -p "$work"
export PATH=$PATH:/usr/sbin:/sbin

count=0 failed=0
ok() { count=$((count + 1)); echo "ok $count - $1"; }
not_ok() { count=$((count + 1)); failed=$((failed + 1)); echo "not ok $count - $1"; }
skip() { count=$((count + 1)); echo "ok $count - $1 # SKIP $2"; }
bail() { echo "Bail out! $1"; exit 1; }
# check DESCRIPTION COMMAND...: ok when the command succeeds; its output is shown when it fails.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'; fi
}
# same DESCRIPTION EXPECTED ACTUAL
same() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi; }
# has DESCRIPTION REGEXP FILE: a line of FILE matches.
has() { if grep -qE -- "$2" "$3"; then ok "$1"; else not_ok "$1 (no /$2/ in $3)"; sed 's/^/# /' "$3" | head -n 40; fi; }

# The disks, made or from the cache.
start=$SECONDS
if ! env=$("$top/qemu/guestdisk" "$recipe" 2>"$work/guestdisk.err"); then
	sed 's/^/# /' "$work/guestdisk.err"
	bail "qemu/guestdisk $recipe failed"
fi
echo "# qemu/guestdisk $recipe took $((SECONDS - start)) s$(grep -q 'booting the builder' "$work/guestdisk.err" && echo ', booting the guest' || echo ', from its cache')"
eval "$env"
ok "qemu/guestdisk made the disks of $recipe"
mapfile -t disk_vars < <(compgen -v GUESTDISK_DISK | grep -E '^GUESTDISK_DISK[0-9]+$' | sort -V)

# blkid_is DESCRIPTION FILE OFFSET KEY=VALUE...: libblkid's low-level probe at byte OFFSET of FILE finds these.
blkid_is() {
	local what=$1 file=$2 offset=$3 kv probe bad=''
	shift 3
	probe=$(blkid -p -o export -O "$offset" "$file" 2>&1 || true)
	for kv in "$@"; do
		grep -qxF -- "$kv" <<<"$probe" || bad+=" $kv"
	done
	if [ -z "$bad" ]; then ok "$what: blkid -p finds $*"; else not_ok "$what: blkid -p lacks$bad"; sed 's/^/# /' <<<"$probe"; fi
}

# part_start DISK N / part_size DISK N: partition N of DISK, in bytes.
part_start() { echo $(($(partx -g -o START -n "$2" "$1") * 512)); }
part_size() { echo $(($(partx -g -o SECTORS -n "$2" "$1") * 512)); }
# extract FILE OFFSET SIZE OUT: bytes of FILE into OUT, sparse.
extract() { dd if="$1" of="$4" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" conv=sparse status=none; }

# gpt_is DISK GUID N PARTUUID TYPE: DISK has a GPT with this disk GUID and partition N with this GUID and type.
gpt_is() {
	local disk=$1 guid=$2 n=$3 partuuid=$4 type=$5 got
	got=$(blkid -p -o value -s PTUUID "$disk" || true)
	same "${disk##*/} has a GPT with disk GUID $guid" "$guid" "$got"
	got=$(partx -g -o UUID,TYPE -n "$n" "$disk" | tr -s ' ' | sed 's/^ //')
	same "${disk##*/}: partition $n is $partuuid, type $type" "$partuuid ${type,,}" "$got"
}

# The tree of the test root as qemu/mkdisk makes it: contents (rdump) and "PATH TYPE MODE UID:GID" lines.
ref=$work/ref
mkdir -p "$ref"
# listing_ext4 IMAGE: every path of the ext4 filesystem IMAGE but lost+found, as "PATH TYPE MODE UID:GID".
listing_ext4() {
	local img=$1 dirs=(/) dir ino mode uid gid rest path
	while [ ${#dirs[@]} -gt 0 ]; do
		dir=${dirs[0]}
		dirs=("${dirs[@]:1}")
		while read -r ino mode _ uid gid rest; do
			[ -n "$ino" ] || continue
			path=${dir%/}/${rest##* }
			case ${rest##* } in .|..) continue ;; esac
			[ "$path" = /lost+found ] && continue
			case $mode in
			4????) echo "${path#/} d $(printf %o $((8#$mode & 07777))) $uid:$gid"; dirs+=("$path") ;;
			10????) echo "${path#/} f $(printf %o $((8#$mode & 07777))) $uid:$gid" ;;
			12????) echo "${path#/} l $(printf %o $((8#$mode & 07777))) $uid:$gid" ;;
			*) echo "${path#/} ? $mode $uid:$gid" ;;
			esac
		done < <(debugfs -R "ls -l $dir" "$img" 2>/dev/null)
	done | sort
}
# listing_dir DIR: the same, of a folder.
listing_dir() { (cd "$1" && find . -mindepth 1 -path ./lost+found -prune -o -printf '%P %y %m %U:%G\n' | sort); }
extract "$RDINIT_DISK" $((ROOT_PART_START_MIB * 1048576)) $(($(part_size "$RDINIT_DISK" 1))) "$work/ref.ext4"
listing_ext4 "$work/ref.ext4" >"$work/ref.list"
debugfs -R "rdump / $ref" "$work/ref.ext4" >/dev/null 2>&1
rm -rf "$ref/lost+found"
[ -s "$work/ref.list" ] && [ -f "$ref/sbin/init" ] || bail "unable to read qemu/mkdisk's root in $RDINIT_DISK"

# root_ext4 IMAGE: the ext4 filesystem in IMAGE is the recipe's root, with the test root's tree.
root_ext4() {
	local img=$1 name=${1##*/}
	blkid_is "$name" "$img" 0 TYPE=ext4 "UUID=$GUESTDISK_ROOT_UUID" "LABEL=$GUESTDISK_ROOT_LABEL"
	check "$name: e2fsck -fn finds the filesystem clean" e2fsck -fn "$img"
	listing_ext4 "$img" >"$work/$name.list"
	check "$name: the paths, types, modes and owners of qemu/mkdisk's root" diff "$work/ref.list" "$work/$name.list"
	mkdir -p "$work/$name.tree"
	debugfs -R "rdump / $work/$name.tree" "$img" >/dev/null 2>&1
	rm -rf "$work/$name.tree/lost+found"
	check "$name: the contents of qemu/mkdisk's root (symlinks as links)" diff -r --no-dereference "$ref" "$work/$name.tree"
	check "$name: /sbin/init is realinit" cmp "$realinit" "$work/$name.tree/sbin/init"
}

# luks FILE VERSION: FILE holds a LUKS header of the recipe: its version, UUID, label, cheap KDF in the
# keyslots the recipe filled, passphrase (and key file) accepted, a wrong passphrase refused.
luks() {
	local file=$1 version=$2 name=${1##*/} dump=$work/${1##*/}.dump
	check "$name: cryptsetup isLuks --type luks$version" cryptsetup isLuks --type "luks$version" "$file"
	cryptsetup luksDump "$file" >"$dump" 2>&1 || true
	has "$name: LUKS version $version" "^Version:[[:space:]]+$version$" "$dump"
	has "$name: LUKS UUID $GUESTDISK_LUKS_UUID" "^UUID:[[:space:]]+$GUESTDISK_LUKS_UUID$" "$dump"
	if [ "$version" = 2 ]; then
		has "$name: cipher aes-xts-plain64" "^[[:space:]]+cipher: aes-xts-plain64$" "$dump"
	else
		has "$name: cipher aes" "^Cipher name:[[:space:]]+aes$" "$dump"
		has "$name: cipher mode xts-plain64" "^Cipher mode:[[:space:]]+xts-plain64$" "$dump"
	fi
	[ -z "${GUESTDISK_LUKS_LABEL:-}" ] || has "$name: LUKS2 label $GUESTDISK_LUKS_LABEL" "^Label:[[:space:]]+$GUESTDISK_LUKS_LABEL$" "$dump"
	local slots=1
	[ -z "${GUESTDISK_KEYFILE:-}" ] || slots=2
	if [ "$version" = 2 ]; then
		cryptsetup luksDump --dump-json-metadata "$file" >"$dump.json"
		same "$name: keyslots, each argon2id with 4 iterations, 32 MiB, 1 thread" \
			"$(for ((i = 0; i < slots; i++)); do echo "$i argon2id 4 32768 1"; done)" \
			"$(python3 -c 'import json, sys
for n, k in sorted(json.load(open(sys.argv[1]))["keyslots"].items()):
    print(n, k["kdf"]["type"], k["kdf"]["time"], k["kdf"]["memory"], k["kdf"]["cpus"])' "$dump.json")"
	else
		same "$name: LUKS1 keyslots enabled, each pbkdf2 with 1000 iterations" \
			"$(for ((i = 0; i < 8; i++)); do [ "$i" -lt "$slots" ] && echo "$i ENABLED 1000" || echo "$i DISABLED"; done)" \
			"$(awk '/^Key Slot [0-7]:/ { if (s != "") print s; sub(":", "", $3); s = $3 " " $4 }
				/^[[:space:]]+Iterations:/ { s = s " " $2 } END { print s }' "$dump")"
		has "$name: hash sha256" "^Hash spec:[[:space:]]+sha256$" "$dump"
	fi
	check "$name: the passphrase opens keyslot 0 (cryptsetup open --test-passphrase)" \
		sh -c 'printf %s "$1" | cryptsetup open --test-passphrase --key-slot 0 --key-file - "$2"' sh "$GUESTDISK_PASSPHRASE" "$file"
	if [ -n "${GUESTDISK_KEYFILE:-}" ]; then
		same "the key file is 64 bytes" 64 "$(stat -c %s "$GUESTDISK_KEYFILE")"
		check "$name: the key file opens keyslot 1" \
			cryptsetup open --test-passphrase --key-slot 1 --key-file "$GUESTDISK_KEYFILE" "$file"
	fi
	if printf %s "not-$GUESTDISK_PASSPHRASE" | cryptsetup open --test-passphrase --key-file - "$file" >/dev/null 2>&1; then
		not_ok "$name: a wrong passphrase is refused"
	else
		ok "$name: a wrong passphrase is refused"
	fi
}

# luks_payload FILE OUT: the decrypted payload of the LUKS volume FILE into OUT (1 without cryptography).
luks_payload() {
	local file=$1 out=$2 offset sector
	python3 -c 'import cryptography' 2>/dev/null || return 1
	printf %s "$GUESTDISK_PASSPHRASE" | cryptsetup luksDump --dump-volume-key --batch-mode --key-file - \
		--volume-key-file "$work/volume.key" "$file" >/dev/null
	if cryptsetup isLuks --type luks2 "$file"; then
		read -r offset sector < <(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["segments"]["0"]
print(s["offset"], s["sector_size"])' "$work/${file##*/}.dump.json")
	else
		offset=$(($(awk '/^Payload offset:/ { print $3 }' "$work/${file##*/}.dump") * 512)) sector=512
	fi
	python3 "$read_py" decrypt "$file" "$offset" "$sector" "$work/volume.key" "$out"
	rm -f "$work/volume.key"
}

# lvm_lv PV LV OUT: logical volume LV of the physical volume file PV into OUT; checks the PV's UUID and its VG.
lvm_lv() {
	local pv=$1 lv=$2 out=$3 layout=$work/${1##*/}.lvm off size
	python3 "$read_py" lvm "$pv" >"$layout" || { not_ok "${pv##*/}: an LVM physical volume"; return 1; }
	has "${pv##*/}: LVM physical volume $GUESTDISK_PV_UUID" "^pv $GUESTDISK_PV_UUID$" "$layout"
	has "${pv##*/}: of volume group $GUESTDISK_VG" "^vg $GUESTDISK_VG$" "$layout"
	read -r off size < <(awk -v lv="$lv" '$1 == "lv" && $2 == lv { print $3, $4 }' "$layout")
	[ -n "${off:-}" ] || { not_ok "${pv##*/}: logical volume $GUESTDISK_VG/$lv"; return 1; }
	ok "${pv##*/}: logical volume $GUESTDISK_VG/$lv, $((size / 1048576)) MiB at byte $off"
	extract "$pv" "$off" "$size" "$out"
}

# examine MEMBER KEY VALUE...: mdadm --examine of MEMBER (a file) says these (e.g. "Name" "rdroot").
examine() {
	local member=$1 out=$work/${1##*/}.examine
	shift
	mdadm --examine "$member" >"$out" 2>&1 || true
	while [ $# -ge 2 ]; do
		has "${member##*/}: mdadm --examine: $1 : $2" "^ *$1 : $2( |$)" "$out"
		shift 2
	done
}
md_field() { sed -n "s/^ *$2 : \([0-9]*\).*/\1/p" "$work/${1##*/}.examine"; }
# The array's UUID as mdadm writes it: 8 hex digits, a colon, and so on.
md_uuid=$(tr -d - <<<"${GUESTDISK_MD_UUID:-}" | sed 's/\(........\)/\1:/g; s/:$//')

nocrypto=''
python3 -c 'import cryptography' 2>/dev/null || nocrypto="python3 has no cryptography module (Debian: python3-cryptography)"

case $recipe in
luks2 | luks1)
	version=${recipe#luks}
	disk=$GUESTDISK_DISK0
	gpt_is "$disk" "$GUESTDISK_GPT_UUID" 1 "$GUESTDISK_LUKS_PARTUUID" 0fc63daf-8483-4772-8e79-3d69d8477de4
	same "partition 1 is named $GUESTDISK_LUKS_PARTLABEL" "$GUESTDISK_LUKS_PARTLABEL" "$(partx -g -o NAME -n 1 "$disk")"
	extract "$disk" "$(part_start "$disk" 1)" "$(part_size "$disk" 1)" "$work/part1"
	blkid_is "partition 1" "$disk" "$(part_start "$disk" 1)" TYPE=crypto_LUKS "UUID=$GUESTDISK_LUKS_UUID" \
		"VERSION=$version" ${GUESTDISK_LUKS_LABEL:+"LABEL=$GUESTDISK_LUKS_LABEL"}
	luks "$work/part1" "$version"
	if [ -n "$nocrypto" ]; then skip "the LUKS payload" "$nocrypto"
	elif luks_payload "$work/part1" "$work/root.ext4"; then root_ext4 "$work/root.ext4"
	else not_ok "the LUKS payload decrypts"; fi
	;;
debian-installer)
	disk=$GUESTDISK_DISK0
	gpt_is "$disk" "$GUESTDISK_GPT_UUID" 1 "$GUESTDISK_ESP_PARTUUID" c12a7328-f81f-11d2-ba4b-00a0c93ec93b
	gpt_is "$disk" "$GUESTDISK_GPT_UUID" 2 "$GUESTDISK_BOOT_PARTUUID" 0fc63daf-8483-4772-8e79-3d69d8477de4
	gpt_is "$disk" "$GUESTDISK_GPT_UUID" 3 "$GUESTDISK_LUKS_PARTUUID" 0fc63daf-8483-4772-8e79-3d69d8477de4
	same "the partitions start at 1, 9 and 41 MiB, of 8, 32 and 86 MiB" "1 8 9 32 41 86" \
		"$(for n in 1 2 3; do echo "$(($(part_start "$disk" $n) >> 20)) $(($(part_size "$disk" $n) >> 20))"; done | tr '\n' ' ' | sed 's/ $//')"
	blkid_is "the ESP" "$disk" "$(part_start "$disk" 1)" TYPE=vfat "UUID=$GUESTDISK_ESP_UUID"
	blkid_is "/boot" "$disk" "$(part_start "$disk" 2)" TYPE=ext2 "UUID=$GUESTDISK_BOOT_UUID"
	extract "$disk" "$(part_start "$disk" 2)" "$(part_size "$disk" 2)" "$work/boot.ext2"
	check "/boot: e2fsck -fn finds it clean" e2fsck -fn "$work/boot.ext2"
	blkid_is "partition 3" "$disk" "$(part_start "$disk" 3)" TYPE=crypto_LUKS "UUID=$GUESTDISK_LUKS_UUID" VERSION=2
	extract "$disk" "$(part_start "$disk" 3)" "$(part_size "$disk" 3)" "$work/part3"
	luks "$work/part3" 2
	if [ -n "$nocrypto" ]; then skip "the LUKS payload" "$nocrypto"
	elif luks_payload "$work/part3" "$work/pv"; then
		blkid_is "the LUKS payload" "$work/pv" 0 TYPE=LVM2_member "UUID=$GUESTDISK_PV_UUID"
		if lvm_lv "$work/pv" "$GUESTDISK_ROOT_LV" "$work/root.ext4"; then root_ext4 "$work/root.ext4"; fi
		if lvm_lv "$work/pv" "$GUESTDISK_SWAP_LV" "$work/swap"; then
			blkid_is "$GUESTDISK_VG/$GUESTDISK_SWAP_LV" "$work/swap" 0 TYPE=swap "UUID=$GUESTDISK_SWAP_UUID"
		fi
	else not_ok "the LUKS payload decrypts"; fi
	;;
luks-on-lvm)
	disk=$GUESTDISK_DISK0
	blkid_is "the disk" "$disk" 0 TYPE=LVM2_member "UUID=$GUESTDISK_PV_UUID"
	if lvm_lv "$disk" "$GUESTDISK_LV" "$work/lv"; then
		blkid_is "$GUESTDISK_VG/$GUESTDISK_LV" "$work/lv" 0 TYPE=crypto_LUKS "UUID=$GUESTDISK_LUKS_UUID" \
			"LABEL=$GUESTDISK_LUKS_LABEL" VERSION=2
		luks "$work/lv" 2
		if [ -n "$nocrypto" ]; then skip "the LUKS payload" "$nocrypto"
		elif luks_payload "$work/lv" "$work/root.ext4"; then root_ext4 "$work/root.ext4"
		else not_ok "the LUKS payload decrypts"; fi
	fi
	;;
raid1 | raid5)
	level=${recipe#raid} members=() i=0
	for var in "${disk_vars[@]}"; do
		disk=${!var} guid=GUESTDISK_GPT_UUID$i partuuid=GUESTDISK_MD_PARTUUID$i
		gpt_is "$disk" "${!guid}" 1 "${!partuuid}" a19d880f-05fc-4d3b-a006-743f0f84911e
		blkid_is "member $i" "$disk" "$(part_start "$disk" 1)" TYPE=linux_raid_member \
			"UUID=$GUESTDISK_MD_UUID" "LABEL=$GUESTDISK_MD_NAME" VERSION=1.2
		extract "$disk" "$(part_start "$disk" 1)" "$(part_size "$disk" 1)" "$work/member$i"
		examine "$work/member$i" Version 1.2 "Array UUID" "$md_uuid" Name "$GUESTDISK_MD_NAME" \
			"Raid Level" "raid$level" "Raid Devices" "${#disk_vars[@]}" State clean \
			"Device Role" "Active device $i" "Array State" "$(printf 'A%.0s' "${disk_vars[@]}")"
		members+=("$work/member$i:$(($(md_field "$work/member$i" "Data Offset") * 512))")
		i=$((i + 1))
	done
	size=$(($(md_field "$work/member0" "Array Size") * 1024))
	if [ "$level" = 1 ]; then
		extract "${members[0]%:*}" "${members[0]##*:}" "$size" "$work/root.ext4"
		extract "${members[1]%:*}" "${members[1]##*:}" "$size" "$work/mirror.ext4"
		check "the two members hold the same data (in sync)" cmp "$work/root.ext4" "$work/mirror.ext4"
		rm -f "$work/mirror.ext4"
	else
		chunk=$(($(md_field "$work/member0" "Chunk Size") * 1024))
		has "member0: left-symmetric layout" "^ *Layout : left-symmetric$" "$work/member0.examine"
		check "every stripe's parity is the XOR of its data (the array is clean); the data reassembled" \
			python3 "$read_py" raid5 "$chunk" "$size" "$work/root.ext4" "${members[@]}"
	fi
	root_ext4 "$work/root.ext4"
	;;
raid1-090)
	for i in 0 1; do
		var=GUESTDISK_DISK$i
		disk=${!var}
		# 0.90: the superblock at the end, the data from byte 0, so the whole disk also starts with the ext4;
		# libblkid's probe must name the RAID member, not the filesystem.
		blkid_is "disk $i" "$disk" 0 TYPE=linux_raid_member "UUID=$GUESTDISK_MD_UUID" VERSION=0.90.0
		examine "$disk" Version 0.90.00 UUID "$md_uuid" "Raid Level" raid1 "Raid Devices" 2 \
			"Preferred Minor" "$GUESTDISK_MD_MINOR" State clean
	done
	size=$(($(md_field "$GUESTDISK_DISK0" "Array Size") * 1024))
	extract "$GUESTDISK_DISK0" 0 "$size" "$work/root.ext4"
	extract "$GUESTDISK_DISK1" 0 "$size" "$work/mirror.ext4"
	check "the two members hold the same data (in sync)" cmp "$work/root.ext4" "$work/mirror.ext4"
	rm -f "$work/mirror.ext4"
	root_ext4 "$work/root.ext4"
	;;
btrfs-raid1)
	devids=''
	for i in 0 1; do
		var=GUESTDISK_DISK$i
		disk=${!var}
		blkid_is "disk $i" "$disk" 0 TYPE=btrfs "UUID=$GUESTDISK_ROOT_UUID" "LABEL=$GUESTDISK_ROOT_LABEL"
		btrfs inspect-internal dump-super -f "$disk" >"$work/super$i" 2>&1 || true
		has "disk $i: btrfs superblock with fsid $GUESTDISK_ROOT_UUID" "^fsid[[:space:]]+$GUESTDISK_ROOT_UUID$" "$work/super$i"
		has "disk $i: label $GUESTDISK_ROOT_LABEL" "^label[[:space:]]+$GUESTDISK_ROOT_LABEL$" "$work/super$i"
		has "disk $i: one of 2 devices" "^num_devices[[:space:]]+2$" "$work/super$i"
		has "disk $i: the system chunk is RAID1" "type SYSTEM\|RAID1$" "$work/super$i"
		devids+=" $(awk '$1 == "dev_item.devid" { print $2 }' "$work/super$i")"
		# Each device alone holds a whole copy: btrfs restore reads the subvolumes from one of them.
		mkdir -p "$work/restore$i"
		btrfs restore -s -m -S "$disk" "$work/restore$i" >"$work/restore$i.log" 2>&1 || true
		listing_dir "$work/restore$i/$GUESTDISK_SUBVOL" >"$work/restore$i.list" 2>/dev/null || true
		check "disk $i alone: subvolume $GUESTDISK_SUBVOL has the paths, types, modes and owners of qemu/mkdisk's root" \
			diff "$work/ref.list" "$work/restore$i.list"
		check "disk $i alone: subvolume $GUESTDISK_SUBVOL has its contents" diff -r --no-dereference "$ref" "$work/restore$i/$GUESTDISK_SUBVOL"
		same "disk $i alone: nothing but $GUESTDISK_SUBVOL in the top level" "$GUESTDISK_SUBVOL" "$(ls -A "$work/restore$i")"
	done
	same "the devices are devid 1 and 2" " 1 2" "$devids"
	btrfs inspect-internal dump-tree -t root "$GUESTDISK_DISK0" >"$work/roottree" 2>&1 || true
	has "the root tree refers to subvolume $GUESTDISK_SUBVOL" "root ref key dirid 256 sequence [0-9]+ name $GUESTDISK_SUBVOL$" "$work/roottree"
	same "the default subvolume is the top level (FS_TREE): booting needs rootflags=$GUESTDISK_ROOTFLAGS" \
		"location key (FS_TREE ROOT_ITEM 18446744073709551615) type DIR" \
		"$(grep -B2 'name: default$' "$work/roottree" | sed -n 's/^[[:space:]]*\(location key .*\)/\1/p')"
	;;
*) bail "no checks for recipe $recipe" ;;
esac

# Small and sparse: the cache holds only what the guest wrote.
for var in "${disk_vars[@]}"; do
	f=${!var}
	alloc=$(($(stat -c %b "$f") * $(stat -c %B "$f"))) size=$(stat -c %s "$f")
	if [ "$alloc" -lt "$size" ]; then ok "${f##*/} is sparse: $((alloc >> 20)) of $((size >> 20)) MiB allocated"
	else not_ok "${f##*/} is not sparse ($alloc of $size bytes allocated)"; fi
done

# Again: from the cache, without a boot, the same assignments.
start=$SECONDS
again=$("$top/qemu/guestdisk" "$recipe" 2>"$work/guestdisk-again.err") || { sed 's/^/# /' "$work/guestdisk-again.err"; not_ok "qemu/guestdisk $recipe runs again"; }
if grep -q 'booting the builder' "$work/guestdisk-again.err"; then not_ok "the second run booted the guest again"
else ok "the second run answered from the cache ($((SECONDS - start)) s)"; fi
same "the second run prints the same assignments" "$env" "$again"

echo "1..$count"
[ "$failed" -eq 0 ] || exit 1
rm -rf "$work"
