#!/usr/bin/env python3
"""test/summarize.py - the closing lines of test/run, read from meson's testlog.json.

Usage: summarize.py TESTLOG [--since EPOCH]

Prints each suite's wall time (from the first test's start to the last one's end) and test count, every test
that failed, every test that was skipped and why (the reason its output gives: TAP's "1..0 # SKIP reason",
"ok N # SKIP reason", or a "SKIP: reason" line before exit status 77), the checks that a passing TAP test
skipped, and last "N passed, N failed, N skipped".

A log that is missing, empty, unreadable, or older than --since (the time the meson test run began: a log
left from an earlier run must never be summarized as this one's) is an error: a message and exit status 2.
Exit status 1 when a test failed, 0 otherwise.
"""
import json
import os
import re
import sys

PASSED = ("OK", "EXPECTEDFAIL")
SKIPPED = ("SKIP",)
# "ok 3 - name # SKIP reason", "ok 3 # SKIP reason", "1..0 # SKIP reason", "SKIP: reason", "SKIP reason".
TAP_SKIP = re.compile(r"^ok\b[^#]*#\s*skip\b[:\s]*(.*)$", re.IGNORECASE)
PLAN_SKIP = re.compile(r"^1\.\.0\s*#\s*skip\b[:\s]*(.*)$", re.IGNORECASE)
LINE_SKIP = re.compile(r"^skip(?:ped)?\b[:\s]+(.*)$", re.IGNORECASE)
# meson names a test "project:suite / name"; a test of no suite has no " / ".
NAME = re.compile(r"^(?:[^:/ ]+:)?(?P<suite>[^ /]+) / (?P<test>.+)$")


class LogError(Exception):
    pass


def read_log(path, since=None):
    """The results of the log at PATH, one dict per test; LogError when there is no usable log."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LogError(f"{path}: no test log: meson test did not run, or ran no test")
    except OSError as e:
        raise LogError(f"{path}: unable to read the test log: {e.strerror}")
    if since is not None and st.st_mtime < since:
        raise LogError(f"{path}: the test log is older than this run (written {st.st_mtime:.0f}, run began "
                       f"{since:.0f}): a stale log from an earlier run")
    results = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    result = json.loads(line)
                    result["name"], result["result"]
                except (ValueError, TypeError, KeyError) as e:
                    raise LogError(f"{path}:{number}: not a meson test result ({e})")
                results.append(result)
    except OSError as e:
        raise LogError(f"{path}: unable to read the test log: {e.strerror}")
    if not results:
        raise LogError(f"{path}: the test log holds no test result")
    return results


def suite_and_test(name):
    m = NAME.match(name)
    return (m.group("suite"), m.group("test")) if m else ("(no suite)", name.split(":", 1)[-1])


def skip_reason(result):
    """Why a skipped test skipped, as its output says; None when it says nothing."""
    lines = (result.get("stdout") or "").splitlines() + (result.get("stderr") or "").splitlines()
    for pattern in (PLAN_SKIP, TAP_SKIP, LINE_SKIP):
        for line in lines:
            m = pattern.match(line.strip())
            if m and m.group(1).strip():
                return m.group(1).strip()
    last = [line.strip() for line in lines if line.strip()]
    return last[-1] if last else None


def skipped_checks(result):
    """The "ok N - name # SKIP reason" lines of a TAP test's output."""
    out = []
    for line in (result.get("stdout") or "").splitlines():
        if TAP_SKIP.match(line.strip()):
            out.append(line.strip())
    return out


def summarize(results, out):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    suites = {}
    failed, skipped, partly = [], [], []
    for r in results:
        suite, test = suite_and_test(r["name"])
        s = suites.setdefault(suite, {"tests": 0, "start": None, "end": None, "busy": 0.0})
        s["tests"] += 1
        start, duration = r.get("starttime"), r.get("duration") or 0.0
        if isinstance(start, (int, float)):
            s["start"] = start if s["start"] is None else min(s["start"], start)
            s["end"] = start + duration if s["end"] is None else max(s["end"], start + duration)
        s["busy"] += duration
        if r["result"] in PASSED:
            counts["passed"] += 1
            checks = skipped_checks(r)
            if checks:
                partly.append((r["name"], checks))
        elif r["result"] in SKIPPED:
            counts["skipped"] += 1
            skipped.append((r["name"], skip_reason(r)))
        else:
            counts["failed"] += 1
            failed.append((r["name"], r["result"], r.get("returncode")))

    for suite, s in suites.items():
        wall = (s["end"] - s["start"]) if s["start"] is not None else s["busy"]
        print(f"suite {suite}: {s['tests']} tests, wall time {wall:.1f} s ({s['busy']:.1f} s of test time)",
              file=out)
    for name, checks in partly:
        print(f"passed with skipped checks: {name}:", file=out)
        for check in checks:
            print(f"    {check}", file=out)
    for name, reason in skipped:
        print(f"skipped: {name}: {reason or 'no reason in the log'}", file=out)
    for name, result, returncode in failed:
        print(f"failed: {name}: {result} (exit status {returncode})", file=out)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped", file=out)
    return 1 if counts["failed"] else 0


def main(argv):
    args = argv[1:]
    since = None
    if len(args) == 3 and args[1] == "--since":
        try:
            since = float(args[2])
        except ValueError:
            print(f"summarize.py: --since wants seconds since the epoch, not '{args[2]}'", file=sys.stderr)
            return 2
        args = args[:1]
    if len(args) != 1:
        print("usage: summarize.py TESTLOG [--since EPOCH]", file=sys.stderr)
        return 2
    try:
        results = read_log(args[0], since)
    except LogError as e:
        print(f"summarize.py: {e}", file=sys.stderr)
        print("no test results: the run is a failure", file=sys.stderr)
        return 2
    return summarize(results, sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
