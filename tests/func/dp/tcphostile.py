#!/usr/bin/env python3
"""Hostile TCP segments for func-dp-tcp-hostile; run inside the test's network
namespace (root, scapy), with net.ipv4.tcp_timestamps=0 there so that injected
segments need no timestamp option (PAWS).

  tcphostile.py --iface IF --dst ADDR --port P --ready-file F --pause-file F
                --resume-file F --flooded-file F --stop-file F [--flood N]
                [--max-s S] [--seed N]

1. Sniffs the SYN and SYN-ACK of every connection to ADDR:P on IF (the initial
   sequence numbers and the two MAC addresses), then creates the ready file.
2. Waits for tcpsend.py's pause file ("LOCAL_PORT BYTES_SENT BYTES_RECEIVED",
   written while its connection is idle with every frame acknowledged), so it
   knows the connection's live RCV.NXT and SND.NXT exactly, and injects on that
   4-tuple (each kind K times, see COUNTS): data far outside the window, data at
   RCV.NXT with a bad TCP checksum (and bad-checksum SYNs to the port), a header
   whose data offset is below 5, RSTs in the window but not at RCV.NXT, RSTs
   outside the window, SYNs, and ACKs of data never sent; and SYNs to port 7999,
   where nobody listens. Every injected payload holds "HOSTILE", so tcpcheck.py
   finds it if sluiced stored any. Then creates the resume file.
3. SYN flood: N SYNs from random addresses of the namespace's /24 (not .1, .2)
   and random ports, then the flooded file, then 50 ACKs with bad cookies, then
   one SYN every 10 ms until the stop file exists (at most --max-s seconds), so
   that the half-open table stays full while the test opens new connections.
Prints what it sent as "sent KIND N" lines.
"""
import argparse
import os
import random
import sys
import time

from scapy.all import IP, TCP, Ether, AsyncSniffer, Raw, conf  # noqa: E402

COUNTS = {"oow_data": 20, "bad_csum": 20, "bad_csum_syn": 10, "bad_hdr": 5,
          "rst_in_window": 5, "rst_out_of_window": 5, "syn_established": 5, "bad_ack": 5,
          "bad_cookie": 50, "closed_port": 7}


def wait_file(path, timeout):
    t0 = time.monotonic()
    while not os.path.exists(path):
        if time.monotonic() - t0 > timeout:
            sys.exit("tcphostile: no %s within %.0f s" % (path, timeout))
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--src", default="10.99.0.2")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--pause-file", required=True)
    ap.add_argument("--resume-file", required=True)
    ap.add_argument("--flooded-file", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--flood", type=int, default=3000)
    ap.add_argument("--max-s", type=float, default=60)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t_start = time.monotonic()

    def is_syn(p):
        return TCP in p and p[TCP].flags & 0x02 and (
            p[TCP].dport == a.port or p[TCP].sport == a.port)
    sn = AsyncSniffer(iface=a.iface, lfilter=is_syn, store=True)
    sn.start()
    time.sleep(0.5)
    open(a.ready_file, "w").close()
    wait_file(a.pause_file, a.max_s)
    with open(a.pause_file) as f:
        cport, sent, recv = (int(x) for x in f.read().split())
    time.sleep(0.2)
    pkts = sn.stop()
    syn = [p for p in pkts if p[TCP].sport == cport and p[TCP].dport == a.port and
           not p[TCP].flags & 0x10]
    synack = [p for p in pkts if p[TCP].dport == cport and p[TCP].sport == a.port and
              p[TCP].flags & 0x10]
    if not syn or not synack:
        sys.exit("tcphostile: did not see the SYN and SYN-ACK of port %d (%d SYNs seen)" % (
            cport, len(pkts)))
    isn_c, isn_s = syn[-1][TCP].seq, synack[-1][TCP].seq
    our_mac, sl_mac = synack[-1][Ether].dst, synack[-1][Ether].src
    rcv_nxt = (isn_c + 1 + sent) & 0xFFFFFFFF
    snd_nxt = (isn_s + 1 + recv) & 0xFFFFFFFF
    print("tcphostile: connection port %d: RCV.NXT %d SND.NXT %d; sluiced MAC %s" % (
        cport, rcv_nxt, snd_nxt, sl_mac), flush=True)

    s = conf.L2socket(iface=a.iface)
    base = Ether(src=our_mac, dst=sl_mac) / IP(src=a.src, dst=a.dst)

    def seg(seq, flags, ack=None, payload=None, sport=None, **kw):
        t = TCP(sport=cport if sport is None else sport, dport=a.port, seq=seq & 0xFFFFFFFF,
                ack=(snd_nxt if ack is None else ack) & 0xFFFFFFFF, flags=flags,
                window=65535, **kw)
        p = base / t
        if payload is not None:
            p = p / Raw(payload)
        return p

    def bad_csum(p):
        p = p.__class__(bytes(p))            # with the checksum scapy computed
        p[TCP].chksum ^= 0x5A5A
        return p

    sent_n = {}

    def send(kind, plist):
        for p in plist:
            s.send(p)
        sent_n[kind] = sent_n.get(kind, 0) + len(plist)
        time.sleep(0.05)

    hostile = b"HOSTILE" * 20
    c = COUNTS
    send("oow_data", [seg(rcv_nxt + (1 << 30) + 1000 * i, "PA", payload=hostile)
                      for i in range(c["oow_data"])])
    send("bad_csum", [bad_csum(seg(rcv_nxt, "PA", payload=hostile))
                      for _ in range(c["bad_csum"])])
    send("bad_csum_syn", [bad_csum(seg(rng.getrandbits(32), "S", ack=0,
                                       sport=rng.randrange(20000, 30000)))
                          for _ in range(c["bad_csum_syn"])])
    send("bad_hdr", [seg(rcv_nxt, "PA", payload=hostile, dataofs=4)
                     for _ in range(c["bad_hdr"])])
    send("rst_in_window", [seg(rcv_nxt + 1000 + 10 * i, "R", ack=0)
                           for i in range(c["rst_in_window"])])
    send("rst_out_of_window", [seg(rcv_nxt + (1 << 30) + i, "R", ack=0)
                               for i in range(c["rst_out_of_window"])])
    send("syn_established", [seg(rng.getrandbits(32), "S", ack=0)
                             for _ in range(c["syn_established"])])
    send("bad_ack", [seg(rcv_nxt, "A", ack=snd_nxt + (1 << 30) + i)
                     for i in range(c["bad_ack"])])
    send("closed_port", [Ether(src=our_mac, dst=sl_mac) / IP(src=a.src, dst=a.dst) /
                         TCP(sport=rng.randrange(20000, 30000), dport=7999,
                             seq=rng.getrandbits(32), flags="S", window=65535)
                         for _ in range(c["closed_port"])])
    time.sleep(0.5)
    open(a.resume_file, "w").close()

    # SYN flood from the namespace's subnet (sluiced answers to the sender's MAC:
    # the kernel drops SYN-ACKs to addresses it does not own, so it sends no RST)
    def flood_syn():
        return bytes(Ether(src=our_mac, dst=sl_mac) /
                     IP(src="10.99.0.%d" % rng.randrange(3, 255), dst=a.dst) /
                     TCP(sport=rng.randrange(1024, 65536), dport=a.port,
                         seq=rng.getrandbits(32), flags="S", window=65535,
                         options=[("MSS", 1460)]))
    flood = [flood_syn() for _ in range(a.flood)]
    for i, p in enumerate(flood):
        s.send(p)
        if i % 200 == 199:
            time.sleep(0.01)
    sent_n["flood_syn"] = len(flood)
    open(a.flooded_file, "w").close()
    # ACKs to the listener from tuples that sent no SYN: bad cookies
    send("bad_cookie", [Ether(src=our_mac, dst=sl_mac) /
                        IP(src="10.99.0.%d" % rng.randrange(3, 255), dst=a.dst) /
                        TCP(sport=rng.randrange(40000, 41000), dport=a.port,
                            seq=rng.getrandbits(32), ack=rng.getrandbits(32), flags="A",
                            window=65535)
                        for i in range(c["bad_cookie"])])
    trickle = 0
    while not os.path.exists(a.stop_file) and time.monotonic() - t_start < a.max_s and \
            trickle < 5000:
        s.send(flood_syn())
        trickle += 1
        time.sleep(0.01)
    sent_n["flood_syn"] += trickle
    s.close()
    for k in sorted(sent_n):
        print("sent %s %d" % (k, sent_n[k]))


if __name__ == "__main__":
    main()
