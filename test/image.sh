# shellcheck shell=bash
# image.sh: reading back an image that mkrdinit wrote; source it. An image may begin with an uncompressed newc
# archive of early microcode (kernel/x86/microcode/*, for the kernel's early loader), and `cpio -i` reads only
# the first archive of a file: these helpers read past it. The functions are exported, for `bash -c` checks.

# image_early_size FILE: the bytes of FILE's leading early microcode archive, with the NUL padding after it
# (the kernel skips that too), or 0 when FILE does not start with one: an uncompressed newc archive whose
# every entry is kernel or under kernel/.
image_early_size() {
	python3 - "$1" <<-'PY'
		import sys
		def early_size(path):
		    with open(path, "rb") as f:
		        offset, names = 0, 0
		        while True:
		            f.seek(offset)
		            header = f.read(110)
		            if len(header) < 110 or header[:6] not in (b"070701", b"070702"):
		                return 0
		            filesize, namesize = int(header[54:62], 16), int(header[94:102], 16)
		            name = f.read(namesize).rstrip(b"\0")
		            offset = (offset + 110 + namesize + 3) & ~3
		            offset = (offset + filesize + 3) & ~3
		            if name == b"TRAILER!!!":
		                break
		            if name != b"kernel" and not name.startswith(b"kernel/"):
		                return 0
		            names += 1
		        if not names:
		            return 0
		        f.seek(offset)
		        while f.read(1) == b"\0":
		            offset += 1
		        return offset
		print(early_size(sys.argv[1]))
	PY
}

# image_early FILE: FILE's early microcode archive (nothing when it has none).
image_early() {
	local size
	size=$(image_early_size "$1") || return
	head -c "$size" "$1"
}

# image_main_raw FILE: the bytes of FILE after its early microcode archive, as written (compressed or not).
image_main_raw() {
	local skip
	skip=$(image_early_size "$1") || return
	tail -c +"$((skip + 1))" "$1"
}

# image_main FILE: the main archive of FILE, after any early microcode archive, decompressed (gzip, zstd, xz,
# lz4 as the kernel reads them, found by their magic numbers).
image_main() {
	local skip magic
	skip=$(image_early_size "$1") || return
	# od reads the 4 bytes itself: `tail | head -c 4` would end tail with SIGPIPE, a failure under pipefail.
	magic=$(od -An -tx1 -j "$skip" -N4 "$1" | tr -d ' \n')
	case $magic in
	28b52ffd) tail -c +"$((skip + 1))" "$1" | zstd -dc ;;
	1f8b*) tail -c +"$((skip + 1))" "$1" | gzip -dc ;;
	fd377a58) tail -c +"$((skip + 1))" "$1" | xz -dc ;;
	02214c18) tail -c +"$((skip + 1))" "$1" | lz4 -dc ;;
	*) tail -c +"$((skip + 1))" "$1" ;;
	esac
}

# image_main_size FILE: the bytes of FILE after its early microcode archive, as written (compressed or not).
image_main_size() {
	local skip
	skip=$(image_early_size "$1") || return
	echo $(($(stat -c %s "$1") - skip))
}

export -f image_early_size image_early image_main_raw image_main image_main_size
