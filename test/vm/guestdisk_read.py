#!/usr/bin/env python3
"""Read the layers of qemu/guestdisk's disks on a machine without device-mapper or md, for guestdisk_test.sh.

Usage:
  guestdisk_read.py decrypt IMAGE OFFSET SECTOR_SIZE KEYFILE OUT
      IMAGE from byte OFFSET decrypted with aes-xts-plain64 under the volume key in KEYFILE (what
      `cryptsetup luksDump --dump-volume-key --volume-key-file` writes), in sectors of SECTOR_SIZE bytes with
      dm-crypt's IV: the 512-byte sector number, little-endian. A sector of zeros, never written, stays a hole.
  guestdisk_read.py lvm IMAGE
      the LVM physical volume IMAGE (label, metadata area, the newest metadata text), one line each:
      "pv UUID", "vg NAME", "lv NAME OFFSET SIZE" (bytes into IMAGE; linear logical volumes on this PV only)
  guestdisk_read.py raid5 CHUNK SIZE OUT MEMBER:OFFSET...
      the md RAID5 array (left-symmetric, CHUNK bytes, SIZE bytes of data) of the members, each from byte
      OFFSET of its file, into OUT; exits 1 when the parity of a stripe is not the XOR of its data (not clean)

Exit status: 0, 1 on a failure (said on stderr), 2 on bad usage.
"""
import re
import struct
import sys


def fail(msg):
    print(f"guestdisk_read: {msg}", file=sys.stderr)
    sys.exit(1)


def decrypt(image, offset, sector_size, keyfile, out):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = open(keyfile, "rb").read()
    offset, sector_size = int(offset), int(sector_size)
    with open(image, "rb") as src, open(out, "wb") as dst:
        src.seek(offset)
        pos = 0
        while True:
            block = src.read(1 << 20)
            if not block:
                break
            for i in range(0, len(block), sector_size):
                sector = block[i:i + sector_size]
                if sector.count(0) == len(sector):
                    continue
                tweak = struct.pack("<Q", (pos + i) // 512) + bytes(8)
                dec = Cipher(algorithms.AES(key), modes.XTS(tweak)).decryptor()
                dst.seek(pos + i)
                dst.write(dec.update(sector) + dec.finalize())
            pos += len(block)
        dst.truncate(pos)


def lvm_text(data):
    """The newest metadata text of the PV whose first sectors are data."""
    for sector in range(4):
        label = data[sector * 512:(sector + 1) * 512]
        if label[:8] == b"LABELONE" and label[24:32] == b"LVM2 001":
            break
    else:
        fail("no LVM2 label in the first 4 sectors")
    pvh = sector * 512 + struct.unpack_from("<I", label, 20)[0]
    uuid = data[pvh:pvh + 32].decode()
    pos = pvh + 40
    areas = []
    for kind in ("data", "metadata"):
        while True:
            off, size = struct.unpack_from("<QQ", data, pos)
            pos += 16
            if off == 0:
                break
            areas.append((kind, off, size))
    mda = [a for a in areas if a[0] == "metadata"]
    if not mda:
        fail("the PV has no metadata area")
    start = mda[0][1]
    if data[start + 4:start + 20] != b" LVM2 x[5A%r0N*>":
        fail("no metadata area header where the PV header says")
    mda_start, mda_size = struct.unpack_from("<QQ", data, start + 24)
    off, size = struct.unpack_from("<QQ", data, start + 40)
    text = data[mda_start + off:mda_start + off + size]
    if off + size > mda_size:  # the circular buffer wrapped
        first = mda_size - off
        text = data[mda_start + off:mda_start + mda_size] + data[mda_start + 512:mda_start + 512 + size - first]
    return "-".join([uuid[0:6], uuid[6:10], uuid[10:14], uuid[14:18], uuid[18:22], uuid[22:26], uuid[26:32]]), \
        text.rstrip(b"\0").decode()


def lvm_parse(text):
    """LVM's metadata text as nested dicts (sections) of values (int, str, list)."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{}\[\]=,]|[^\s{}\[\]=,"#]+|#[^\n]*', text)
    tokens = [t for t in tokens if not t.startswith("#")]
    pos = 0

    def value():
        nonlocal pos
        t = tokens[pos]
        pos += 1
        if t == "[":
            items = []
            while tokens[pos] != "]":
                if tokens[pos] == ",":
                    pos += 1
                    continue
                items.append(value())
            pos += 1
            return items
        if t.startswith('"'):
            return t[1:-1]
        return int(t) if re.fullmatch(r"-?\d+", t) else t

    def section():
        nonlocal pos
        out = {}
        while pos < len(tokens) and tokens[pos] != "}":
            key = tokens[pos]
            if tokens[pos + 1] == "{":
                pos += 2
                out[key] = section()
                pos += 1
            elif tokens[pos + 1] == "=":
                pos += 2
                out[key] = value()
            else:
                fail(f"unexpected {tokens[pos + 1]!r} after {key!r} in the metadata")
        return out

    return section()


def lvm(image):
    with open(image, "rb") as f:
        data = f.read(64 << 20)
    pv_uuid, text = lvm_text(data)
    print(f"pv {pv_uuid}")
    meta = lvm_parse(text)
    for vg_name, vg in meta.items():
        if not isinstance(vg, dict):
            continue
        print(f"vg {vg_name}")
        extent = vg["extent_size"] * 512
        pvs = {name: pv for name, pv in vg["physical_volumes"].items() if pv["id"] == pv_uuid}
        for lv_name, lv in vg.get("logical_volumes", {}).items():
            segs = [lv[f"segment{i + 1}"] for i in range(lv["segment_count"])]
            if len(segs) != 1 or segs[0]["type"] != "striped" or segs[0]["stripe_count"] != 1:
                continue
            pv_name, first = segs[0]["stripes"]
            if pv_name not in pvs:
                continue
            offset = pvs[pv_name]["pe_start"] * 512 + first * extent
            print(f"lv {lv_name} {offset} {segs[0]['extent_count'] * extent}")


def raid5(chunk, size, out, members):
    chunk, size = int(chunk), int(size)
    files = []
    for m in members:
        path, offset = m.rsplit(":", 1)
        f = open(path, "rb")
        f.seek(int(offset))
        files.append(f)
    n = len(files)
    stripes = -(-size // (chunk * (n - 1)))
    with open(out, "wb") as dst:
        for s in range(stripes):
            chunks = [f.read(chunk) for f in files]
            if any(len(c) != chunk for c in chunks):
                fail(f"a member ends before stripe {s}")
            parity = 0
            for c in chunks:
                parity ^= int.from_bytes(c, "little")
            if parity:
                fail(f"stripe {s}: the parity is not the XOR of the data (the array is not clean)")
            pd = (n - 1) - s % n  # left-symmetric: parity moves down from the last disk; data follows it
            for j in range(n - 1):
                dst.write(chunks[(pd + 1 + j) % n])
        dst.truncate(size)


def main(argv):
    if len(argv) == 6 and argv[0] == "decrypt":
        decrypt(*argv[1:])
    elif len(argv) == 2 and argv[0] == "lvm":
        lvm(argv[1])
    elif len(argv) >= 6 and argv[0] == "raid5":
        raid5(argv[1], argv[2], argv[3], argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
