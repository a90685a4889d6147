#!/usr/bin/env python3
"""Deterministic telemetry generator for the functional tests.

gen.py N [KEYS] [START]: prints N lines "sensor-K<TAB>sensor-K:I:{json-ish payload}" for
I = START .. START+N-1, K = I mod KEYS (default 1000). Every 7th payload holds a tab, so
the tests also check that data after the first tab keeps its tabs.
"""
import sys


def main():
    n = int(sys.argv[1])
    keys = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out = sys.stdout
    buf = []
    for i in range(start, start + n):
        k = (i * 7919) % keys
        tag = "a\tb" if i % 7 == 0 else "ok"
        buf.append('sensor-%d\tsensor-%d:%d:{"ts":%d,"temp":%d.%d,"hum":%d,"tag":"%s"}\n'
                   % (k, k, i, 1700000000000 + i, 15 + i % 20, i % 10, 30 + i % 50, tag))
        if len(buf) == 4096:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)
