#!/usr/bin/env python3
"""Checks for the TCP data-plane tests (func-dp-tcp*); each subcommand exits 1 with
a "FAIL: ..." line on stderr when its check does not hold.

  tcpcheck.py records SLUICE DATA_DIR STREAM:SHARDS[,STREAM:SHARDS...] EXPECTED...
      Reads every shard with `sluice read --format jsonl` and checks it against
      the EXPECTED files (tcpsend.py's format: stream, key, md5 of data, length,
      label, acknowledged sequence or "-"): every expected record stored exactly
      once and nothing else; each in the shard whose hash range holds MD5(key),
      with no ExplicitHashKey; within each shard the records of one label (one
      connection) in send order; and where EXPECTED names the sequence number
      the acknowledgement gave, the record stored under exactly that number.
      An EXPECTED written as maybe:PATH lists records that may be missing (sent
      on connections reset before their acks): at most once, nothing else.
  tcpcheck.py wait SLUICE PREFIX TIMEOUT_S PATH==N|PATH>=N ...
      Poll `sluice stats --json` until every condition holds (PATH as
      dpcheck.py stats-get, e.g. sum:stats.core*.tcp_conns), or TIMEOUT_S
      passes. A wait, not an assertion: prints what it saw and exits 0.
  tcpcheck.py send-acks ACKS_FILE EXPECTED OUT
      Copy EXPECTED to OUT with the sequence numbers of `sluice send
      --print-acks` filled in: every record acknowledged exactly once, and the
      shard the ack line names is the shard of its sequence number.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dpcheck  # noqa: E402


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def load_expected(paths):
    exp = []
    for path in paths:
        maybe = path.startswith("maybe:")
        if maybe:
            path = path[6:]
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f):
                p = line.rstrip("\n").split("\t")
                if len(p) != 6:
                    fail("%s line %d: want 6 tab-separated fields" % (path, n + 1))
                exp.append((p[0], p[1].encode(), p[2], int(p[3]), p[4],
                            None if p[5] == "-" else int(p[5]), maybe))
    return exp


def cmd_records(argv):
    sluice, data_dir, streams_arg = argv[:3]
    streams = [(s.split(":")[0], int(s.split(":")[1])) for s in streams_arg.split(",")]
    exp = load_expected(argv[3:])
    index = {}
    for i, e in enumerate(exp):
        k = (e[0], e[1], e[2])
        if k in index:
            fail("generator bug: record %r listed twice" % (k,))
        index[k] = i
    seen = [None] * len(exp)
    problems = []
    total = 0
    seq_checked = 0
    for stream, nshards in streams:
        table = dpcheck.shard_table(sluice, data_dir, stream)
        if len(table) != nshards:
            fail("stream %s has %d shards, want %d" % (stream, len(table), nshards))
        for shard, lo, hi, nrec in table:
            last = {}
            recs = dpcheck.shard_records(sluice, data_dir, stream, shard, nrec, problems)
            for n, o, key, data, seq in recs:
                total += 1
                i = index.get((stream, key, hashlib.md5(data).hexdigest()))
                if i is None:
                    problems.append("%s shard %d: unexpected record key %r data %r (%d bytes)"
                                    % (stream, shard, key, data[:60], len(data)))
                    continue
                if seen[i] is not None:
                    problems.append("%s shard %d: record stored twice (also in shard %d): "
                                    "key %r data %r" % (stream, shard, seen[i], key, data[:60]))
                    continue
                seen[i] = shard
                e = exp[i]
                route = int.from_bytes(hashlib.md5(key).digest(), "big")
                if not lo <= route <= hi:
                    problems.append("%s: record key %r data %r (MD5 %d) is in shard %d "
                                    "[%d, %d]" % (stream, key, data[:40], route, shard, lo, hi))
                if o.get("ExplicitHashKey") is not None:
                    problems.append("%s shard %d: record key %r has ExplicitHashKey %r, want "
                                    "none" % (stream, shard, key, o.get("ExplicitHashKey")))
                if e[5] is not None:
                    seq_checked += 1
                    if e[5] != seq:
                        problems.append("%s shard %d: record key %r data %r stored as sequence "
                                        "%d, but its acknowledgement said %d" % (
                                            stream, shard, key, data[:40], seq, e[5]))
                label = e[4]
                if label in last and last[label] > i:
                    problems.append("%s shard %d: %s out of order: %r (sent #%d) after sent "
                                    "#%d" % (stream, shard, label, data[:40], i, last[label]))
                last[label] = i
    missing = [e for i, e in enumerate(exp) if seen[i] is None and not e[6]]
    maybes = sum(1 for e in exp if e[6])
    maybe_stored = sum(1 for i, e in enumerate(exp) if e[6] and seen[i] is not None)
    for e in missing[:10]:
        problems.append("missing: stream %s key %r (%s, %d bytes)" % (e[0], e[1], e[4], e[3]))
    if problems:
        for p in problems[:40]:
            sys.stderr.write("  %s\n" % p)
        fail("%d problems (%d records read, %d expected, %d missing)" % (
            len(problems), total, len(exp), len(missing)))
    labels = {}
    for e in exp:
        labels[e[4].rsplit("-c", 1)[0]] = labels.get(e[4].rsplit("-c", 1)[0], 0) + 1
    print("records: all %d expected records (%d bytes) stored exactly once, in their shards, "
          "in per-connection order; %d stored under the sequence number their "
          "acknowledgement named (%s)" % (
              len(exp) - maybes, sum(e[3] for e in exp if not e[6]), seq_checked,
              ", ".join("%s %d" % kv for kv in sorted(labels.items()))))
    if maybes:
        print("records: of %d records that may be missing, %d stored, each once" % (
            maybes, maybe_stored))


def cmd_wait(argv):
    sluice, prefix, timeout = argv[0], argv[1], float(argv[2])
    conds = []
    for c in argv[3:]:
        m = re.match(r"^(.*?)(==|>=)(\d+)$", c)
        if not m:
            fail("wait: bad condition %r" % c)
        conds.append((m.group(1), m.group(2), int(m.group(3))))
    t0 = time.time()
    while True:
        p = subprocess.run([sluice, "stats", "--file-prefix", prefix, "--json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            fail("sluice stats exited %d while waiting" % p.returncode)
        doc = json.loads(p.stdout)
        vals = [dpcheck.get_path(doc, c[0]) for c in conds]
        ok = all(v == n if op == "==" else v >= n for v, (_, op, n) in zip(vals, conds))
        if ok or time.time() - t0 > timeout:
            break
        time.sleep(0.2)
    print("wait: %.1f s%s: %s" % (time.time() - t0, "" if ok else " (gave up)", ", ".join(
        "%s %d (want %s %d)" % (c[0], v, c[1], c[2]) for v, c in zip(vals, conds))))


def cmd_send_acks(argv):
    """`sluice send --print-acks` lines "key<TAB>shardId-...<TAB>sequence<TAB>data", one
    per stored record; matched to EXPECTED's records by key and data."""
    acks_path, exp_path, out_path = argv
    acked = {}
    with open(acks_path, "rb") as f:
        for n, line in enumerate(f):
            p = line.rstrip(b"\n").split(b"\t", 3)
            if len(p) != 4 or not p[1].startswith(b"shardId-") or len(p[2]) != 39:
                fail("%s line %d: want key<TAB>shardId-N<TAB>sequence<TAB>data, got %r" % (
                    acks_path, n + 1, line[:100]))
            seq = int(p[2])
            if (seq - (1 << 127)) >> 64 != int(p[1][8:]):
                fail("%s line %d: sequence %d is not in %s" % (acks_path, n + 1, seq,
                                                              p[1].decode()))
            k = (p[0], hashlib.md5(p[3]).hexdigest())
            if k in acked:
                fail("%s: record key %r data %r acknowledged twice" % (acks_path, p[0],
                                                                      p[3][:60]))
            acked[k] = seq
    exp = open(exp_path).read().splitlines()
    with open(out_path, "w") as f:
        for line in exp:
            p = line.split("\t")
            seq = acked.pop((p[1].encode(), p[2]), None)
            if seq is None:
                fail("%s: no acknowledgement for record key %r (%s)" % (acks_path, p[1], p[4]))
            p[5] = str(seq)
            f.write("\t".join(p) + "\n")
    if acked:
        fail("%s: %d acknowledged records were not sent" % (acks_path, len(acked)))
    print("send-acks: %d records, each acknowledged once" % len(exp))


def main():
    cmds = {"records": cmd_records, "wait": cmd_wait, "send-acks": cmd_send_acks}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
