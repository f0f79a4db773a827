#!/usr/bin/env python3
"""Tier (c): roots on md RAID and on multi-device btrfs, through /init's md and btrfs layers, on disks
qemu/guestdisk makes in a guest (cached).

Usage: storage_test.py SCENARIO   (environment from qemu/prepare, as test/vm/boot.sh)
  raid1            RAID1 over two disks, metadata 1.2, root=/dev/md/rdroot (the name in the superblocks)
  raid1-degraded   the same with one disk pulled: started degraded at half of rd.timeout=10, saying so
  raid1-090        metadata 0.90, root=/dev/md0 as the image's mdadm.conf names it
  raid5            RAID5 over three disks, root=/dev/md127 (the kernel's name)
  btrfs-raid1      btrfs RAID1 over two disks, root=UUID= rootflags=subvol=@: one filesystem, not two
  btrfs-degraded   the same with one disk: rootflags=degraded,subvol=@ mounts it once the wait is over
Output is TAP; the serial log is kept in $RDINIT_BUILD/vm/storage-SCENARIO.log.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import Guest, booted, check, checks, run  # noqa: E402
from luks_test import build_image, guestdisk  # noqa: E402


def main():
    scenario = sys.argv[1]
    if not all(os.environ.get(v) for v in ("RDINIT_VMLINUZ", "RDINIT_KVER", "RDINIT_INIT")):
        print("1..0 # SKIP no kernel, image or /init: run through test/run")
        return 0
    recipe = {"raid1-degraded": "raid1", "btrfs-degraded": "btrfs-raid1"}.get(scenario, scenario)
    d = guestdisk(recipe)
    disks = [d[k] for k in sorted(k for k in d if re.match(r"GUESTDISK_DISK\d+$", k))]
    files, hooks = [], ("mdraid",)
    if scenario == "raid1":
        append = "root=/dev/md/rdroot"
    elif scenario == "raid1-degraded":
        disks = disks[:1]
        append = f"root=UUID={d['GUESTDISK_ROOT_UUID']} rd.timeout=10"
    elif scenario == "raid1-090":
        uuid = d["GUESTDISK_MD_UUID"].replace("-", "")
        files = [("/etc/mdadm/mdadm.conf",
                  f"ARRAY /dev/md0 metadata=0.90 UUID={':'.join(uuid[i:i + 8] for i in range(0, 32, 8))}\n")]
        append = "root=/dev/md0"
    elif scenario == "raid5":
        append = "root=/dev/md127"
    elif scenario == "btrfs-raid1":
        hooks = ("btrfs",)
        append = f"root=UUID={d['GUESTDISK_ROOT_UUID']} rootflags=subvol=@"
    elif scenario == "btrfs-degraded":
        hooks = ("btrfs",)
        disks = disks[:1]
        append = f"root=UUID={d['GUESTDISK_ROOT_UUID']} rootflags=degraded,subvol=@ rd.timeout=6"
    else:
        print(f"Bail out! unknown scenario {scenario}")
        return 1
    image = build_image("storage-" + scenario, files, hooks=hooks)
    guest = Guest("storage-" + scenario, image, f"rdinit=/init {append} panic=-1", disks)

    if scenario.startswith("raid"):
        check(guest.wait_for(r"rdinit: md: \d+ member\(s\) handed to mdadm"), "the md layer handed the members to mdadm")
    if scenario == "raid1":
        booted(guest, r"/dev/md\d+")
        text = guest.text()
        check(re.search(r"rdinit: timeline: \+\d+ ms root device /dev/md\d+ found", text) is not None,
              "root=/dev/md/rdroot matched the array by its name, whatever mdadm called its node")
    elif scenario == "raid1-degraded":
        check(guest.wait_for(r"rdinit: md: half the wait for root is over"), "at half the wait the md layer steps in")
        check(guest.wait_for(r"rdinit: md: /dev/md\d+ started degraded: 1 of 2 members; missing: slot 1"),
              "the array starts degraded, naming the missing member")
        booted(guest, r"/dev/md\d+")
    elif scenario == "raid1-090":
        booted(guest, "/dev/md0")
    elif scenario == "raid5":
        booted(guest, "/dev/md127")
    elif scenario == "btrfs-raid1":
        check(guest.wait_for(r"rdinit: btrfs: 2 member\(s\) registered"), "both members are registered with the kernel")
        booted(guest, "/dev/vd[ab]", "btrfs")
        check(re.search(r"^realinit: root .*subvol=/@", guest.text(), re.M) is not None, "subvolume @ is the root")
        check(guest.lacks("is ambiguous"), "two members of one filesystem are not two roots")
    elif scenario == "btrfs-degraded":
        check(guest.wait_for(r"rdinit: .*not all of whose devices are there yet; rootflags=degraded,subvol=@: "
                             r"mounting it degraded", timeout=120), "once the wait is over, rootflags=degraded mounts it")
        booted(guest, "/dev/vda", "btrfs")
    guest.ended()
    log = guest.text()
    real = re.search(r"^realinit: uptime_ms=(\d+)$", log, re.M)
    run = re.search(r"^\[ *([0-9.]+)\] Run /init as init process", log, re.M)
    if real and run:
        print(f"# timing: Run /init -> real init {int(real.group(1)) - float(run.group(1)) * 1000:.0f} ms")
    print(f"1..{len(checks)}")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(run(main))
