#!/usr/bin/env python3
"""Tier (c): roots on LUKS, unlocked by /init's luks layer, with the passphrase typed on the serial
console as a person would (wrong first, where the scenario says so) or a key file in the image. The
disks are made in a guest by qemu/guestdisk (LUKS2 with argon2id, LUKS1 with pbkdf2, Debian's
installer's encrypted LVM, LUKS on LVM), cached.

Usage: luks_test.py SCENARIO   (environment from qemu/prepare, as test/vm/boot.sh)
  typed           LUKS2, nothing configured: the prompt, a wrong passphrase, then the right one; a
                  second LUKS1 disk with the same passphrase opens without a second prompt
  name-luks1      LUKS1, rd.luks.name=UUID=cryptroot root=/dev/mapper/cryptroot, typed
  tries           rd.luks.uuid= and rd.luks.options=tries=2: two wrong passphrases end on the screen
  cancel          an empty line is a wrong passphrase, ^C cancels; PID 1 survives both
  keyfile         the image's crypttab names a key file in the image: no prompt
  cryptdevice     mkinitcpio's cryptdevice= and cryptkey=rootfs:PATH: no prompt
  installer       Debian's installer layout: crypttab vda3_crypt, LVM rdhost-vg inside,
                  root=/dev/mapper/rdhost--vg-root, typed
  on-lvm          LUKS inside an LVM logical volume, rd.luks.uuid=, typed
Output is TAP; the serial log is kept in $RDINIT_BUILD/vm/luks-SCENARIO.log.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import BUILD, TOP, VM, Guest, booted, check, checks, run  # noqa: E402

PASS = "rdinit-test"


def guestdisk(recipe):
    out = subprocess.run([os.path.join(TOP, "qemu", "guestdisk"), recipe], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return dict(re.findall(r"^(GUESTDISK_\w+)=(.*)$", out, re.M))


def build_image(name, files=(), hooks=("crypt",)):
    """An image of base, virtio, ext4, the hooks named, and a fixture hook with files: {path: content}."""
    work = os.path.join(VM, f"luks-{name}.d")
    os.makedirs(work, exist_ok=True)
    lines = []
    for i, (path, content) in enumerate(files):
        src = os.path.join(work, f"file{i}")
        with open(src, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        lines.append(f"file {path} {src} 0600 0 0")
    with open(os.path.join(work, "manifest"), "w") as f:
        f.write("\n".join(lines) + "\n")
    image = os.path.join(VM, f"luks-{name}.img")
    args = [os.path.join(BUILD, "mkrdinit", "mkrdinit"), "-k", os.environ["RDINIT_KVER"], "-m",
            os.environ["RDINIT_MODULES_DIR"], "-o", image, "--compress", "gzip", "-D",
            "RDINIT_INIT=" + os.environ["RDINIT_INIT"]]
    args += [os.path.join(TOP, "hooks", h) for h in ("base", "virtio", "ext4") + tuple(hooks)] + [work]
    subprocess.run(args, check=True, stderr=subprocess.DEVNULL)
    return image


def answer(guest, name, text, what):
    """Waits for the prompt for name, then types text (a passphrase, or keys such as ^C)."""
    ok = guest.wait_for(rf"Please unlock disk {re.escape(name)} \(UUID [0-9a-f-]+\): ", timeout=120)
    check(ok, f"the prompt names {name} and its UUID ({what})")
    time.sleep(0.5)
    guest.console.write(text)
    guest.console.flush()


def screen(guest, cause):
    check(guest.wait_for(rf"rdinit: boot failed: {cause}", timeout=180), f"the screen says: {cause}")
    check(guest.wait_for(r"rdinit: rebooting in 1 s \(panic=1\)"), "and panic=1 reboots")


def timings(guest):
    """On the kernel's log clock: Run /init -> the prompt, and the passphrase taken -> the real init."""
    text = guest.text()
    stamp = lambda pattern: re.search(r"^\[ *([0-9.]+)\] " + pattern, text, re.M)  # noqa: E731
    run, asked = stamp("Run /init as init process"), stamp("rdinit: luks: asking for the passphrase")
    unlocked = [float(m) for m in re.findall(r"^\[ *([0-9.]+)\] rdinit: luks: unlocked", text, re.M)]
    real = re.search(r"^realinit: uptime_ms=(\d+)$", text, re.M)
    if not (run and real):
        return
    t0, end = float(run.group(1)) * 1000, int(real.group(1))
    parts = [f"Run /init -> real init {end - t0:.0f} ms"]
    if asked:
        parts.append(f"Run /init -> prompt {float(asked.group(1)) * 1000 - t0:.0f} ms")
    if unlocked:
        parts.append(f"last unlock -> real init {end - unlocked[-1] * 1000:.0f} ms")
    print("# timing: " + "; ".join(parts))


def main():
    scenario = sys.argv[1]
    if not all(os.environ.get(v) for v in ("RDINIT_VMLINUZ", "RDINIT_KVER", "RDINIT_INIT")):
        print("1..0 # SKIP no kernel, image or /init: run through test/run")
        return 0
    panic = "panic=-1"
    if scenario in ("typed", "tries", "cancel"):
        d = guestdisk("luks2")
        disks = [d["GUESTDISK_DISK0"]]
        name = "luks-" + d["GUESTDISK_LUKS_UUID"]
        options = ""
        if scenario == "typed":
            other = guestdisk("luks1")
            disks.append(other["GUESTDISK_DISK0"])
        elif scenario == "tries":
            options = f"rd.luks.uuid={d['GUESTDISK_LUKS_UUID']} rd.luks.options=tries=2"
            panic = "panic=1"
        else:
            panic = "panic=1"
        image = build_image(scenario)
        append = f"root=UUID={d['GUESTDISK_ROOT_UUID']} {options}"
    elif scenario == "name-luks1":
        d = guestdisk("luks1")
        disks, name = [d["GUESTDISK_DISK0"]], "cryptroot"
        image = build_image(scenario)
        append = f"rd.luks.name={d['GUESTDISK_LUKS_UUID']}=cryptroot root=/dev/mapper/cryptroot"
    elif scenario in ("keyfile", "cryptdevice"):
        d = guestdisk("luks2")
        disks, name = [d["GUESTDISK_DISK0"]], "cryptroot"
        key = open(d["GUESTDISK_KEYFILE"], "rb").read()
        files = [("/etc/keys/root.key", key)]
        if scenario == "keyfile":
            files.append(("/etc/crypttab", f"# written by the test\ncryptroot UUID={d['GUESTDISK_LUKS_UUID']} "
                                           "/etc/keys/root.key luks,discard,key-slot=1\n"))
            append = f"root=UUID={d['GUESTDISK_ROOT_UUID']} rd.debug"
        else:
            append = (f"cryptdevice=UUID={d['GUESTDISK_LUKS_UUID']}:cryptroot:allow-discards "
                      "cryptkey=rootfs:/etc/keys/root.key root=/dev/mapper/cryptroot")
        image = build_image(scenario, files)
    elif scenario == "installer":
        d = guestdisk("debian-installer")
        disks, name = [d["GUESTDISK_DISK0"]], "vda3_crypt"
        crypttab = f"vda3_crypt UUID={d['GUESTDISK_LUKS_UUID']} none luks,discard\n"
        image = build_image(scenario, [("/etc/crypttab", crypttab)], hooks=("crypt", "lvm"))
        append = "root=/dev/mapper/rdhost--vg-root"
    elif scenario == "on-lvm":
        d = guestdisk("luks-on-lvm")
        disks, name = [d["GUESTDISK_DISK0"]], "luks-" + d["GUESTDISK_LUKS_UUID"]
        image = build_image(scenario, hooks=("crypt", "lvm"))
        append = f"rd.luks.uuid={d['GUESTDISK_LUKS_UUID']} root=UUID={d['GUESTDISK_ROOT_UUID']}"
    else:
        print(f"Bail out! unknown scenario {scenario}")
        return 1

    guest = Guest("luks-" + scenario, image, f"rdinit=/init {append} {panic}".replace("  ", " "), disks)
    if scenario == "typed":
        answer(guest, name, "not the passphrase\r", "first try")
        check(guest.wait_for(rf"Wrong passphrase for {re.escape(name)}\."), "a wrong passphrase is said so")
        answer(guest, name, PASS + "\r", "asked again")
        booted(guest, re.escape(f"/dev/mapper/{name}"))
        other_name = "luks-" + other["GUESTDISK_LUKS_UUID"]
        text = guest.text()
        check(re.search(rf"rdinit: luks: unlocked {re.escape(other_name)} ", text) is not None,
              "the second disk, with the same passphrase, was unlocked too")
        check(guest.lacks(f"Please unlock disk {other_name}"), "without asking for it again")
        check(bool(text) and PASS not in text.replace("GUESTDISK", ""),
              "the passphrase is nowhere on the console or in the log")
    elif scenario == "name-luks1":
        answer(guest, name, PASS + "\r", "rd.luks.name= gives the name")
        booted(guest, "/dev/mapper/cryptroot")
    elif scenario == "tries":
        answer(guest, name, "wrong one\r", "try 1")
        answer(guest, name, "wrong two\r", "try 2")
        screen(guest, rf"unable to unlock {re.escape(name)} \(/dev/vda1, UUID {d['GUESTDISK_LUKS_UUID']}\): "
                      r"2 wrong passphrases")
        check(re.search(r"rdinit:   /dev/vda1 .*TYPE=crypto_LUKS UUID=" + d["GUESTDISK_LUKS_UUID"], guest.text())
              is not None, "the screen lists the LUKS device")
    elif scenario == "cancel":
        answer(guest, name, "\r", "an empty line")
        check(guest.wait_for(rf"Wrong passphrase for {re.escape(name)}\."), "an empty passphrase is a wrong one")
        answer(guest, name, "abc\x03", "^C")
        screen(guest, rf"unlocking {re.escape(name)} \(/dev/vda1, UUID [0-9a-f-]+\) was cancelled at the prompt")
    elif scenario in ("keyfile", "cryptdevice"):
        booted(guest, "/dev/mapper/cryptroot")
        check(guest.lacks("Please unlock disk"), "nobody was asked for a passphrase")
    if scenario == "keyfile":
        # The CPU's drivers load off the disk's path, in the idle child: the luks layer loads them
        # itself before the mapping takes its cipher (aesni-intel; no modprobe for the kernel to ask).
        kmsg = re.findall(r"^realinit: kmsg rdinit: (.*)$", guest.text(), re.M)
        cpu = [i for i, line in enumerate(kmsg) if re.match(r"loaded [1-9][0-9]* module\(s\) for cpu:type:x86,", line)]
        ready = [i for i, line in enumerate(kmsg) if line == "luks: the CPU's feature drivers are in (its ciphers)"]
        unlocked = [i for i, line in enumerate(kmsg) if line.startswith("luks: unlocked cryptroot ")]
        check(bool(cpu) and bool(ready) and bool(unlocked) and cpu[0] < ready[0] < unlocked[0],
              "the CPU's feature drivers were loaded before the mapping was made")
    elif scenario == "installer":
        answer(guest, name, PASS + "\r", "the crypttab's name")
        check(guest.wait_for(r"rdinit: lvm: activated volume groups: all"), "the lvm layer activated rdhost-vg inside")
        booted(guest, "/dev/mapper/rdhost--vg-root")
    elif scenario == "on-lvm":
        answer(guest, name, PASS + "\r", "below it, the lvm layer made the logical volume")
        booted(guest, re.escape(f"/dev/mapper/{name}"))
    guest.ended()
    timings(guest)
    print(f"1..{len(checks)}")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(run(main))
