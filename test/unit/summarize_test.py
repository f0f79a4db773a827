#!/usr/bin/env python3
"""Tests test/summarize.py, test/run's closing lines, on testlog.json files made here (TAP).

Usage: summarize_test.py SUMMARIZE.PY
"""
import json
import os
import subprocess
import sys
import tempfile

summarize = sys.argv[1]
n = 0
failed = 0


def check(description, condition, detail=""):
    global n, failed
    n += 1
    if condition:
        print(f"ok {n} - {description}")
    else:
        failed += 1
        print(f"not ok {n} - {description}")
        for line in str(detail).splitlines():
            print(f"#   {line}")


def run(*args):
    p = subprocess.run([sys.executable, summarize, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def result(name, res, start, duration, stdout="", returncode=0, stderr=None):
    r = {"name": name, "stdout": stdout, "result": res, "starttime": start, "duration": duration,
         "returncode": returncode, "env": {}, "command": ["x"]}
    if stderr is not None:
        r["stderr"] = stderr
    return r


with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "testlog.json")
    results = [
        result("rdinit:unit / cmdline", "OK", 1000.0, 2.0, "ok 1 - a\nok 2 - b\n1..2\n"),
        result("rdinit:unit / format", "SKIP", 1001.0, 0.5,
               "1..0 # SKIP clang-format 15, not 14 (Debian 12's)\n"),
        result("rdinit:unit / mkrdinit-modules", "SKIP", 1001.5, 0.1,
               "SKIP: RDINIT_MODULES_DIR and RDINIT_KVER are not set\n", returncode=77),
        result("rdinit:unit / mkrdinit-hooks", "OK", 1002.0, 3.0,
               "ok 1 - hook base builds\nok 2 - # SKIP hook rescue: this machine has no /bin/busybox\n1..2\n"),
        result("rdinit:unit / silent", "SKIP", 1003.0, 0.1, "", returncode=77),
        result("rdinit:vm / vm-uuid", "OK", 1010.0, 40.0, "ok 1 - boots\n1..1\n"),
        result("rdinit:vm / vm-absent", "FAIL", 1012.0, 50.0, "not ok 1 - panics\n1..1\n", returncode=1),
        result("rdinit:vm / vm-luks-typed", "TIMEOUT", 1015.0, 600.0, "", returncode=-15),
        result("rdinit:hardening / fuzz", "ERROR", 1001.0, 5.0, "", returncode=2,
               stderr="(test program exited with status code 2)"),
    ]
    with open(log, "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")

    rc, out, err = run(log)
    lines = out.splitlines()
    check("the last line counts passed, failed and skipped tests",
          lines and lines[-1] == "3 passed, 3 failed, 3 skipped", out + err)
    check("exit status 1 when a test failed", rc == 1, f"exit status {rc}")
    check("a TAP plan's SKIP reason is named with the test",
          "skipped: rdinit:unit / format: clang-format 15, not 14 (Debian 12's)" in lines, out)
    check("the 'SKIP: reason' line of a test that exits 77 is named with the test",
          "skipped: rdinit:unit / mkrdinit-modules: RDINIT_MODULES_DIR and RDINIT_KVER are not set" in lines, out)
    check("a skip without a reason says so", "skipped: rdinit:unit / silent: no reason in the log" in lines, out)
    check("a passing TAP test's skipped checks are listed, with their reason",
          "passed with skipped checks: rdinit:unit / mkrdinit-hooks:" in lines
          and "    ok 2 - # SKIP hook rescue: this machine has no /bin/busybox" in lines, out)
    check("FAIL, TIMEOUT and ERROR are failures, each named",
          all(f"failed: {name}" in out for name in ("rdinit:vm / vm-absent: FAIL", "rdinit:vm / vm-luks-typed: TIMEOUT",
                                                     "rdinit:hardening / fuzz: ERROR")), out)
    # unit: 1000.0 .. 1005.0 (mkrdinit-hooks ends at 1005), 5 tests; vm: 1010 .. 1615; hardening 1001 .. 1006.
    check("each suite's wall time, from its first start to its last end, and its test count",
          "suite unit: 5 tests, wall time 5.0 s (5.7 s of test time)" in lines
          and "suite vm: 3 tests, wall time 605.0 s (690.0 s of test time)" in lines
          and "suite hardening: 1 tests, wall time 5.0 s (5.0 s of test time)" in lines, out)

    with open(log, "w") as f:
        f.write(json.dumps(results[0]) + "\n")
    rc, out, err = run(log)
    check("all passed: exit status 0", rc == 0 and out.splitlines()[-1] == "1 passed, 0 failed, 0 skipped", out + err)

    rc, out, err = run(os.path.join(tmp, "missing.json"))
    check("a missing log: exit status 2 and a message, no count",
          rc == 2 and "no test log" in err and "passed" not in out, f"exit status {rc}\n{out}{err}")

    open(log, "w").close()
    rc, out, err = run(log)
    check("an empty log: exit status 2 and a message", rc == 2 and "holds no test result" in err,
          f"exit status {rc}\n{out}{err}")

    with open(log, "w") as f:
        f.write(json.dumps(results[0]) + "\n{ not json\n")
    rc, out, err = run(log)
    check("a line that is no result: exit status 2, naming the line", rc == 2 and f"{log}:2:" in err,
          f"exit status {rc}\n{out}{err}")

    with open(log, "w") as f:
        f.write(json.dumps(results[0]) + "\n")
    os.utime(log, (5000, 5000))
    rc, out, err = run(log, "--since", "6000")
    check("a log older than --since (a stale one): exit status 2, saying it is stale",
          rc == 2 and "stale" in err and "passed" not in out, f"exit status {rc}\n{out}{err}")
    rc, out, err = run(log, "--since", "4000")
    check("a log newer than --since is read", rc == 0 and "1 passed" in out, f"exit status {rc}\n{out}{err}")

print(f"1..{n}")
sys.exit(1 if failed else 0)
