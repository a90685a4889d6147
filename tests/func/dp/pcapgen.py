#!/usr/bin/env python3
"""Capture generator for the data-plane functional tests (tests/func/dp/*.sh).

    pcapgen.py good|bad --out DIR [options]

Writes DIR/q<I>.pcap (one capture per rx queue, for net_pcap's rx_pcap=; every
sender's packets are in one file, in the sender's order), DIR/expected.tsv (every
valid record, in send order) and DIR/drops.txt (the drop counters the capture must
produce, where the generator can predict them).

good: thousands of senders (IPv4 and IPv6 ip:port), raw datagrams with unique
  content, framed datagrams (docs/frame-format.md) of several records, some frames
  with a frame hash key, some records with their own explicit hash key; part of
  the senders behind one 802.1Q tag or two (QinQ 88a8/8100 and 8100/8100).
bad: a smaller valid load mixed with malformed traffic: runt frames, unknown
  ethertypes, broken VLAN tags, truncated IPv4/IPv6/UDP headers, lying length
  fields, bad IPv4/UDP/ICMP checksums, garbage payloads, packets for other
  addresses, bad frames of every frame-format cause, hostile IPv4 fragments
  (overlapping, tiny, beyond 64 KiB, never completed), IPv6 fragments; and valid
  edge cases that must be stored: IPv4 fragmented datagrams (in and out of order,
  VLAN-tagged), 9000-byte jumbo frames, IPv4 options, UDP checksum 0, Ethernet
  padding, ARP requests, ICMP and ICMPv6 echo and a neighbour solicitation for the
  appliance's addresses.

expected.tsv, one line per record, tab-separated:
    stream  partition_key  data_hex  route_hash  explicit_hash_key  kind
route_hash is the decimal 128-bit hash key that routes the record (the frame's
hash key, else the record's own, else MD5 of the partition key); explicit_hash_key
the record's own key (decimal) or "-"; kind raw|framed. Data is hex because some
records carry binary bytes.

drops.txt, one line per counter: "<telemetry key> <count>" where the key is a
`core<I>` counter without the core prefix (drop_runt, arp_replies, ...) summed over
cores, or frame_drop_<cause> summed over queues; or "<key> >= <count>" for a lower
bound. Every received frame is counted once: each fragment of a hostile datagram
under drop_frag (refused, failed, or expired after the fragment TTL).
"""
import argparse
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slframe import crc32c, frame_bytes, md5_hash, rec_bytes  # noqa: E402
from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPOption_NOP, IPv6,
                       IPv6ExtHdrFragment, Raw)

# ---- packets ----

class Gen:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.expected = []       # (stream, key, data, route, ehk, kind)
        self.frame_id = 0

    def filler(self, n):
        al = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
        return "".join(self.rng.choices(al, k=n)).encode()

    def next_frame_id(self):
        self.frame_id += 1
        return self.frame_id


def l2(src_mac, dst_mac, tags, l3type):
    """Ethernet header and VLAN tags; tags: [(tpid, vid), ...] outermost first."""
    if not tags:
        return Ether(src=src_mac, dst=dst_mac, type=l3type)
    e = Ether(src=src_mac, dst=dst_mac, type=tags[0][0])
    for i, (_, vid) in enumerate(tags):
        nxt = tags[i + 1][0] if i + 1 < len(tags) else l3type
        if tags[i][0] == 0x88A8:
            e = e / Dot1AD(vlan=vid, type=nxt)
        else:
            e = e / Dot1Q(vlan=vid, type=nxt)
    return e


class Sender:
    def __init__(self, idx, fam, ip, port, tags, mac, csum0=False):
        self.idx, self.fam, self.ip, self.port, self.tags, self.mac = idx, fam, ip, port, tags, mac
        self.csum0 = csum0
        if fam == 4:
            self.key = ("%s:%d" % (ip, port)).encode()
        else:
            self.key = ("[%s]:%d" % (socket.inet_ntop(socket.AF_INET6,
                                                      socket.inet_pton(socket.AF_INET6, ip)),
                                     port)).encode()
        self.pkts = []           # bytes, in send order

    def udp(self, a, dport, payload):
        """A valid datagram to the appliance, built without scapy (fast_udp)."""
        return fast_udp(self.mac, a.mac, self.tags, self.fam, self.ip,
                        a.ip4 if self.fam == 4 else a.ip6, self.port, dport, payload, self.csum0)

    def udp_scapy(self, a, dport, payload):
        """The same datagram built by scapy (to check fast_udp)."""
        if self.fam == 4:
            l3, et = IP(src=self.ip, dst=a.ip4), 0x0800
        else:
            l3, et = IPv6(src=self.ip, dst=a.ip6), 0x86DD
        u = UDP(sport=self.port, dport=dport, chksum=0) if self.csum0 else \
            UDP(sport=self.port, dport=dport)
        return bytes(l2(self.mac, a.mac, self.tags, et) / l3 / u / Raw(payload))


def csum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def fast_udp(smac, dmac, tags, fam, src, dst, sport, dport, payload, csum0=False):
    """Ethernet (+ tags) / IPv4 or IPv6 / UDP with correct checksums, the bytes scapy
    would build with its defaults (IPv4 id 1, ttl 64; IPv6 hop limit 64). Scapy takes
    about 1.5 ms a packet; the good capture has thousands."""
    et = 0x0800 if fam == 4 else 0x86DD
    hdr = mac_bytes(dmac) + mac_bytes(smac)
    types = [t for t, _ in tags] + [et]
    hdr += struct.pack("!H", types[0])
    for i, (_, vid) in enumerate(tags):
        hdr += struct.pack("!HH", vid, types[i + 1])
    ulen = 8 + len(payload)
    if fam == 4:
        sa, da = socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst)
        pseudo = sa + da + struct.pack("!BBH", 0, 17, ulen)
    else:
        sa, da = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
        pseudo = sa + da + struct.pack("!IxxxB", ulen, 17)
    u = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = 0
    if not csum0:
        c = csum16(pseudo + u) or 0xFFFF
    u = u[:6] + struct.pack("!H", c) + u[8:]
    if fam == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, ulen, 17, 64, sa, da)
    return hdr + ip + u


def make_senders(g, n, base_idx=0, vlan=True):
    out = []
    for i in range(base_idx, base_idx + n):
        fam = 4 if i % 2 == 0 else 6
        if fam == 4:
            ip = "198.18.%d.%d" % ((i // 250) % 256, 1 + i % 250)
        else:
            ip = "2001:db8:%x::%x" % (i // 4096, 1 + i % 4096)
        port = 1024 + (i * 7919) % 60000
        tags = []
        if vlan:
            m = i % 10
            if m in (1, 6):
                tags = [(0x8100, 100 + i % 50)]
            elif m == 2:
                tags = [(0x88A8, 200 + i % 7), (0x8100, 300 + i % 11)]
            elif m == 7:
                tags = [(0x8100, 400 + i % 5), (0x8100, 500 + i % 13)]
        mac = "02:00:%02x:%02x:%02x:%02x" % (fam, (i >> 16) & 255, (i >> 8) & 255, i & 255)
        out.append(Sender(i, fam, ip, port, tags, mac, csum0=(fam == 4 and i % 14 == 4)))
    return out


def add_valid_traffic(g, senders, raw_per_sender, frames_per_sender, framed_every):
    """Each sender's packets, appended to its own list in order; expected records
    are collected per sender and merged in the same order as the packets later."""
    a = g.a
    per_sender_exp = {}
    for s in senders:
        exp = []
        for seq in range(raw_per_sender):
            n = g.rng.choice([1, 8, 30, 60, 120, 250, 600, 1300])
            data = b"r%d:%d:" % (s.idx, seq) + g.filler(n)
            s.pkts.append((s.udp(a, a.raw_port, data), [(a.stream, s.key, data,
                                                                 md5_hash(s.key), None, "raw")]))
        if s.idx % framed_every == 0:
            keys = [b"k%d.%d" % (s.idx, j) for j in range(3)]
            if s.idx % (framed_every * 5) == 0:        # the longest key allowed: 256 bytes
                keys.append((b"K%d." % s.idx).ljust(256, b"x"))
            kseq = {}
            for fn in range(frames_per_sender):
                fhk = g.rng.getrandbits(128) if g.rng.random() < 0.25 else None
                if fn == 0 and s.idx % (framed_every * 3) == 0:
                    fhk = (1 << 128) - 1 if s.idx % 2 else 0       # range ends
                recs, erecs, size = [], [], 0
                for _ in range(g.rng.randint(1, 10)):
                    k = g.rng.choice(keys)
                    q = kseq.get(k, 0)
                    kseq[k] = q + 1
                    data = b"f%d:%s:%d:" % (s.idx, k[:12], q) + g.filler(
                        g.rng.choice([0, 5, 20, 60, 100]))
                    ehk = g.rng.getrandbits(128) if g.rng.random() < 0.2 else None
                    size += 8 + len(k) + len(data) + (16 if ehk is not None else 0)
                    if size > 1300:
                        break
                    recs.append((k, data, ehk))
                    route = fhk if fhk is not None else (ehk if ehk is not None else md5_hash(k))
                    erecs.append((a.stream, k, data, route, ehk, "framed"))
                fr = frame_bytes(recs, g.next_frame_id(), fhk)
                s.pkts.append((s.udp(a, a.framed_port, fr), erecs))
        per_sender_exp[s.idx] = exp
    return per_sender_exp


def interleave(g, senders):
    """Merge the senders' packet lists in a random order that keeps each sender's
    own order. Returns [(sender, (bytes, records))]."""
    slots = []
    for s in senders:
        slots += [s] * len(s.pkts)
    g.rng.shuffle(slots)
    pos = {s.idx: 0 for s in senders}
    out = []
    for s in slots:
        out.append((s, s.pkts[pos[s.idx]]))
        pos[s.idx] += 1
    return out


# ---- malformed traffic (bad capture) ----

class Bad:
    """Malformed and special packets with the counter each must move."""

    def __init__(self, g):
        self.g = g
        self.a = g.a
        self.pkts = []            # (bytes, records) in send order
        self.counts = {}          # counter -> exact count
        self.mins = {}            # counter -> lower bound

    def add(self, pkt, counter=None, records=(), n=1):
        self.pkts.append((bytes(pkt) if not isinstance(pkt, bytes) else pkt, list(records)))
        if counter:
            self.counts[counter] = self.counts.get(counter, 0) + n

    def eth(self, et, mac=None, tags=()):
        return l2("02:66:00:00:00:01", mac or self.a.mac, list(tags), et)

    def ip4(self, src="198.51.100.7", dst=None, **kw):
        return IP(src=src, dst=dst or self.a.ip4, **kw)

    def ip6(self, src="2001:db8:bad::7", dst=None, **kw):
        return IPv6(src=src, dst=dst or self.a.ip6, **kw)

    def add_hostile(self, pkt):
        """An IPv4 fragment of a hostile datagram: taken in, then dropped as frag."""
        self.add(pkt, "drop_frag")
        self.counts["frags"] = self.counts.get("frags", 0) + 1

    def raw_valid(self, pkt, key, data, fam=4):
        """A valid raw datagram that must be stored."""
        self.add(pkt, None, [(self.a.stream, key, data, md5_hash(key), None, "raw")])

    def build(self):
        a, g = self.a, self.g
        E4, E6 = 0x0800, 0x86DD
        garb = lambda n: bytes(g.rng.getrandbits(8) for _ in range(n))

        # runt: shorter than an Ethernet header
        for n in (6, 10, 13):
            self.add(bytes(self.eth(E4))[:n], "drop_runt")

        # unknown ethertypes (also behind a tag, and an 802.3 length field)
        for et in (0x88CC, 0x8847, 0x1234, 0x0050):
            self.add(self.eth(et) / Raw(garb(46)), "drop_ethertype")
        self.add(self.eth(0x88CC, tags=[(0x8100, 5)]) / Raw(garb(46)), "drop_ethertype")

        # broken VLAN: truncated tag, three tags
        self.add(bytes(Ether(src="02:66:00:00:00:01", dst=a.mac, type=0x8100)) + b"\x00\x05",
                 "drop_vlan")
        self.add(bytes(Ether(src="02:66:00:00:00:01", dst=a.mac, type=0x88A8)) + b"\x00\x05\x81",
                 "drop_vlan")
        self.add(self.eth(E4, tags=[(0x88A8, 1), (0x8100, 2), (0x8100, 3)]) / self.ip4() /
                 UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-3tags"), "drop_vlan")

        # not ours: another IPv4, another IPv6, another unicast MAC
        self.add(self.eth(E4) / self.ip4(dst=a.other_ip4) / UDP(sport=999, dport=a.raw_port) /
                 Raw(b"HOSTILE-notours4"), "drop_not_ours")
        self.add(self.eth(E6) / self.ip6(dst=a.other_ip6) / UDP(sport=999, dport=a.raw_port) /
                 Raw(b"HOSTILE-notours6"), "drop_not_ours")
        self.add(self.eth(E4, mac="02:11:22:33:44:55") / self.ip4() /
                 UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-notoursmac"), "drop_not_ours")

        # IPv4 header: truncated, bad version, IHL below 5, IHL beyond the frame,
        # garbage payloads (one of them a 9000-byte jumbo frame)
        ok4 = bytes(self.ip4() / UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-ip4hdr"))
        self.add(bytes(self.eth(E4)) + ok4[:10], "drop_ip4_hdr")
        self.add(bytes(self.eth(E4)) + bytes([0x55]) + ok4[1:], "drop_ip4_hdr")
        self.add(self.eth(E4) / self.ip4(ihl=3) / UDP(sport=999, dport=a.raw_port) /
                 Raw(b"HOSTILE-ihl3"), "drop_ip4_hdr")
        self.add(bytes(self.eth(E4)) + bytes([0x4F]) + ok4[1:30], "drop_ip4_hdr")
        for n in (40, 300, 8986):
            self.add(bytes(self.eth(E4)) + bytes([g.rng.randint(0, 3) << 4 | 5]) + garb(n),
                     "drop_ip4_hdr")

        # IPv4 header checksum
        for i in range(4):
            p = self.ip4(src="198.51.100.%d" % (20 + i)) / UDP(sport=999, dport=a.raw_port) / \
                Raw(b"HOSTILE-ip4csum")
            p = IP(bytes(p))
            p.chksum ^= 0x0F0F
            self.add(self.eth(E4) / p, "drop_ip4_csum")

        # IPv4 total length beyond the frame, or below the header (checksums right)
        for i in range(3):
            p = self.ip4() / UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-ip4len")
            p = IP(bytes(p))
            p.len += 20 + i
            del p.chksum
            self.add(self.eth(E4) / IP(bytes(p)), "drop_ip4_len")
        for tl in (12, 19):
            p = IP(bytes(self.ip4(len=tl) / UDP(sport=999, dport=a.raw_port) /
                         Raw(b"HOSTILE-ip4len2")))
            self.add(self.eth(E4) / p, "drop_ip4_len")

        # IPv6 header: truncated, payload length beyond the frame, bad version
        ok6 = bytes(self.ip6() / UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-ip6hdr"))
        self.add(bytes(self.eth(E6)) + ok6[:20], "drop_ip6_hdr")
        for extra in (1, 100):
            b6 = bytearray(ok6)
            struct.pack_into(">H", b6, 4, len(ok6) - 40 + extra)
            self.add(bytes(self.eth(E6)) + bytes(b6), "drop_ip6_hdr")
        self.add(bytes(self.eth(E6)) + bytes([0x40]) + ok6[1:], "drop_ip6_hdr")

        # IPv6 fragments are not reassembled: two fragments of one datagram
        d6 = bytes(UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-ip6frag" * 20))
        self.add(self.eth(E6) / self.ip6(nh=44) / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=77) /
                 Raw(d6[:160]), "drop_ip6_ext")
        self.add(self.eth(E6) / self.ip6(nh=44) / IPv6ExtHdrFragment(nh=17, offset=20, m=0, id=77) /
                 Raw(d6[160:]), "drop_ip6_ext")

        # neither UDP nor ICMP
        self.add(self.eth(E4) / self.ip4() / TCP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE"),
                 "drop_l4_proto")
        self.add(self.eth(E4) / self.ip4(proto=47) / Raw(b"HOSTILE-gre"), "drop_l4_proto")
        self.add(self.eth(E6) / self.ip6() / TCP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE"),
                 "drop_l4_proto")

        # UDP header: truncated, length below 8, length beyond the IP payload
        ip = IP(bytes(self.ip4(proto=17, len=24) / Raw(b"\x03\xe7\x1b\x58")))
        self.add(self.eth(E4) / ip, "drop_udp_hdr")
        self.add(self.eth(E4) / self.ip4() / UDP(sport=999, dport=a.raw_port, len=7, chksum=0) /
                 Raw(b"HOSTILE-udplen"), "drop_udp_hdr")
        self.add(self.eth(E4) / self.ip4() / UDP(sport=999, dport=a.raw_port, len=60, chksum=0) /
                 Raw(b"HOSTILE-udplen"), "drop_udp_hdr")
        self.add(self.eth(E6) / self.ip6() / UDP(sport=999, dport=a.raw_port, len=70) /
                 Raw(b"HOSTILE-udplen6"), "drop_udp_hdr")
        self.add(self.eth(E6) / self.ip6(nh=17, plen=4) / Raw(b"\x03\xe7\x1b\x58"), "drop_udp_hdr")

        # UDP checksum
        for i in range(6):
            if i < 4:
                p = self.ip4(src="198.51.100.%d" % (40 + i)) / \
                    UDP(sport=999, dport=a.raw_port if i % 2 else a.framed_port) / \
                    Raw(b"HOSTILE-udpcsum4")
                p = IP(bytes(p))
                c = p[UDP].chksum ^ 0x1111
                p[UDP].chksum = c if c not in (0, 0xFFFF) else 0x2222
            else:
                p = self.ip6() / UDP(sport=999, dport=a.raw_port) / Raw(b"HOSTILE-udpcsum6")
                p = IPv6(bytes(p))
                p[UDP].chksum ^= 0x1111
            self.add(self.eth(E4 if i < 4 else E6) / p, "drop_udp_csum")

        # no listener on the port
        for port in (9, 53, 9999):
            self.add(self.eth(E4) / self.ip4() / UDP(sport=999, dport=port) / Raw(b"HOSTILE-port"),
                     "drop_udp_port")

        # ARP: requests for us answered; a request for another address is not ours; a
        # reply (not a request) and a truncated request are bad ARP
        for i in range(2):
            self.add(Ether(src="02:66:00:00:01:%02x" % i, dst="ff:ff:ff:ff:ff:ff") /
                     ARP(op=1, hwsrc="02:66:00:00:01:%02x" % i, psrc="10.0.0.%d" % (50 + i),
                         pdst=a.ip4), "arp_replies")
        self.add(Ether(src="02:66:00:00:01:09", dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc="02:66:00:00:01:09", psrc="10.0.0.60", pdst=a.other_ip4),
                 "drop_not_ours")
        self.add(Ether(src="02:66:00:00:01:0a", dst=a.mac) /
                 ARP(op=2, hwsrc="02:66:00:00:01:0a", psrc="10.0.0.61", pdst=a.ip4,
                     hwdst=a.mac), "drop_arp")
        self.add(bytes(Ether(src="02:66:00:00:01:09", dst="ff:ff:ff:ff:ff:ff", type=0x0806)) +
                 b"\x00\x01\x08\x00\x06\x04\x00\x01\x02\x66", "drop_arp")

        # ICMP: echo answered; bad checksum and an ignored type dropped
        for i in range(3):
            self.add(self.eth(E4) / self.ip4(src="198.51.100.%d" % (60 + i)) /
                     ICMP(type=8, id=7, seq=i) / Raw(b"ping%d" % i), "icmp_replies")
        for i in range(2):
            self.add(self.eth(E6) / self.ip6(src="2001:db8:bad::%x" % (60 + i)) /
                     ICMPv6EchoRequest(id=7, seq=i, data=b"ping6-%d" % i), "icmp_replies")
        p = IP(bytes(self.ip4() / ICMP(type=8, id=7, seq=9) / Raw(b"badping")))
        p[ICMP].chksum ^= 0x0101
        self.add(self.eth(E4) / p, "drop_icmp")
        self.add(self.eth(E4) / self.ip4() / ICMP(type=13, ts_ori=0, ts_rx=0, ts_tx=0), "drop_icmp")
        p = IPv6(bytes(self.ip6() / ICMPv6EchoRequest(id=7, seq=9, data=b"badping6")))
        p[ICMPv6EchoRequest].cksum ^= 0x0101
        self.add(self.eth(E6) / p, "drop_icmp")

        # IPv6 neighbour solicitation for our address (solicited-node multicast)
        t = socket.inet_pton(socket.AF_INET6, a.ip6)
        snm = "ff02::1:ff%02x:%02x%02x" % (t[13], t[14], t[15])
        self.add(Ether(src="02:66:00:00:02:01", dst="33:33:ff:%02x:%02x:%02x" % (t[13], t[14], t[15])) /
                 IPv6(src="fe80::66:1", dst=snm, hlim=255) / ICMPv6ND_NS(tgt=a.ip6) /
                 ICMPv6NDOptSrcLLAddr(lladdr="02:66:00:00:02:01"), "nd_replies")

        # ---- bad frames, one per cause and variant, each otherwise valid ----
        fp = a.framed_port
        self.fc = 0

        def badframe(payload, cause, port=None):
            self.fc += 1
            self.add(self.eth(E4) / self.ip4(src="198.51.100.%d" % (100 + self.fc % 100)) /
                     UDP(sport=2000 + self.fc, dport=port or fp) / Raw(payload),
                     "frame_drop_" + cause)

        good = [(b"hk", b"HOSTILE-frame-%d" % i, None) for i in range(3)]
        # short: below 20 bytes, empty, length beyond the bytes received
        badframe(b"SLF1\x01\x00\x01\x00\x0a\x00", "short")
        badframe(b"", "short")
        fr = frame_bytes(good, 1)
        badframe(frame_bytes(good, 1, length=len(fr) + 8), "short")
        # magic (and garbage datagrams)
        badframe(frame_bytes(good, 1, magic=b"SLF2"), "magic")
        badframe(frame_bytes(good, 1, magic=b"XXXX"), "magic")
        g99 = bytearray(b"G" + garb(99))
        g99[8:12] = struct.pack("<I", 100)      # a length that fits: magic is the cause
        badframe(bytes(g99), "magic")
        g99[8:12] = struct.pack("<I", 101)      # one byte more than received: short
        badframe(bytes(g99), "short")
        badframe(b"\x00" * 64, "magic")
        # version
        badframe(frame_bytes(good, 1, version=0), "version")
        badframe(frame_bytes(good, 1, version=2), "version")
        # flags: unknown frame flag, unknown record flag, reserved byte not 0
        badframe(frame_bytes(good, 1, flags=0x02), "flags")
        badframe(frame_bytes(good, 1, count=1, body=rec_bytes(b"hk", b"HOSTILE-rflag", flags=0x04)),
                 "flags")
        badframe(frame_bytes(good, 1, count=1, body=rec_bytes(b"hk", b"HOSTILE-resv", reserved=1)),
                 "flags")
        # length: trailing bytes after the frame, length below the minimum
        badframe(fr + b"\x00\x01\x02", "length")
        badframe(frame_bytes(good, 1, length=19), "length")
        # crc
        badframe(frame_bytes(good, 1, crc_xor=1), "crc")
        badframe(frame_bytes(good, 1, crc_xor=0x80000000), "crc")
        b = bytearray(fr)
        b[30] ^= 0x20
        badframe(bytes(b), "crc")
        badframe(frame_bytes(good, 1, fhk=5)[:-4] + struct.pack("<I", crc32c(fr[:-4])), "crc")
        # count: zero, fewer records than the bytes hold
        badframe(frame_bytes([], 1, count=0), "count")
        badframe(frame_bytes(good, 1, count=2), "count")
        # key_len: 0 and 257
        badframe(frame_bytes(good, 1, count=1, body=rec_bytes(b"", b"HOSTILE-key0")), "key_len")
        badframe(frame_bytes(good, 1, body=rec_bytes(b"k" * 257, b"HOSTILE-key257"), count=1),
                 "key_len")
        # record_len: data or key running past the CRC
        badframe(frame_bytes(good, 1, count=1,
                             body=rec_bytes(b"hk", b"HOSTILE-rl", data_len=100)), "record_len")
        badframe(frame_bytes(good, 1, count=1,
                             body=rec_bytes(b"hk", b"HOSTILE-rl2", key_len=200)), "record_len")
        # too_big: data longer than the small stream's max record
        if a.small_port:
            badframe(frame_bytes([(b"hk", b"H" * (a.small_max + 1), None)], 1), "too_big",
                     port=a.small_port)
            # the same size minus one byte is fine there
            d = b"S" * a.small_max
            self.add(self.eth(E4) / self.ip4(src="198.51.100.250") /
                     UDP(sport=4242, dport=a.small_port) /
                     Raw(frame_bytes([(b"small-ok", d, None)], 2)),
                     None, [(a.small_stream, b"small-ok", d, md5_hash(b"small-ok"), None,
                             "framed")])

        # ---- valid edge cases: must be stored ----
        s4 = lambda i: "203.0.113.%d" % i
        # UDP checksum 0 (IPv4: none), IPv4 options, Ethernet padding, 1-byte datagram
        d = b"edge-csum0"
        self.raw_valid(self.eth(E4) / self.ip4(src=s4(1)) / UDP(sport=5001, dport=a.raw_port,
                       chksum=0) / Raw(d), b"203.0.113.1:5001", d)
        d = b"edge-ipopt"
        self.raw_valid(self.eth(E4) / self.ip4(src=s4(2), options=[IPOption_NOP()] * 4) /
                       UDP(sport=5002, dport=a.raw_port) / Raw(d), b"203.0.113.2:5002", d)
        for i in range(2):
            d = b"p%d" % i
            pk = bytes(self.eth(E4) / self.ip4(src=s4(3)) / UDP(sport=5003 + i, dport=a.raw_port) /
                       Raw(d))
            self.raw_valid(pk + b"\x00" * (60 - len(pk)), b"203.0.113.3:%d" % (5003 + i), d)
        self.raw_valid(self.eth(E4) / self.ip4(src=s4(5)) / UDP(sport=5008, dport=a.raw_port),
                       b"203.0.113.5:5008", b"")
        d = b"\x00\x01\xff\x7f\t\n binary"
        self.raw_valid(self.eth(E6) / self.ip6(src="2001:db8:e::1") /
                       UDP(sport=5005, dport=a.raw_port) / Raw(d), b"[2001:db8:e::1]:5005", d)
        # 9000-byte jumbo frames, IPv4 and IPv6 (payload 8972 / 8952 bytes)
        d = b"jumbo4:" + g.filler(9000 - 14 - 28 - 7)
        self.raw_valid(self.eth(E4) / self.ip4(src=s4(4)) / UDP(sport=5006, dport=a.raw_port) /
                       Raw(d), b"203.0.113.4:5006", d)
        d = b"jumbo6:" + g.filler(9000 - 14 - 48 - 7)
        self.raw_valid(self.eth(E6) / self.ip6(src="2001:db8:e::2") /
                       UDP(sport=5007, dport=a.raw_port) / Raw(d), b"[2001:db8:e::2]:5007", d)

        # valid IPv4 fragmented datagrams: in order, reversed, interleaved, tagged, framed
        def frags(pkt_ip, sizes=None):
            """Split an IPv4 datagram (bytes) into fragments of the given payload sizes
            (multiples of 8 but the last; default 1480 each). Returns the IP layers."""
            ip = IP(pkt_ip)
            body = bytes(ip.payload)
            if sizes is None:
                sizes = [1480] * ((len(body) + 1479) // 1480)
            out, off = [], 0
            for i, n in enumerate(sizes):
                part = body[off:off + n]
                last = off + n >= len(body)
                f = IP(src=ip.src, dst=ip.dst, id=ip.id, proto=ip.proto, ttl=64,
                       flags=0 if last else 1, frag=off // 8) / Raw(part)
                out.append(f)
                off += n
            assert off >= len(body)
            return out

        d = b"frag-inorder:" + g.filler(2987)
        ipb = bytes(self.ip4(src=s4(10), id=1001) / UDP(sport=5010, dport=a.raw_port) / Raw(d))
        fl = frags(ipb, [1480, 1480, 1480])
        for f in fl[:-1]:
            self.add(self.eth(E4) / f, "frags")
        self.add(self.eth(E4) / fl[-1], "frags",
                 [(a.stream, b"203.0.113.10:5010", d, md5_hash(b"203.0.113.10:5010"), None, "raw")])
        self.counts["reassembled"] = self.counts.get("reassembled", 0) + 1

        d = b"frag-reverse:" + g.filler(2487)
        ipb = bytes(self.ip4(src=s4(11), id=1002) / UDP(sport=5011, dport=a.raw_port) / Raw(d))
        fl = frags(ipb, [800, 800, 800, 1000])
        for f in reversed(fl[1:]):
            self.add(self.eth(E4) / f, "frags")
        self.add(self.eth(E4) / fl[0], "frags",
                 [(a.stream, b"203.0.113.11:5011", d, md5_hash(b"203.0.113.11:5011"), None, "raw")])
        self.counts["reassembled"] += 1

        d = b"frag-vlan:" + g.filler(1990)
        ipb = bytes(self.ip4(src=s4(12), id=1003) / UDP(sport=5012, dport=a.raw_port) / Raw(d))
        fl = frags(ipb, [1024, 1024])
        tg = [(0x88A8, 10), (0x8100, 20)]
        self.add(self.eth(E4, tags=tg) / fl[0], "frags")
        self.add(self.eth(E4, tags=tg) / fl[1], "frags",
                 [(a.stream, b"203.0.113.12:5012", d, md5_hash(b"203.0.113.12:5012"), None, "raw")])
        self.counts["reassembled"] += 1

        recs, erecs = [], []
        for i in range(40):
            k = b"fragkey%d" % (i % 4)
            dd = b"frag-framed:%d:" % i + g.filler(80)
            ehk = (i * 0x0123456789ABCDEF0123456789ABCDEF) & ((1 << 128) - 1) if i % 5 == 1 else None
            recs.append((k, dd, ehk))
            erecs.append((a.stream, k, dd, ehk if ehk is not None else md5_hash(k), ehk, "framed"))
        fr = frame_bytes(recs, 99)
        ipb = bytes(self.ip4(src=s4(13), id=1004) / UDP(sport=5013, dport=a.framed_port) /
                    Raw(fr))
        fl = frags(ipb)
        assert len(fl) == 4
        self.add(self.eth(E4) / fl[1], "frags")
        self.add(self.eth(E4) / fl[3], "frags")
        self.add(self.eth(E4) / fl[0], "frags")
        self.add(self.eth(E4) / fl[2], "frags", erecs)
        self.counts["reassembled"] += 1

        # ---- hostile fragments: never stored; counted under drop_frag ----
        hd = b"HOSTILE-frag:" + b"h" * 600
        # overlapping: [0,16) [8,24) ... and a gap, the sizes adding up to the total
        ipb = bytes(self.ip4(src=s4(20), id=2001) / UDP(sport=6001, dport=a.raw_port) / Raw(hd[:32]))
        body = bytes(IP(ipb).payload)
        for off, n, mf in ((0, 16, 1), (8, 16, 1), (32, 8, 0)):
            self.add_hostile(self.eth(E4) / IP(src=s4(20), dst=a.ip4, id=2001, proto=17, flags=mf,
                                       frag=off // 8) / Raw((body + b"z" * 40)[off:off + n]))
        ipb = bytes(self.ip4(src=s4(21), id=2002) / UDP(sport=6002, dport=a.raw_port) / Raw(hd[:64]))
        body = bytes(IP(ipb).payload)
        for off, n, mf in ((0, 48, 1), (24, 48, 0)):   # overlap, sum above the total
            self.add_hostile(self.eth(E4) / IP(src=s4(21), dst=a.ip4, id=2002, proto=17, flags=mf,
                                       frag=off // 8) / Raw((body + b"z" * 80)[off:off + n]))
        # tiny: 12 fragments of 8 bytes (more than a datagram may have)
        ipb = bytes(self.ip4(src=s4(22), id=2003) / UDP(sport=6003, dport=a.raw_port) / Raw(hd[:88]))
        for f in frags(ipb, [8] * 12):
            self.add_hostile(self.eth(E4) / f)
        # beyond 64 KiB: the last fragment ends past 65535
        ipb = bytes(self.ip4(src=s4(23), id=2004) / UDP(sport=6004, dport=a.raw_port) / Raw(hd))
        body = bytes(IP(ipb).payload)
        self.add_hostile(self.eth(E4) / IP(src=s4(23), dst=a.ip4, id=2004, proto=17, flags=1, frag=0) /
                 Raw(body[:400]))
        self.add_hostile(self.eth(E4) / IP(src=s4(23), dst=a.ip4, id=2004, proto=17, flags=0, frag=8190) /
                 Raw(b"h" * 200))
        # never completed: a first fragment alone; first and last without the middle
        ipb = bytes(self.ip4(src=s4(24), id=2005) / UDP(sport=6005, dport=a.raw_port) / Raw(hd))
        fl = frags(ipb, [200, 200, 221])
        self.add_hostile(self.eth(E4) / fl[0])
        ipb = bytes(self.ip4(src=s4(25), id=2006) / UDP(sport=6006, dport=a.raw_port) / Raw(hd))
        fl = frags(ipb, [200, 200, 221])
        self.add_hostile(self.eth(E4) / fl[0])
        self.add_hostile(self.eth(E4) / fl[2])
        # Every frame is counted once: each hostile fragment is dropped as frag when it
        # is refused, when its datagram fails, or when it expires (frag TTL).


def write_pcap(path, pkts, snaplen=65535):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        t = 1700000000
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", t + i // 1000000, i % 1000000, len(p), len(p)))
            f.write(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["good", "bad"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--queues", type=int, default=1, help="captures, one per rx queue")
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--raw-per-sender", type=int, default=3)
    ap.add_argument("--frames-per-sender", type=int, default=3)
    ap.add_argument("--framed-every", type=int, default=3, help="every Nth sender also frames")
    ap.add_argument("--raw-port", type=int, default=7000)
    ap.add_argument("--framed-port", type=int, default=7001)
    ap.add_argument("--small-port", type=int, default=0,
                    help="framed port of a stream with a small max record (too_big case)")
    ap.add_argument("--small-stream", default="small")
    ap.add_argument("--small-max", type=int, default=1000)
    ap.add_argument("--stream", default="s")
    ap.add_argument("--mac", default="02:70:63:61:70:00", help="the port's MAC (net_pcap0)")
    ap.add_argument("--ip4", default="10.0.0.1")
    ap.add_argument("--ip6", default="fd00::1")
    ap.add_argument("--other-ip4", default="10.0.0.99")
    ap.add_argument("--other-ip6", default="fd00::99")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    g = Gen(a)
    os.makedirs(a.out, exist_ok=True)
    senders = make_senders(g, a.senders)
    for s in senders[:24]:              # fast_udp builds what scapy builds
        for dport, pl in ((a.raw_port, b"x" * (s.idx % 7)), (a.framed_port, b"")):
            assert s.udp(a, dport, pl) == s.udp_scapy(a, dport, pl), (s.idx, s.tags, s.fam)
    add_valid_traffic(g, senders, a.raw_per_sender, a.frames_per_sender, a.framed_every)
    order = interleave(g, senders)
    queues = [[] for _ in range(a.queues)]
    expected = []
    for s, (pkt, recs) in order:
        queues[s.idx % a.queues].append(pkt)
        expected += recs
    drops = {}
    if a.mode == "bad":
        bad = Bad(g)
        bad.build()
        # spread the bad packets through queue 0's valid traffic, keeping their order
        # (fragments of one datagram stay in order and on one queue)
        q0 = queues[0]
        pos = sorted(g.rng.sample(range(len(q0) + len(bad.pkts)), len(bad.pkts)))
        merged, bi, vi = [], 0, 0
        for i in range(len(q0) + len(bad.pkts)):
            if bi < len(bad.pkts) and pos[bi] == i:
                merged.append(bad.pkts[bi][0])
                expected += bad.pkts[bi][1]
                bi += 1
            else:
                merged.append(q0[vi])
                vi += 1
        queues[0] = merged
        drops = bad
    for i, q in enumerate(queues):
        write_pcap(os.path.join(a.out, "q%d.pcap" % i), q)
    with open(os.path.join(a.out, "expected.tsv"), "w") as f:
        for st, k, d, route, ehk, kind in expected:
            f.write("%s\t%s\t%s\t%d\t%s\t%s\n" % (st, k.decode(), d.hex(), route,
                                                  "-" if ehk is None else str(ehk), kind))
    with open(os.path.join(a.out, "drops.txt"), "w") as f:
        if drops:
            for k in sorted(drops.counts):
                f.write("%s %d\n" % (k, drops.counts[k]))
            for k in sorted(drops.mins):
                f.write("%s >= %d\n" % (k, drops.mins[k]))
    npk = sum(len(q) for q in queues)
    kinds = {}
    for e in expected:
        kinds[e[5]] = kinds.get(e[5], 0) + 1
    print("pcapgen %s: %d packets in %d captures, %d senders, %d records (%s)" % (
        a.mode, npk, a.queues, len(senders), len(expected),
        ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    if drops:
        print("pcapgen %s: expected counters: %s" % (a.mode, ", ".join(
            "%s %d" % kv for kv in sorted(drops.counts.items()))))


if __name__ == "__main__":
    main()
