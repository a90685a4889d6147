#!/usr/bin/env bash
# func-reshard: split, merge and scale on a stopped data directory, with records
# put before and after each reshard. 150,000 records over keys k0..k999 whose
# data carries a per-key index; then `read --lineage` from each root shard must
# print every record exactly once overall, each key's indexes strictly
# increasing within each lineage (order kept across parents and children), no
# closed shard may hold a record at or past its ending counter, and verify must
# pass. Then scale to 4, put more, and read everything again. Also: a reshard
# while `sluice put` holds the writer lock is refused naming its pid, a reshard
# journal left by a crashed sluiced makes the tools refuse, and bad
# split/merge arguments are refused naming the shard.
source "$(dirname "$0")/lib.sh" "$@"

PHASE=50000
MID0=85070591730234615865843651857942052864   # 2^126: the middle of shard 0's range

# gen FROM TO: records FROM..TO-1: key k(j % 1000), data "k<key>:<j / 1000>"
gen() {
	awk -v a="$1" -v b="$2" 'BEGIN { for (j = a; j < b; j++) printf "k%d\tk%d:%d\n", j % 1000, j % 1000, int(j / 1000) }'
}

put() {
	gen "$1" "$2" | "$SLUICE" put --data-dir "$D" --stream s 2>"$WORK/put.err" ||
		{ cat "$WORK/put.err"; fail "put $1..$2 exited $?"; }
}

"$SLUICE" create --data-dir "$D" --stream s --shards 2 >/dev/null
put 0 $PHASE

check "split/merge argument errors name the shard and leave the table alone"
cp "$D/streams/s/stream.meta" "$WORK/meta.0"
expect_exit 1 "is not inside shard shardId-000000000000's range [0, 170141183460469231731687303715884105727]" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key 0
expect_exit 1 "is not inside shard shardId-000000000000's range" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key 170141183460469231731687303715884105728
expect_exit 1 "stream s has no shard shardId-000000000007" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 7 --new-starting-hash-key 5
expect_exit 2 "--new-starting-hash-key 'x' is not a hash key" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key x
expect_exit 1 "cannot be merged with itself" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 1 --adjacent-shard 1
expect_exit 2 "--target-shards is required" "$SLUICE" scale --data-dir "$D" --stream s
expect_exit 1 "give 1 to 4" "$SLUICE" scale --data-dir "$D" --stream s --target-shards 5
cmp "$D/streams/s/stream.meta" "$WORK/meta.0" || fail "a refused reshard changed stream.meta"

check "a reshard while sluice put holds the writer lock is refused, naming its pid"
mkfifo "$WORK/in"
"$SLUICE" put --data-dir "$D" --stream s <"$WORK/in" 2>"$WORK/put.err" &
PUT=$!
BG_PIDS+=("$PUT")
exec 3>"$WORK/in"
for ((t = 0; t < 300; t++)); do
	[ "$(cat "$D/streams/s/writer.lock" 2>/dev/null)" == "$PUT" ] && break
	sleep 0.05
done
expect_eq "lock holder" "$(cat "$D/streams/s/writer.lock")" "$PUT"
expect_exit 1 "stream s is being written by pid $PUT, which is not a running sluiced this tool can reach" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key $MID0
expect_exit 1 "is being written by pid $PUT" "$SLUICE" scale --data-dir "$D" --stream s --target-shards 4
exec 3>&-
wait "$PUT" || fail "the idle put exited $?"
cmp "$D/streams/s/stream.meta" "$WORK/meta.0" || fail "a refused reshard changed stream.meta"

check "a reshard journal left by a crashed sluiced: the tools refuse until sluiced finished it"
printf 'sluice-reshard-journal 1\nop split\nstream s\n' >"$D/streams/s/reshard.journal"
expect_exit 1 "stream s has an unfinished live reshard ($D/streams/s/reshard.journal, left by a sluiced that stopped during it): start sluiced on this data directory once to finish it, then run this again" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key $MID0
expect_exit 1 "stream s has an unfinished live reshard" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 0 --adjacent-shard 1
expect_exit 1 "stream s has an unfinished live reshard" \
	"$SLUICE" scale --data-dir "$D" --stream s --target-shards 4
rm "$D/streams/s/reshard.journal"
cmp "$D/streams/s/stream.meta" "$WORK/meta.0" || fail "a refused reshard changed stream.meta"

check "split shard 0 at its midpoint: children 2 and 3"
"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key $MID0 >"$WORK/split.out" 2>"$WORK/split.err" ||
	{ cat "$WORK/split.err"; fail "split exited $?"; }
grep -q "^split shardId-000000000000 (ending sequence counter [0-9]*) at $MID0 into shardId-000000000002 and shardId-000000000003$" "$WORK/split.out" ||
	{ cat "$WORK/split.out"; fail "split output"; }
put $PHASE $((2 * PHASE))

check "merge shard 1 with its adjacent child 3: child 4 (1 and 2 are not adjacent)"
expect_exit 1 "are not adjacent" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 1 --adjacent-shard 2
"$SLUICE" merge --data-dir "$D" --stream s --shard 1 --adjacent-shard 3 >"$WORK/merge.out" 2>"$WORK/merge.err" ||
	{ cat "$WORK/merge.err"; fail "merge exited $?"; }
expect_exit 1 "shard shardId-000000000003 is closed" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 2 --adjacent-shard 3
put $((2 * PHASE)) $((3 * PHASE))

check "stream.meta: the exact shard table"
grep '^shard ' "$D/streams/s/stream.meta" | awk '{ print $2, $3, $4, $5, $6, $7, $8 }' >"$WORK/table"
cat >"$WORK/table.want" <<TABLE
0 closed 0 170141183460469231731687303715884105727 - - 0
1 closed 170141183460469231731687303715884105728 340282366920938463463374607431768211455 - - 0
2 open 0 85070591730234615865843651857942052863 0 - 0
3 closed $MID0 170141183460469231731687303715884105727 0 - 0
4 open $MID0 340282366920938463463374607431768211455 1 3 0
TABLE
diff "$WORK/table" "$WORK/table.want" || fail "shard table"

check_lineage() {   # N_RECORDS: lineage reads from roots 0 and 1 cover the N records once
	local r
	for r in 0 1; do
		"$SLUICE" read --data-dir "$D" --stream s --shard $r --lineage >"$WORK/lin.$r" ||
			fail "read --lineage from shard $r exited $?"
	done
	python3 - "$1" "$D/streams/s/stream.meta" "$WORK/lin.0" "$WORK/lin.1" <<'PY' || fail "lineage check"
import sys
want = int(sys.argv[1])
ending = {}
for line in open(sys.argv[2]):
    f = line.split()
    if f[0] == "shard" and f[2] == "closed":
        ending[int(f[1])] = int(f[8])
seen = set()
for path in sys.argv[3:]:
    last = {}
    for line in open(path):
        sid, seq, key, data = line.rstrip("\n").split("\t")
        shard = int(sid[len("shardId-"):])
        v = int(seq) - (1 << 127)
        assert v >> 64 == shard, f"{path}: seq {seq} is not of {sid}"
        ctr = v & ((1 << 64) - 1)
        if shard in ending and ctr >= ending[shard]:
            sys.exit(f"{path}: {sid} counter {ctr} at or past its ending counter {ending[shard]}")
        k, idx = data.split(":")
        idx = int(idx)
        assert k == key, line
        if key in last and idx <= last[key]:
            sys.exit(f"{path}: key {key}: index {idx} after {last[key]}: order broken")
        last[key] = idx
        if (key, idx) in seen:
            sys.exit(f"{path}: record {key}:{idx} printed twice")
        seen.add((key, idx))
if len(seen) != want:
    sys.exit(f"{len(seen)} distinct records read, want {want}")
for j in range(want):
    if (f"k{j % 1000}", j // 1000) not in seen:
        sys.exit(f"record {j} missing")
print(f"lineage: {want} records exactly once, per-key order kept")
PY
}

check "read --lineage from shards 0 and 1: 150000 records exactly once, per-key order"
check_lineage $((3 * PHASE))
check "closed shards end where their logs end (LAST_SEQ == ENDING_SEQ, or none when empty)"
"$SLUICE" shards --data-dir "$D" --stream s >"$WORK/shards.out"
awk '$2 == "closed" && !(($9 > 0 && $8 == $11) || ($9 == 0 && $11 == "none")) { print; bad = 1 } END { exit bad }' \
	"$WORK/shards.out" || fail "a closed shard's ending seq is not its last record"
expect_eq "closed shards" "$(awk '$2 == "closed"' "$WORK/shards.out" | wc -l)" 3
expect_eq "records in shards" "$(shard_records s)" $((3 * PHASE))
"$SLUICE" verify --data-dir "$D" --stream s >"$WORK/verify.out" || { cat "$WORK/verify.out"; fail "verify exited $?"; }

check "scale from 2 to 4 uniform shards, put more, read everything"
"$SLUICE" scale --data-dir "$D" --stream s --target-shards 4 >"$WORK/scale.out" 2>"$WORK/scale.err" ||
	{ cat "$WORK/scale.err"; fail "scale exited $?"; }
grep -q "^scale stream s from 2 to 4 open shards: " "$WORK/scale.out" || fail "scale output"
awk '$1 ~ /^shardId-/ && $2 == "open" { print $3, $4 }' "$WORK/scale.out" | sort -n >"$WORK/open"
python3 - "$WORK/open" <<'PY' || fail "open shards after scale are not the 4 uniform ranges"
import sys
got = sorted(tuple(map(int, l.split())) for l in open(sys.argv[1]))
q = 1 << 126
want = [(i * q, (i + 1) * q - 1) for i in range(4)]
sys.exit(0 if got == want else f"{got} != {want}")
PY
put $((3 * PHASE)) $((3 * PHASE + 20000))
check_lineage $((3 * PHASE + 20000))
expect_eq "records in shards" "$(shard_records s)" $((3 * PHASE + 20000))
"$SLUICE" verify --data-dir "$D" --stream s >"$WORK/verify.out" || { cat "$WORK/verify.out"; fail "verify exited $?"; }
echo "PASS"
