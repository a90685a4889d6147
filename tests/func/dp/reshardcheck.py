#!/usr/bin/env python3
"""Checks of func-dp-reshard on a stopped data directory.

    reshardcheck.py SLUICE DATA_DIR STREAM EXPECTED.tsv

- every closed shard's last record is its ending sequence number (ENDING_SEQ of
  `sluice shards` names the last record it may hold): none after it;
- reading the lineage of every root shard (`sluice read --lineage`) prints no
  record twice and every record routed by its own hash key (not a frame hash
  key, which is not stored) once, and each partition key's records in send order
  across parents and children.
"""
import base64
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def shards(sluice, d, stream):
    out = subprocess.run([sluice, "shards", "--data-dir", d, "--stream", stream],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    hdr = None
    rows = []
    for line in lines:
        f = line.split()
        if f and f[0] == "SHARD":
            hdr = f
        elif f and f[0].startswith("shardId-") and hdr is not None:
            rows.append(dict(zip(hdr, f)))
    if not rows:
        fail("no shard rows in:\n" + out)
    return rows


def read(sluice, d, stream, shard, lineage):
    cmd = [sluice, "read", "--data-dir", d, "--stream", stream, "--shard", str(shard),
           "--format", "jsonl"] + (["--lineage"] if lineage else [])
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode()))
    return [json.loads(x) for x in p.stdout.decode().splitlines()]


def main():
    sluice, d, stream, exp_path = sys.argv[1:5]
    exp = {}
    with open(exp_path) as f:
        for i, line in enumerate(f):
            st, key, dhex, route, ehk = line.rstrip("\n").split("\t")[:5]
            # every record is stored with the hash key that routed it when that is not
            # its partition key's MD5 (own or frame hash key), so a lineage read
            # places every record where it was routed
            exp[(key.encode(), bytes.fromhex(dhex))] = (i, int(route), True)
    rows = shards(sluice, d, stream)
    closed = 0
    for r in rows:
        idx = int(r["SHARD"][8:])
        if r["STATE"] == "closed":
            closed += 1
            n = len(read(sluice, d, stream, idx, False))
            if n != int(r["RECORDS"]):
                fail("closed shard %d: read gives %d records, shards says %s" % (
                    idx, n, r["RECORDS"]))
            # ENDING_SEQ names the last record the shard may hold; the log's last
            # record (LAST_SEQ) must be exactly that one
            want = "-" if r["ENDING_SEQ"] == "none" else r["ENDING_SEQ"]
            if r["LAST_SEQ"] != want:
                fail("closed shard %d: last record %s, ending sequence number %s" % (
                    idx, r["LAST_SEQ"], r["ENDING_SEQ"]))
            print("  shard %d closed with %d records, last %s = its ending sequence number" % (
                idx, n, r["LAST_SEQ"]))
    seen = {}
    last = {}
    roots = [int(r["SHARD"][8:]) for r in rows if r.get("PARENT", "-") == "-"]
    for root in roots:
        last = {}
        for o in read(sluice, d, stream, root, True):
            k = (o["PartitionKey"].encode(), base64.b64decode(o["Data"]))
            if k not in exp:
                fail("lineage of %d: unexpected record %r" % (root, k[:60]))
            i, route, _ = exp[k]
            if i in seen:
                fail("lineage of %d: record #%d printed twice" % (root, i))
            seen[i] = root
            # the order holds per partition key and hash key (a frame hash key or an
            # explicit one can send one partition key to several shards)
            g = (k[0], route)
            if g in last and last[g][0] > i:
                fail("lineage of %d: key %r out of order: #%d (in %s) after #%d (in %s)" % (
                    root, k[0], i, o.get("ShardId"), last[g][0], last[g][1]))
            last[g] = (i, o.get("ShardId"))
    want = sum(1 for v in exp.values() if v[2])
    missing = [v[0] for v in exp.values() if v[2] and v[0] not in seen]
    if missing:
        fail("lineage reads miss %d of the %d records (#%s)" % (
            len(missing), want, ", #".join(str(m) for m in missing[:10])))
    print("reshardcheck: %d closed shards end at their ending sequence numbers; lineage of "
          "roots %s: %d records printed once each, all %d expected among them, per-key order "
          "kept" % (closed, roots, len(seen), want))


main()
