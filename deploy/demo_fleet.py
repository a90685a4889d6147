#!/usr/bin/env python3
"""A simulated sensor fleet for deploy/demo.sh: real Linux UDP sockets, one per device.

    demo_fleet.py --dst ADDR --src ADDR [--raw-port 7000] [--framed-port 7001] [--sensors N]
                  [--gateways N] [--seconds S] [--rate DATAGRAMS_PER_S] --out SENT.tsv

Sensors send one JSON reading per datagram to the raw port (partition key = the
sensor's ip:port, as sluiced assigns it). Gateways batch the readings of their
attached sensors into frames (docs/frame-format.md) to the framed port, one
record per reading keyed by the sensor's id. Sending is paced and bounded in time
and count. Every record sent is written to SENT.tsv as `key<TAB>data`, in order.
"""
import argparse
import json
import os
import random
import socket
import sys
import time

# The frame encoder of the functional tests: standard library only.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "func", "dp"))
from slframe import frame_bytes  # noqa: E402


def reading(dev, i, t0):
    return json.dumps({"dev": dev, "seq": i, "ts": t0 + i, "temp_c": round(random.gauss(21, 3), 2),
                       "rh": random.randint(20, 90), "mv": 3000 + random.randint(0, 600)},
                      separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--src", required=True, help="this host's address (raw partition keys)")
    ap.add_argument("--raw-port", type=int, default=7000)
    ap.add_argument("--framed-port", type=int, default=7001)
    ap.add_argument("--sensors", type=int, default=200)
    ap.add_argument("--gateways", type=int, default=20)
    ap.add_argument("--per-frame", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    random.seed(11)
    t0 = int(time.time() * 1000)
    socks = []
    for _ in range(a.sensors):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        socks.append(s)
    gws = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(a.gateways)]
    seq = [0] * (a.sensors + a.gateways * a.per_frame)
    sent = dgrams = 0
    gap = 1.0 / a.rate
    end = time.monotonic() + a.seconds
    nxt = time.monotonic()
    with open(a.out, "w") as out:
        while time.monotonic() < end and dgrams < a.rate * a.seconds:
            k = dgrams % (a.sensors + a.gateways)
            if k < a.sensors:
                s = socks[k]
                key = "%s:%d" % (a.src, s.getsockname()[1])
                data = reading("sensor-%04d" % k, seq[k], t0)
                seq[k] += 1
                s.sendto(data, (a.dst, a.raw_port))
                out.write("%s\t%s\n" % (key, data.decode()))
                sent += 1
            else:
                g = k - a.sensors
                recs = []
                for j in range(a.per_frame):
                    dev = a.sensors + g * a.per_frame + j
                    key = "gw%02d-node-%03d" % (g, j)
                    data = reading(key, seq[dev], t0)
                    seq[dev] += 1
                    recs.append((key.encode(), data, None))
                    out.write("%s\t%s\n" % (key, data.decode()))
                gws[g].sendto(frame_bytes(recs, dgrams), (a.dst, a.framed_port))
                sent += len(recs)
            dgrams += 1
            nxt += gap
            pause = nxt - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    print("fleet: %d sensors and %d gateways sent %d datagrams carrying %d records in %.1f s"
          % (a.sensors, a.gateways, dgrams, sent, a.seconds))


if __name__ == "__main__":
    main()
