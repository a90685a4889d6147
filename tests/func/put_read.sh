#!/usr/bin/env bash
# func-put-read: 1,000,000 records over 4 shards through `sluice put`, read back
# with `sluice read`: every record exactly once, per-key order kept, shard counts
# and `verify` agree; iterator positions and jsonl output; a deflate stream.
source "$(dirname "$0")/lib.sh" "$@"

N=1000000
check "create stream s (4 shards)"
"$SLUICE" create --data-dir "$D" --stream s --shards 4 >"$WORK/create.out"
expect_eq "shards listed by create" "$(grep -c '^shardId-' "$WORK/create.out")" 4

check "put $N records"
$GEN $N >"$WORK/in"
"$SLUICE" put --data-dir "$D" --stream s <"$WORK/in" 2>"$WORK/put.err" ||
	{ rc=$?; cat "$WORK/put.err"; fail "put exited $rc"; }
grep -qF "$N records stored" "$WORK/put.err" || { cat "$WORK/put.err"; fail "put summary"; }

check "read all 4 shards: every record exactly once"
read_shards s 4 "$WORK/r"
cat "$WORK"/r.[0-3] | cut -f2- | LC_ALL=C sort >"$WORK/got.sorted"
LC_ALL=C sort "$WORK/in" >"$WORK/in.sorted"
cmp "$WORK/in.sorted" "$WORK/got.sorted" || fail "records read back differ from the input"

check "per shard: sequence numbers increase by one; per key: input order kept"
for i in 0 1 2 3; do
	[ -s "$WORK/r.$i" ] || fail "shard $i is empty"
	awk -F'\t' -v shard=$i '
		{
			if (length($1) != 39) { print "bad seq length: " $1; exit 1 }
			if (NR > 1 && ($1 "") <= (prev "")) { print "seq not increasing at line " NR; exit 1 }
			prev = $1
			split($3, f, ":")
			if (f[1] != $2) { print "key/data mismatch at line " NR; exit 1 }
			if ((f[1] in last) && f[2] + 0 <= last[f[1]]) {
				print "key " f[1] " out of order at line " NR; exit 1
			}
			last[f[1]] = f[2] + 0
		}' "$WORK/r.$i" || fail "order check failed in shard $i"
done
# consecutive counters: the last 12 digits of first and last seq differ by lines-1
python3 - "$WORK" <<'PY' || fail "sequence numbers are not consecutive"
import sys
w = sys.argv[1]
for i in range(4):
    seqs = [int(l.split(b"\t", 1)[0]) for l in open("%s/r.%d" % (w, i), "rb")]
    base = 2**127 + i * 2**64
    for k, s in enumerate(seqs):
        if s != base + k:
            sys.exit("shard %d line %d: seq %d, want %d" % (i, k + 1, s, base + k))
PY

check "shards: records sum to $N and match each shard's lines"
expect_eq "records in shards" "$(shard_records s)" $N
"$SLUICE" shards --data-dir "$D" --stream s >"$WORK/shards.out"
for i in 0 1 2 3; do
	want=$(wc -l <"$WORK/r.$i")
	got=$(awk -v id="shardId-00000000000$i" '$1 == id { print $9 }' "$WORK/shards.out")
	expect_eq "records of shard $i" "$got" "$want"
	first=$(head -1 "$WORK/r.$i" | cut -f1)
	last=$(tail -1 "$WORK/r.$i" | cut -f1)
	expect_eq "first/last seq of shard $i" \
		"$(awk -v id="shardId-00000000000$i" '$1 == id { print $7, $8 }' "$WORK/shards.out")" "$first $last"
done

check "verify exits 0"
"$SLUICE" verify --data-dir "$D" --stream s >"$WORK/verify.out" || { rc=$?; cat "$WORK/verify.out"; fail "verify exited $rc"; }
grep -q "^stream s: 4 shards, .* $N records, 0 bad blocks: OK" "$WORK/verify.out" ||
	{ cat "$WORK/verify.out"; fail "verify summary"; }

check "read positions: at:SEQ, after:SEQ, limit, time:0, latest, shardId-form"
seq1000=$(sed -n 1000p "$WORK/r.2" | cut -f1)
"$SLUICE" read --data-dir "$D" --stream s --shard 2 --from "at:$seq1000" --limit 5 >"$WORK/at"
sed -n 1000,1004p "$WORK/r.2" | cmp - "$WORK/at" || fail "read --from at:SEQ --limit 5"
"$SLUICE" read --data-dir "$D" --stream s --shard shardId-000000000002 --from "after:$seq1000" --limit 5 >"$WORK/after"
sed -n 1001,1005p "$WORK/r.2" | cmp - "$WORK/after" || fail "read --from after:SEQ --limit 5"
"$SLUICE" read --data-dir "$D" --stream s --shard 3 --from time:0 | cmp - "$WORK/r.3" || fail "read --from time:0"
expect_eq "records from latest" "$("$SLUICE" read --data-dir "$D" --stream s --shard 1 --from latest | wc -l)" 0
lastseq=$(tail -1 "$WORK/r.1" | cut -f1)
expect_eq "records after the last" "$("$SLUICE" read --data-dir "$D" --stream s --shard 1 --from "after:$lastseq" | wc -l)" 0

check "jsonl output decodes to the same records as tsv"
"$SLUICE" read --data-dir "$D" --stream s --shard 0 --format jsonl --limit 1000 >"$WORK/j"
python3 - "$WORK/j" "$WORK/r.0" <<'PY' || fail "jsonl output"
import base64, json, sys
tsv = open(sys.argv[2], "rb").read().split(b"\n")[:1000]
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"" and len(lines) == 1001, "want 1000 jsonl lines"
for j, t in zip(lines, tsv):
    o = json.loads(j)
    seq, key, data = t.split(b"\t", 2)
    assert set(o) == {"SequenceNumber", "ApproximateArrivalTimestamp", "PartitionKey", "Data"}, o
    assert o["SequenceNumber"] == seq.decode(), (o, seq)
    assert o["PartitionKey"] == key.decode(), (o, key)
    assert base64.b64decode(o["Data"], validate=True) == data, (o, data)
    assert isinstance(o["ApproximateArrivalTimestamp"], int) and o["ApproximateArrivalTimestamp"] > 1.6e12
PY

M=100000
check "deflate stream: $M records read back identically"
"$SLUICE" create --data-dir "$D" --stream z --shards 3 --compression deflate >/dev/null
grep -q "^compression deflate" "$D/streams/z/stream.meta" || fail "stream.meta of z does not say deflate"
head -$M "$WORK/in" >"$WORK/inz"
"$SLUICE" put --data-dir "$D" --stream z <"$WORK/inz" 2>"$WORK/putz.err" ||
	{ rc=$?; cat "$WORK/putz.err"; fail "put to z exited $rc"; }
read_shards z 3 "$WORK/z"
cat "$WORK"/z.[0-2] | cut -f2- | LC_ALL=C sort >"$WORK/gotz.sorted"
LC_ALL=C sort "$WORK/inz" | cmp - "$WORK/gotz.sorted" || fail "deflate stream records differ"
expect_eq "records in z" "$(shard_records z)" $M
"$SLUICE" verify --data-dir "$D" >"$WORK/verify2.out" || { rc=$?; cat "$WORK/verify2.out"; fail "verify of all streams exited $rc"; }
expect_eq "verify summary lines" "$(grep -c ': OK$' "$WORK/verify2.out")" 2
# deflated segments must be smaller than the raw data of their records
zbytes=$(cat "$D"/streams/z/shardId-*/*.log | wc -c)
rawbytes=$(wc -c <"$WORK/inz")
[ "$zbytes" -lt "$rawbytes" ] || fail "deflate stream uses $zbytes bytes on disk for $rawbytes bytes of input"

echo "PASS: func-put-read"
