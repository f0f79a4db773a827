#!/usr/bin/env python3
"""No file of init/ calls back into a file that calls it: the stages, the screen and the policy form a
tree under main.c. Reads every init/*.c, finds the functions each defines (not static) and the calls
each makes into another's, and fails on any cycle, naming it. Usage: init_calls.py INIT_DIR (TAP)."""
import glob
import os
import re
import sys

init_dir = sys.argv[1]
files = sorted(glob.glob(os.path.join(init_dir, '*.c')))
defined = {}
for f in files:
    for m in re.finditer(r'^(?!static\b)[a-z_][^;(]*?\b([a-z_][a-z0-9_]*)\s*\([^;]*?\)\s*\n\{', open(f).read(), re.M):
        defined[m.group(1)] = f
calls = {f: set() for f in files}
for f in files:
    text = re.sub(r'/\*.*?\*/', '', open(f).read(), flags=re.S)
    for name, where in defined.items():
        if where != f and re.search(r'\b' + name + r'\b', text):
            calls[f].add(where)


def cycle_from(start):
    """A path start -> ... -> start, or None."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in calls[node]:
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


n = 0
failed = 0
n += 1
if len(defined) >= 10 and len(files) >= 8:
    print(f'ok {n} - read {len(files)} files of init/ defining {len(defined)} functions')
else:
    failed += 1
    print(f'not ok {n} - read only {len(files)} files and {len(defined)} functions: the scan is broken')
for f in files:
    n += 1
    cyc = cycle_from(f)
    name = os.path.basename(f)
    if cyc:
        failed += 1
        print(f'not ok {n} - {name} calls back into itself: ' + ' -> '.join(os.path.basename(c) for c in cyc))
    else:
        print(f'ok {n} - {name} calls {", ".join(sorted(os.path.basename(c) for c in calls[f])) or "nothing of init/"}, none of which calls back')
print(f'1..{n}')
sys.exit(1 if failed else 0)
