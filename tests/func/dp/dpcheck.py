#!/usr/bin/env python3
"""Checks for the data-plane functional tests; each subcommand exits 1 with a
"FAIL: ..." line on stderr when its check does not hold.

  dpcheck.py records SLUICE DATA_DIR EXPECTED STREAM:SHARDS [STREAM:SHARDS ...]
      Reads every shard with `sluice read --format jsonl` and the shard table
      with `sluice shards`, then checks against EXPECTED (pcapgen.py's
      expected.tsv): every expected record stored exactly once with the same
      content and nothing else; each in the shard whose hash range holds its
      routing hash key; ExplicitHashKey stored exactly for the records that
      carried one: the one that routed them (their frame's, else their own); per partition key, records in send order within each shard
      (raw: the key is the sender's ip:port, so this is per-sender order); no
      record holding "HOSTILE" (data of malformed traffic).
  dpcheck.py stats-get FILE PATH...
      Print values from a `sluice stats --json` line: PATH like
      /sluice/stats.totals.stored; "sum:core*.drop_udp_csum" sums over the
      objects whose key matches.
  dpcheck.py drops STATS_JSON DROPS_TXT
      Compare the counters with pcapgen.py's drops.txt ("key N" exact or
      "key >= N"): drop_*/*_replies/frags/reassembled summed over core<I>,
      frame_drop_* summed over q<Q>_frame_drop_* of every port.
  dpcheck.py owners STATS_JSON NCORES
      Two-core ownership: every shard owned by a data core, each core's
      log_appends equal to what its shards stored, every shard's handovers
      in == out, and handovers > 0 in total.
  dpcheck.py wait SLUICE PREFIX WANT TIMEOUT_S [EXTRA_KEY>=N ...]
      Poll `sluice stats --json` until totals.stored == WANT (and every
      EXTRA condition holds), or stored exceeds WANT, or TIMEOUT_S passes, or
      nothing moved for 20 s after rx stopped. A wait, not an assertion:
      always exits 0 unless sluice stats itself fails, printing what it saw.
"""
import base64
import fnmatch
import hashlib
import json
import subprocess
import sys
import time


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def load_expected(path):
    exp = []
    with open(path) as f:
        for line in f:
            st, key, dhex, route, ehk, kind = line.rstrip("\n").split("\t")
            exp.append((st, key.encode(), bytes.fromhex(dhex), int(route),
                        None if ehk == "-" else int(ehk), kind))
    return exp


def shard_table(sluice, data_dir, stream):
    out = subprocess.run([sluice, "shards", "--data-dir", data_dir, "--stream", stream],
                         check=True, capture_output=True, text=True).stdout
    t = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0].startswith("shardId-"):
            t.append((int(f[0][8:]), int(f[2]), int(f[3]), int(f[8])))
    return t


def shard_records(sluice, data_dir, stream, shard, nrec, problems):
    """Yield (line number, JSON object, key, data, seq) of a shard read with sluice read --format
    jsonl; a record count other than nrec or a sequence number that does not
    increase goes into problems."""
    p = subprocess.run([sluice, "read", "--data-dir", data_dir, "--stream", stream,
                        "--shard", str(shard), "--format", "jsonl"],
                       capture_output=True)
    if p.returncode != 0:
        fail("sluice read of %s shard %d exited %d: %s" % (
            stream, shard, p.returncode, p.stderr.decode(errors="replace")))
    lines = p.stdout.decode().splitlines()
    if len(lines) != nrec:
        problems.append("%s shard %d: read gives %d records, shards says %d" % (
            stream, shard, len(lines), nrec))
    prev_seq = -1
    for n, line in enumerate(lines):
        o = json.loads(line)
        seq = int(o["SequenceNumber"])
        if seq <= prev_seq:
            problems.append("%s shard %d line %d: sequence number not increasing" % (
                stream, shard, n + 1))
        prev_seq = seq
        yield n, o, o["PartitionKey"].encode(), base64.b64decode(o["Data"]), seq


def cmd_records(argv):
    sluice, data_dir, exp_path = argv[:3]
    streams = [(s.split(":")[0], int(s.split(":")[1])) for s in argv[3:]]
    exp = load_expected(exp_path)
    index = {}
    for i, e in enumerate(exp):
        k = (e[0], e[1], e[2])
        if k in index:
            fail("generator bug: record %r listed twice in %s" % (k, exp_path))
        index[k] = i
    seen = [None] * len(exp)
    problems = []
    total = 0
    for stream, nshards in streams:
        table = shard_table(sluice, data_dir, stream)
        if len(table) != nshards:
            fail("stream %s has %d shards, want %d" % (stream, len(table), nshards))
        for shard, lo, hi, nrec in table:
            last = {}
            recs = shard_records(sluice, data_dir, stream, shard, nrec, problems)
            for n, o, key, data, seq in recs:
                total += 1
                if b"HOSTILE" in data:
                    problems.append("%s shard %d: stored data of malformed traffic: key %r "
                                    "data %r" % (stream, shard, key, data[:60]))
                    continue
                i = index.get((stream, key, data))
                if i is None:
                    problems.append("%s shard %d: unexpected record key %r data %r" % (
                        stream, shard, key, data[:60]))
                    continue
                if seen[i] is not None:
                    problems.append("%s shard %d: record stored twice (also in shard %d): "
                                    "key %r data %r" % (stream, shard, seen[i], key, data[:60]))
                    continue
                seen[i] = shard
                e = exp[i]
                if not lo <= e[3] <= hi:
                    problems.append("%s: record key %r data %r with hash key %d is in shard %d "
                                    "[%d, %d]" % (stream, key, data[:40], e[3], shard, lo, hi))
                got_ehk = o.get("ExplicitHashKey")
                # the hash key that routed the record (its own or its frame's)
                if e[4] is not None or e[3] != int.from_bytes(hashlib.md5(key).digest(), "big"):
                    want_ehk = str(e[3])
                else:
                    want_ehk = None
                if got_ehk != want_ehk:
                    problems.append("%s shard %d: record key %r data %r: ExplicitHashKey %r, "
                                    "want %r" % (stream, shard, key, data[:40], got_ehk, want_ehk))
                if key in last and last[key] > i:
                    problems.append("%s shard %d: key %r out of order: %r (sent #%d) after "
                                    "sent #%d" % (stream, shard, key, data[:40], i, last[key]))
                last[key] = i
    missing = [e for i, e in enumerate(exp) if seen[i] is None]
    for e in missing[:10]:
        problems.append("missing: stream %s key %r data %r (%s)" % (e[0], e[1], e[2][:60], e[5]))
    if problems:
        for p in problems[:40]:
            sys.stderr.write("  %s\n" % p)
        fail("%d problems (%d records read, %d expected, %d missing)" % (
            len(problems), total, len(exp), len(missing)))
    print("records: all %d expected records stored exactly once, in their shards, in per-key "
          "order (%s)" % (len(exp), ", ".join("%s %d" % (k, sum(1 for e in exp if e[5] == k))
                                               for k in ("raw", "framed"))))


def load_stats(path):
    with open(path) as f:
        line = f.readline()
    return json.loads(line)


def get_path(doc, path):
    if path.startswith("sum:"):
        obj, _, field = path[4:].rpartition(".")
        top, _, pat = obj.partition(".")
        base = doc["/sluice/stats"] if top == "stats" else doc["/sluice/shards"]
        return sum(v.get(field, 0) for k, v in base.items()
                   if isinstance(v, dict) and fnmatch.fnmatch(k, pat))
    cur = doc
    parts = path.split(".")
    cur = cur[parts[0]]
    for p in parts[1:]:
        cur = cur[p]
    return cur


def cmd_stats_get(argv):
    doc = load_stats(argv[0])
    print(" ".join(str(get_path(doc, p)) for p in argv[1:]))


def sum_cores(st, field):
    return sum(v.get(field, 0) for k, v in st.items() if k.startswith("core") and
               isinstance(v, dict))


def sum_queues(st, field):
    n = 0
    for k, v in st.items():
        if k.startswith("port") and isinstance(v, dict):
            for qk, qv in v.items():
                if qk.startswith("q") and qk.split("_", 1)[-1] == field and \
                        qk.split("_", 1)[0][1:].isdigit():
                    n += qv
    return n


def cmd_drops(argv):
    st = load_stats(argv[0])["/sluice/stats"]
    problems, lines = [], 0
    for line in open(argv[1]):
        f = line.split()
        if not f:
            continue
        lines += 1
        key = f[0]
        if key.startswith("frame_drop_"):
            got = sum_queues(st, key)
        else:
            got = sum_cores(st, key)
        if f[1] == ">=":
            ok = got >= int(f[2])
            want = ">= " + f[2]
        else:
            ok = got == int(f[1])
            want = f[1]
        print("  %-24s %6d  (want %s)%s" % (key, got, want, "" if ok else "   <-- WRONG"))
        if not ok:
            problems.append("%s is %d, want %s" % (key, got, want))
    if lines == 0:
        fail("%s lists no counters" % argv[1])
    # Every frame is accounted for once (no fragment held any more): delivered as a
    # datagram (a reassembled one stands for the fragments that made it), answered,
    # or dropped with one cause.
    c = {k: sum_cores(st, k) for k in ("rx", "udp", "reassembled", "frags", "drop_frag",
                                       "arp_replies", "icmp_replies", "nd_replies",
                                       "pkt_drops")}
    in_reasm = c["frags"] - c["drop_frag"]
    acc = c["udp"] - c["reassembled"] + in_reasm + c["arp_replies"] + c["icmp_replies"] + \
        c["nd_replies"] + c["pkt_drops"]
    print("  frames: rx %d = datagrams %d - reassembled %d + fragments in them %d + replies %d "
          "+ dropped %d = %d" % (c["rx"], c["udp"], c["reassembled"], in_reasm,
                                 c["arp_replies"] + c["icmp_replies"] + c["nd_replies"],
                                 c["pkt_drops"], acc))
    if acc != c["rx"]:
        problems.append("frames received (%d) and frames accounted for (%d) differ" % (
            c["rx"], acc))
    for k, v in st.items():
        if k.startswith("core") and isinstance(v, dict):
            causes = sum(x for kk, x in v.items() if kk.startswith("drop_"))
            if causes != v.get("pkt_drops"):
                problems.append("%s: pkt_drops %s is not the sum of its causes %d" % (
                    k, v.get("pkt_drops"), causes))
    if problems:
        fail("counters: " + "; ".join(problems))


def cmd_owners(argv):
    doc = load_stats(argv[0])
    st, sh = doc["/sluice/stats"], doc["/sluice/shards"]
    ncores = int(argv[1])
    cores = {k: v for k, v in st.items() if k.startswith("core") and isinstance(v, dict)}
    if len(cores) != ncores:
        fail("stats list %d data cores, want %d" % (len(cores), ncores))
    stored_by = {}
    problems = []
    owners = set()
    for name, s in sh.items():
        if not isinstance(s, dict):
            continue
        oc = s.get("owner_core")
        owners.add(oc)
        if "core%s" % oc not in cores:
            problems.append("shard %s: owner_core %r is not a data core" % (name, oc))
        stored_by[oc] = stored_by.get(oc, 0) + s["stored"]
        if s["handover_in"] != s["handover_out"]:
            problems.append("shard %s: handover_in %d != handover_out %d" % (
                name, s["handover_in"], s["handover_out"]))
        if s["stored"] == 0:
            problems.append("shard %s stored nothing (the test needs records in every shard)"
                            % name)
        print("  shard %-8s owner core %s: stored %6d, handover in %6d out %6d" % (
            name, oc, s["stored"], s["handover_in"], s["handover_out"]))
    if len(owners) != ncores:
        problems.append("shards are owned by cores %s; want all %d data cores to own some" % (
            sorted(owners), ncores))
    for cname, c in sorted(cores.items()):
        idx = int(cname[4:])
        print("  %s (lcore %s): log_appends %d, shards' stored %d, handover out %d in %d" % (
            cname, c.get("lcore"), c["log_appends"], stored_by.get(idx, 0),
            c["handover_out"], c["handover_in"]))
        if c["log_appends"] != stored_by.get(idx, 0):
            problems.append("%s appended %d records, but its shards stored %d: a record was "
                            "stored by a core that does not own its shard" % (
                                cname, c["log_appends"], stored_by.get(idx, 0)))
    ho = st["totals"]["handover"]
    if ho <= 0:
        problems.append("no record was handed over between cores (totals.handover = %d)" % ho)
    if sum_cores(st, "handover_out") != sum_cores(st, "handover_in"):
        problems.append("cores handed out %d records but took in %d" % (
            sum_cores(st, "handover_out"), sum_cores(st, "handover_in")))
    if problems:
        fail("ownership: " + "; ".join(problems))
    print("owners: every record stored by its shard's owner; %d handovers, in == out" % ho)


def cmd_wait(argv):
    sluice, prefix, want, timeout = argv[0], argv[1], int(argv[2]), float(argv[3])
    extra = [(c.split(">=")[0], int(c.split(">=")[1])) for c in argv[4:]]
    t0 = time.time()
    last, last_change = None, time.time()
    while True:
        p = subprocess.run([sluice, "stats", "--file-prefix", prefix, "--json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            fail("sluice stats exited %d while waiting" % p.returncode)
        doc = json.loads(p.stdout)
        t = doc["/sluice/stats"]["totals"]
        cur = (t["rx_packets"], t["stored"], t["durable"])
        if cur != last:
            last, last_change = cur, time.time()
        ok = t["stored"] == want and all(sum_cores(doc["/sluice/stats"], k) >= n
                                         for k, n in extra)
        if ok or t["stored"] > want:
            break
        if time.time() - t0 > timeout or time.time() - last_change > 20:
            print("wait: gave up after %.1f s" % (time.time() - t0))
            break
        time.sleep(0.2)
    print("wait: %.1f s: rx_packets %d, records %d, stored %d (want %d), durable %d, "
          "drops %d, frame_drops %d, pkt_drops %d" % (
              time.time() - t0, t["rx_packets"], t["records"], t["stored"], want, t["durable"],
              t["drops"], t["frame_drops"], t["pkt_drops"]))


def main():
    cmds = {"records": cmd_records, "stats-get": cmd_stats_get, "drops": cmd_drops,
            "owners": cmd_owners, "wait": cmd_wait}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
