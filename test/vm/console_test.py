#!/usr/bin/env python3
"""Tier (c), interactive: boots through rdinit with a shell in the image and talks to it on
the serial console, as a person at the machine would.

Usage: console_test.py SCENARIO   (environment from qemu/prepare, as test/vm/boot.sh)
  shell-hotplug  root absent: rd.shell starts; a shell killed by a signal is survived and
                 started again; a typed command is answered; the root disk is
                 hot-added through QEMU's monitor; after `exit` the boot goes on to the real init.
  break          rd.break=pre-mount stops with a shell before root is mounted; after `exit` the
                 boot goes on.
  hand-mount     the mount fails (rootfstype=xfs); the root mounted by hand in the rescue shell is
                 booted after `exit`.
  shell-never    an image built with --shell=never: rd.break= and a failure with rd.shell=1 start no
                 shell, the screen says why (the policy, which rd.shell=1 cannot loosen), and the
                 boot goes on to its failure policy (panic=-1: reboot).
  shell-password an image built with --shell=password: the shell asks for the password, nothing typed
                 is echoed, a wrong one is refused after a pause of 3 s, the right one starts the
                 shell; the next time ^D leaves the prompt: no shell, the failure policy.
  shell-locked   --shell=password with a locked hash ('!', as root's often is): no prompt, no
                 shell, the screen says why, the failure policy.
Output is TAP; the serial log is kept in $RDINIT_BUILD/vm/SCENARIO.log.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("RDINIT_BUILD", os.path.join(TOP, "build"))
VM = os.path.join(BUILD, "vm")
checks = []
# Every QEMU started, so that run() can stop those an exception left running.
guests = []


def check(ok, what):
    checks.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)


def disk_env():
    env = {}
    for line in open(os.path.join(TOP, "qemu", "disk.env")):
        m = re.match(r'^(\w+)=("?)([^"#]*)\2', line.strip())
        if m:
            env[m.group(1)] = m.group(3).strip()
    return env


class Guest:
    """qemu/boot with the console's input on a FIFO and a QMP socket."""

    def __init__(self, scenario, image, append, disks):
        self.log = os.path.join(VM, f"{scenario}.log")
        self.fifo = os.path.join(VM, f"{scenario}.in")
        self.qmp_path = os.path.join(VM, f"{scenario}.qmp")
        # A log left by an earlier run would answer wait_for() before this boot says anything.
        for path in (self.fifo, self.qmp_path, self.log):
            if os.path.exists(path):
                os.unlink(path)
        os.mkfifo(self.fifo)
        args = [os.path.join(TOP, "qemu", "boot"), "--kernel", os.environ["RDINIT_VMLINUZ"],
                "--initrd", image, "--append", append, "--log", self.log, "--timeout", "240",
                "--input", self.fifo, "--qmp", self.qmp_path]
        for disk in disks:
            args += ["--disk", disk]
        # A session of its own, so that stop() finds what qemu/boot started.
        self.qemu = subprocess.Popen(args, start_new_session=True)
        guests.append(self)
        # Read-write, so that the open does not wait for QEMU to open the other end: a QEMU that never starts
        # would otherwise hang the test until meson's timeout.
        self.console = os.fdopen(os.open(self.fifo, os.O_RDWR), "w")
        self.seen = 0

    def text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern, timeout=120):
        """Waits for a line matching pattern after what was already matched."""
        deadline = time.time() + timeout
        regex = re.compile(pattern, re.M)
        while time.time() < deadline:
            m = regex.search(self.text(), self.seen)
            if m:
                self.seen = m.end()
                return True
            if self.qemu.poll() is not None:
                m = regex.search(self.text(), self.seen)
                return bool(m)
            time.sleep(0.2)
        return False

    def find(self, pattern, timeout=60):
        """Waits for a match of pattern anywhere in the log; what wait_for() matched stays as it is."""
        deadline = time.time() + timeout
        while True:
            m = re.search(pattern, self.text(), re.M)
            if m or time.time() >= deadline or self.qemu.poll() is not None:
                return m or re.search(pattern, self.text(), re.M)
            time.sleep(0.2)

    def lacks(self, text):
        """Whether the log has no text; a log that is missing or empty proves nothing and fails."""
        log = self.text()
        return bool(log) and text not in log

    def type(self, line):
        """Types line at the shell's next prompt (input typed earlier would be flushed)."""
        if not self.wait_for(r"rdinit# ", timeout=60):
            check(False, f"a shell prompt to type {line!r} at")
            return
        time.sleep(0.5)
        self.console.write(line + "\n")
        self.console.flush()

    def answer(self, pattern, text, timeout=120):
        """Types text once a prompt matching pattern is shown; returns when it was typed, or None."""
        if not self.wait_for(pattern, timeout=timeout):
            return None
        time.sleep(0.5)
        self.console.write(text)
        self.console.flush()
        return time.time()

    def hmp(self, command):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.qmp_path)
        f = s.makefile("rw")
        json.loads(f.readline())  # greeting
        for msg in ({"execute": "qmp_capabilities"},
                    {"execute": "human-monitor-command", "arguments": {"command-line": command}}):
            f.write(json.dumps(msg) + "\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "return" in reply or "error" in reply:
                    break
        s.close()
        return reply

    def finish(self):
        try:
            status = self.qemu.wait(timeout=240)
        except subprocess.TimeoutExpired:
            self.stop()
            status = -1
        self.console.close()
        os.unlink(self.fifo)
        return status

    def stop(self):
        """Kills qemu/boot and everything it started, by their session: timeout(1) puts QEMU in a process group
        of its own, which killing qemu/boot or its group would leave running."""
        for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    session = int(f.read().rsplit(")", 1)[1].split()[3])
                if session == self.qemu.pid:
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        self.qemu.wait()

    def ended(self):
        """The closing checks: QEMU ended by itself, and the log it left shows no PID 1 exit and no panic."""
        status = self.finish()
        check(status == 0, f"QEMU ended on its own (exit {status})")
        check(self.lacks("Attempted to kill init") and self.lacks("Kernel panic"), "PID 1 never exited, no panic")


# The rescue shell's password for shell-password: "rescue-me", yescrypt as Debian 12's passwd makes it.
PASSWORD = "rescue-me"
PASSWORD_HASH = "$y$j9T$Mmz3JHfEBv7Wm/9Xg3MDw.$TF0Jk4bMnjD2Uj1I.hWXEZ0e4.0vDuuJZWJu8WsnXxB"
SHELL_OPTIONS = {
    "shell-never": ["--shell=never"],
    "shell-password": ["--shell=password", "--shell-hash=" + PASSWORD_HASH],
    "shell-locked": ["--shell=password", "--shell-hash=!" + PASSWORD_HASH],
}


def build_image(scenario):
    image = os.path.join(VM, f"image-{scenario}.img")
    hooks = [os.path.join(TOP, h) for h in ("hooks/base", "hooks/virtio", "hooks/ext4", "hooks/rescue")]
    subprocess.run([os.path.join(BUILD, "mkrdinit", "mkrdinit"), "-k", os.environ["RDINIT_KVER"],
                    "-m", os.environ["RDINIT_MODULES_DIR"], "-o", image, "--compress", "gzip",
                    "-D", "RDINIT_INIT=" + os.environ["RDINIT_INIT"]] + SHELL_OPTIONS.get(scenario, []) + hooks,
                   check=True, stderr=subprocess.DEVNULL)
    return image


def booted(guest, device, fstype="ext4", timeout=180):
    """The real init runs as PID 1, on what rdinit mounted from device (a regexp) by its number."""
    check(guest.wait_for(r"^realinit: pid=1$", timeout=timeout), "the real init runs as PID 1")
    m = guest.find(rf"rdinit: timeline: \+\d+ ms root mounted: /dev/block/(\d+:\d+) \({device}\) ")
    devnum = m.group(1) if m else "none"
    check(m is not None, f"rdinit mounted {device} by its device number ({devnum})")
    check(guest.wait_for(rf"^realinit: root source=/dev/block/{devnum} fstype={fstype} "),
          f"/ is {device} ({devnum}), {fstype}")


def shell_hotplug(guest, disk):
    check(guest.wait_for(r"rdinit: boot failed: root=UUID=\S+ did not appear within 3 s"), "the root did not appear")
    check(guest.wait_for(r"rdinit: boot failed: starting /bin/sh on the console; exit it to go on"),
          "rd.shell starts the shell")
    guest.type("kill -KILL $$")
    check(guest.wait_for(r"rdinit: the shell was killed by signal 9"), "PID 1 survives a shell that dies")
    check(guest.wait_for(r"rdinit: boot failed: starting /bin/sh on the console"), "and, root still absent, starts it again")
    guest.type("echo shell-says-$((6*7))")
    check(guest.wait_for(r"^shell-says-42\s*$"), "the shell answers a typed command")
    # The fix: the missing disk arrives while the shell runs.
    for command in (f"drive_add 0 if=none,id=root,file={disk},format=raw,snapshot=on",
                    "device_add virtio-blk-pci,drive=root,bus=hotplug0,id=rootdisk"):
        reply = guest.hmp(command)
        said = reply.get("return") if isinstance(reply.get("return"), str) else ""
        check("return" in reply and not re.search(r"(?i)error|could not|fail", said),
              f"QEMU's monitor took {command.split()[0]} ({reply})")
    time.sleep(3)
    guest.type("exit")
    check(guest.wait_for(r"rdinit: trying again"), "after exit rdinit tries again")
    check(guest.wait_for(r"rdinit: timeline: \+\d+ ms root device /dev/vda1 found"), "the hot-added disk is found")
    booted(guest, "/dev/vda1")


def break_pre_mount(guest, disk):
    check(guest.wait_for(r"rdinit: rd.break=pre-mount: starting /bin/sh on the console"), "rd.break=pre-mount starts a shell")
    check(re.search(r"rdinit: timeline: \+\d+ ms root device /dev/vda1 found", guest.text()) is not None,
          "the root device was found before the break")
    guest.type("if grep -q ' /sysroot ' /proc/mounts; then echo sysroot-is-mounted; else echo sysroot-not-mounted; fi")
    check(guest.wait_for(r"^sysroot-not-mounted\s*$"), "root is not mounted yet at pre-mount")
    guest.type("exit")
    booted(guest, "/dev/vda1")


def hand_mount(guest, disk):
    check(guest.wait_for(r"rdinit: boot failed: unable to mount /dev/vda1 \(254:1, type xfs, "),
          "the mount with a wrong rootfstype= fails")
    # rootfstype=xfs had only xfs looked for: ext4's module comes first.
    guest.type("modprobe ext4; mount -t ext4 -o ro /dev/vda1 /sysroot && echo mounted-by-$((6*7))")
    check(guest.wait_for(r"^mounted-by-42\s*$"), "the root is mounted by hand in the rescue shell")
    guest.type("exit")
    check(guest.wait_for(r"rdinit: timeline: \+\d+ ms root mounted by hand: 254:1 on /sysroot, booting it"),
          "after exit rdinit notices the mount and boots it")
    check(guest.wait_for(r"^realinit: pid=1$"), "the real init runs as PID 1")
    check(guest.wait_for(r"^realinit: root source=/dev/vda1 fstype=ext4 options=ro"), "/ is what was mounted by hand")


def shell_never(guest, disk):
    never = r"the image's policy is never \(mkrdinit --shell=never\)"
    check(guest.wait_for(rf"rdinit: rd.break=pre-udev: no rescue shell: {never}"), "rd.break= starts no shell, saying why")
    check(guest.wait_for(r"rdinit: rd.break=pre-udev, but no shell \(said above\): going on"), "and the boot goes on")
    check(guest.wait_for(r"rdinit: boot failed: root=UUID=\S+ did not appear within 3 s"), "the root did not appear")
    check(guest.wait_for(rf"rdinit: no rescue shell: {never}, which rd.shell=1 cannot loosen"),
          "the screen says there is no shell: the policy, which rd.shell=1 cannot loosen")
    check(guest.wait_for(r"rdinit: rebooting now"), "the failure policy follows (panic=-1)")
    check("starting /bin/sh" not in guest.text(), "no shell was started")


def shell_password(guest, disk):
    prompt = r"Password for the rescue shell \(\^D: none\): "
    check(guest.wait_for(r"rdinit: boot failed: root=UUID=\S+ did not appear within 3 s"), "the root did not appear")
    check(guest.wait_for(r"rdinit: the rescue shell asks for its password \(mkrdinit --shell=password\)"),
          "the screen says the shell asks for a password")
    typed = guest.answer(prompt, "not-" + PASSWORD + "\n")
    check(typed is not None, "the password is asked for on the console")
    check(guest.wait_for(r"rdinit: wrong password for the rescue shell, try 1 of 3"), "a wrong password is refused")
    again = guest.wait_for(r"Wrong password\. " + prompt, timeout=60)
    waited = time.time() - (typed or time.time())
    check(again and waited >= 3, f"and asked again only after a pause ({waited:.1f} s, at least 3)")
    guest.console.write(PASSWORD + "\n")
    guest.console.flush()
    check(guest.wait_for(r"rdinit: boot failed: starting /bin/sh on the console; exit it to go on"),
          "the right password starts the shell")
    guest.type("echo shell-says-$((6*7))")
    check(guest.wait_for(r"^shell-says-42\s*$"), "the shell answers a typed command")
    check(PASSWORD not in guest.text(), "the passwords typed were not echoed")
    guest.type("exit")
    check(guest.wait_for(r"rdinit: trying again"), "after exit rdinit tries again")
    check(guest.answer(prompt, "\x04") is not None, "the root still absent, the password is asked for again")
    check(guest.wait_for(r"rdinit: boot failed: no rescue shell: the password prompt was left \(\^C or \^D\)"),
          "^D leaves the prompt: no shell")
    check(guest.wait_for(r"rdinit: rebooting now"), "the failure policy follows (panic=-1)")


def shell_locked(guest, disk):
    check(guest.wait_for(r"rdinit: boot failed: root=UUID=\S+ did not appear within 3 s"), "the root did not appear")
    check(guest.wait_for(r"rdinit: no rescue shell: the password of /etc/rdinit/shell-hash is locked \('!' or '\*'\)"),
          "the screen says there is no shell: the password is locked")
    check(guest.wait_for(r"rdinit: rebooting now"), "the failure policy follows (panic=-1)")
    text = guest.text()
    check("starting /bin/sh" not in text and "Password for the rescue shell" not in text,
          "no shell was started, no password asked for")


def main():
    scenario = sys.argv[1]
    if not all(os.environ.get(v) for v in ("RDINIT_VMLINUZ", "RDINIT_DISK", "RDINIT_KVER", "RDINIT_INIT")):
        print("1..0 # SKIP no kernel, image or disk: run through test/run")
        return 0
    ids = disk_env()
    image = build_image(scenario)
    disk = os.environ["RDINIT_DISK"]
    if scenario == "shell-hotplug":
        guest = Guest(scenario, image, f"rdinit=/init root=UUID={ids['ROOT_UUID']} rd.timeout=3 rd.shell panic=-1", [])
        shell_hotplug(guest, disk)
    elif scenario == "break":
        guest = Guest(scenario, image, f"rdinit=/init root=UUID={ids['ROOT_UUID']} rd.break=pre-mount panic=-1", [disk])
        break_pre_mount(guest, disk)
    elif scenario == "hand-mount":
        guest = Guest(scenario, image, f"rdinit=/init root=UUID={ids['ROOT_UUID']} rootfstype=xfs rd.shell panic=-1",
                      [disk])
        hand_mount(guest, disk)
    elif scenario == "shell-never":
        guest = Guest(scenario, image,
                      f"rdinit=/init root=UUID={ids['ROOT_UUID']} rd.timeout=3 rd.break=pre-udev rd.shell=1 panic=-1", [])
        shell_never(guest, disk)
    elif scenario == "shell-password":
        guest = Guest(scenario, image, f"rdinit=/init root=UUID={ids['ROOT_UUID']} rd.timeout=3 rd.shell panic=-1", [])
        shell_password(guest, disk)
    elif scenario == "shell-locked":
        guest = Guest(scenario, image, f"rdinit=/init root=UUID={ids['ROOT_UUID']} rd.timeout=3 rd.shell panic=-1", [])
        shell_locked(guest, disk)
    else:
        print(f"Bail out! unknown scenario {scenario}")
        return 1
    guest.ended()
    print(f"1..{len(checks)}")
    return 0 if all(checks) else 1


def run(main):
    """main(), where an exception (a QEMU that did not start, a monitor that refused, a tool that failed) is a
    failed check and the end of the test, never a pass, and leaves no QEMU running."""
    try:
        return main()
    except Exception as e:  # noqa: BLE001: whatever went wrong fails the test, saying what it was
        check(False, f"the scenario ran to its end ({type(e).__name__}: {e})")
        for guest in guests:
            guest.stop()
        print(f"1..{len(checks)}")
        return 1


if __name__ == "__main__":
    sys.exit(run(main))
