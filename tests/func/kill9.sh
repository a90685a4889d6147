#!/usr/bin/env bash
# func-kill9: kill -9 a `sluice put --print-seq` in the middle of a large input.
# Every sequence number it printed must read back with exactly the data of its
# input line, each shard must hold exactly a prefix of the records routed to it,
# verify must pass, and a new put must continue each shard's counters right after
# its last readable record.
source "$(dirname "$0")/lib.sh" "$@"

N=3000000
KILL_AFTER=200000
"$SLUICE" create --data-dir "$D" --stream k --shards 4 >/dev/null

check "put --print-seq of $N records, kill -9 after >= $KILL_AFTER acknowledgements"
$GEN $N >"$WORK/in"
# Input from a file: put runs as fast as it can, so the kill lands while writes
# are in flight (the run takes several seconds for 3M records).
"$SLUICE" put --data-dir "$D" --stream k --print-seq <"$WORK/in" >"$WORK/acks" 2>"$WORK/put.err" &
PUT=$!
BG_PIDS+=("$PUT")
while :; do
	if ! kill -0 $PUT 2>/dev/null; then
		cat "$WORK/put.err" >&2
		fail "put ended before it was killed (after $(wc -l <"$WORK/acks") acks)"
	fi
	[ "$(wc -l <"$WORK/acks")" -ge $KILL_AFTER ] && break
	sleep 0.05
done
kill -9 $PUT
wait $PUT 2>/dev/null || true
acks=$(wc -l <"$WORK/acks")
echo "killed put after $acks acknowledged records"
[ "$acks" -lt $N ] || fail "put acknowledged all records before the kill; nothing tested"

# The crash may leave a torn tail: the last block of a shard cut by the end of its
# file (its write never landed). Until a writer reopens the shard and cuts it, that
# tail is the end of the log, not damage: verify and read must not call it bad.
check "verify passes after the crash"
"$SLUICE" verify --data-dir "$D" --stream k >"$WORK/verify.out" || { rc=$?; cat "$WORK/verify.out"; fail "verify exited $rc"; }

check "every acknowledged record reads back with its input data; each shard holds a prefix of its input"
read_shards k 4 "$WORK/r"
python3 - "$WORK" 4 <<'PY' || fail "crash check"
import hashlib, sys
w, n = sys.argv[1], int(sys.argv[2])
width = 2**128 // n
def shard_of(key):
    return min(int.from_bytes(hashlib.md5(key).digest(), "big") // width, n - 1)
inp = open(w + "/in", "rb").read().split(b"\n")[:-1]
raw = open(w + "/acks", "rb").read()
if not raw.endswith(b"\n"):            # a write cut by the kill: ignore the partial line
    raw = raw[:raw.rfind(b"\n") + 1]
acks = raw.split(b"\n")[:-1]
shards = []
for i in range(n):
    recs = {}
    order = []
    for line in open("%s/r.%d" % (w, i), "rb").read().split(b"\n")[:-1]:
        seq, kd = line.split(b"\t", 1)
        recs[int(seq)] = kd
        order.append(kd)
    shards.append((recs, order))
# acknowledged records: k-th ack is the k-th input line
for k, a in enumerate(acks):
    sid, seq = a.split(b"\t")
    i = int(sid[len(b"shardId-"):])
    if i != shard_of(inp[k].split(b"\t", 1)[0]):
        sys.exit("ack %d: shard %d is not the shard of its key" % (k + 1, i))
    got = shards[i][0].get(int(seq))
    if got != inp[k]:
        sys.exit("ack %d (%s %s): read back %r, want %r" % (k + 1, sid, seq, got, inp[k]))
# each shard: exactly the first len(order) input records routed to it, in order
per = [[] for _ in range(n)]
for line in inp:
    per[shard_of(line.split(b"\t", 1)[0])].append(line)
for i in range(n):
    order = shards[i][1]
    if per[i][:len(order)] != order:
        sys.exit("shard %d does not hold a prefix of its input records" % i)
total = sum(len(s[1]) for s in shards)
print("acknowledged %d, readable %d (%d stored but not yet acknowledged)" % (len(acks), total, total - len(acks)))
if total < len(acks):
    sys.exit("fewer readable records than acknowledged")
PY

check "a new put continues every shard's counters after its last readable record"
for i in 0 1 2 3; do
	last[i]=$(tail -1 "$WORK/r.$i" | cut -f1)
done
$GEN 20000 1000 "$N" >"$WORK/in2"
"$SLUICE" put --data-dir "$D" --stream k --print-seq <"$WORK/in2" >"$WORK/acks2" 2>"$WORK/put2.err" ||
	{ rc=$?; cat "$WORK/put2.err"; fail "second put exited $rc"; }
expect_eq "acks of the second put" "$(wc -l <"$WORK/acks2")" 20000
for i in 0 1 2 3; do
	first=$(grep -m1 "^shardId-00000000000$i	" "$WORK/acks2" | cut -f2)
	want=$(python3 -c "print(int('${last[$i]}') + 1)")
	expect_eq "first new sequence number of shard $i" "$first" "$want"
	"$SLUICE" read --data-dir "$D" --stream k --shard $i --from "at:$first" >"$WORK/new.$i"
	grep "^shardId-00000000000$i	" "$WORK/acks2" | cut -f2 >"$WORK/acks2.$i"
	cut -f1 "$WORK/new.$i" | cmp - "$WORK/acks2.$i" || fail "shard $i: new records differ from the acknowledgements"
done
read_shards k 4 "$WORK/after"
for i in 0 1 2 3; do
	head -n "$(wc -l <"$WORK/r.$i")" "$WORK/after.$i" | cmp - "$WORK/r.$i" || fail "shard $i: old records changed"
done
"$SLUICE" verify --data-dir "$D" --stream k >"$WORK/verify2.out" || { rc=$?; cat "$WORK/verify2.out"; fail "verify after the second put exited $rc"; }

echo "PASS: func-kill9"
