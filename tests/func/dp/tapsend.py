#!/usr/bin/env python3
"""Real Linux UDP senders for func-dp-tap; run inside the test's network namespace.

    tapsend.py --out EXPECTED --ip4 ADDR [--ip6 ADDR] [--raw-port P] [--framed-port P]
               [--senders N] [--raw N] [--frames N] [--rate DATAGRAMS_PER_S]
               [--tag T] [--keys-per-sender N] [--records-per-frame N] [--ehk-range LO:HI]
               [--stop-file PATH]

Each sender is a UDP socket bound to its own source port (and, with --ip6, every
other sender is an IPv6 socket). Raw senders send --raw datagrams each to the raw
port; framed senders send --frames frames of 1..8 records each to the framed port
(docs/frame-format.md; some frames with a frame hash key, some records with their
own explicit hash key). The sending is paced (net_tap is slow, and a flood starves
sluiced's main thread) and bounded in count. Writes every record to EXPECTED in
pcapgen.py's expected.tsv format, in send order.

Options for skewed load (func-dp-autoscale; without them nothing changes):
--tag T prefixes partition keys and data with T instead of "tap" (so two senders'
records differ); --keys-per-sender N gives each framed sender N partition keys
instead of 3; --records-per-frame N puts N records in each frame (fewer only if
they would not fit in 1300 bytes) instead of 1..8; --ehk-range LO:HI (decimal hash
keys) sends no frame hash key and gives every framed record the explicit hash key
LO + (MD5(partition key) mod (HI - LO + 1)): each key keeps one hash key, and the
traffic falls in [LO, HI] only. --stop-file PATH ends the sending early, before
the next datagram, once PATH exists (EXPECTED lists what was sent; the summary
line says "stopped by --stop-file"): a load that lasts until the test saw what it
waits for, still bounded by the counts.
"""
import argparse
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slframe import frame_bytes, md5_hash  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ip4", required=True)
    ap.add_argument("--ip6")
    ap.add_argument("--raw-port", type=int, default=7000)
    ap.add_argument("--framed-port", type=int, default=7001)
    ap.add_argument("--stream", default="s")
    ap.add_argument("--senders", type=int, default=40)
    ap.add_argument("--raw", type=int, default=25, help="raw datagrams per sender")
    ap.add_argument("--frames", type=int, default=10, help="frames per sender")
    ap.add_argument("--rate", type=float, default=2000, help="datagrams per second, at most")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--tag", default="tap", help="prefix of partition keys and data")
    ap.add_argument("--keys-per-sender", type=int, default=3)
    ap.add_argument("--records-per-frame", type=int, default=0, help="0: 1..8 at random")
    ap.add_argument("--ehk-range", help="LO:HI: explicit hash keys in [LO, HI] by key")
    ap.add_argument("--stop-file", help="stop early once this file exists")
    ap.add_argument("--no-fragments", action="store_true",
                    help="no IPv4 raw datagram above the MTU (with several rx queues the "
                    "kernel puts fragments on another queue than the flow's datagrams)")
    a = ap.parse_args()
    if a.rate <= 0 or a.rate > 5000:
        sys.exit("tapsend: --rate must be in (0, 5000]")
    if a.keys_per_sender < 1 or a.records_per_frame < 0 or a.records_per_frame > 64:
        sys.exit("tapsend: --keys-per-sender must be >= 1, --records-per-frame in 0..64")
    ehk_lo = ehk_n = None
    if a.ehk_range is not None:
        lo, hi = (int(x) for x in a.ehk_range.split(":"))
        if not 0 <= lo <= hi < 1 << 128:
            sys.exit("tapsend: --ehk-range LO:HI needs 0 <= LO <= HI < 2^128")
        ehk_lo, ehk_n = lo, hi - lo + 1
    tag = a.tag.encode()
    rng = random.Random(a.seed)
    socks = []
    for i in range(a.senders):
        v6 = a.ip6 is not None and i % 2 == 1
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("::" if v6 else "0.0.0.0", 0))
        s.connect((a.ip6 if v6 else a.ip4, a.raw_port))
        # the source address the kernel chose for this destination: the raw key
        host, port = s.getsockname()[:2]
        key = ("[%s]:%d" % (host, port) if v6 else "%s:%d" % (host, port)).encode()
        socks.append((s, v6, key))
    plan = []
    for i in range(a.senders):
        plan += [(i, "raw", n) for n in range(a.raw)]
        plan += [(i, "framed", n) for n in range(a.frames)]
    # interleave the senders, each sender's own order kept
    order = [p[0] for p in plan]
    rng.shuffle(order)
    per = {}
    for p in plan:
        per.setdefault(p[0], []).append(p)
    pos = {i: 0 for i in per}
    exp = []
    gap = 1.0 / a.rate
    t_next = time.monotonic()
    sent = 0
    stopped = False
    for i in order:
        if a.stop_file is not None and os.path.exists(a.stop_file):
            stopped = True
            break
        _, kind, n = per[i][pos[i]]
        pos[i] += 1
        s, v6, key = socks[i]
        if kind == "raw":
            # IPv4 datagrams of 3000 bytes leave the kernel as fragments; IPv6 ones
            # stay below the MTU (sluiced does not reassemble IPv6)
            size = rng.choice([0, 10, 100, 1000] + ([] if v6 or a.no_fragments else [3000]))
            data = tag + b"-r%d:%d:" % (i, n) + bytes(rng.choice(b"abcdefgh") for _ in range(size))
            payload = data
            exp.append((a.stream, key, data, md5_hash(key), None, "raw"))
            dst_port = a.raw_port
        elif ehk_lo is not None or a.records_per_frame:
            # skewed load: a fixed number of records, each key on its own hash key
            fhk = None
            recs, size = [], 40
            for r in range(a.records_per_frame or rng.randint(1, 8)):
                k = tag + b"k%d.%d" % (i, (n * 8 + r) % a.keys_per_sender)
                d = tag + b"-f%d:%d:%d:" % (i, n, r) + b"x" * rng.choice([0, 20, 100])
                ehk = None if ehk_lo is None else ehk_lo + md5_hash(k) % ehk_n
                size += (24 if ehk is not None else 8) + len(k) + len(d)
                if size > 1300:
                    break
                recs.append((k, d, ehk))
                exp.append((a.stream, k, d, ehk if ehk is not None else md5_hash(k), ehk,
                            "framed"))
            payload = frame_bytes(recs, i * 1000 + n, None)
            dst_port = a.framed_port
        else:
            fhk = rng.getrandbits(128) if rng.random() < 0.3 else None
            recs, size = [], 40
            for r in range(rng.randint(1, 8)):
                k = tag + b"k%d.%d" % (i, r % a.keys_per_sender)
                d = tag + b"-f%d:%d:%d:" % (i, n, r) + b"x" * rng.choice([0, 20, 200])
                ehk = rng.getrandbits(128) if rng.random() < 0.2 else None
                size += 24 + len(k) + len(d)
                if size > 1300:
                    break
                recs.append((k, d, ehk))
                exp.append((a.stream, k, d, fhk if fhk is not None else
                            (ehk if ehk is not None else md5_hash(k)), ehk, "framed"))
            payload = frame_bytes(recs, i * 1000 + n, fhk)
            dst_port = a.framed_port
        now = time.monotonic()
        if now < t_next:
            time.sleep(t_next - now)
        t_next = max(t_next + gap, time.monotonic() - 0.05)
        s.sendto(payload, (a.ip6 if v6 else a.ip4, dst_port))
        sent += 1
    with open(a.out, "w") as f:
        for st, k, d, route, ehk, kind in exp:
            f.write("%s\t%s\t%s\t%d\t%s\t%s\n" % (st, k.decode(), d.hex(), route,
                                                  "-" if ehk is None else str(ehk), kind))
    print("tapsend: %d datagrams from %d sockets, %d records%s" % (
        sent, len(socks), len(exp), " (stopped by --stop-file)" if stopped else ""))


if __name__ == "__main__":
    main()
