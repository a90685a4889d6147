#!/usr/bin/env bash
# A reader in another process while the writer appends: `put --print-seq` stays
# running on a FIFO; the test feeds it in chunks, waits until a chunk is
# acknowledged (durable), and then `read` in a separate process must return
# exactly the acknowledged records of each shard, no more, no fewer, across
# segment rolls (1 MiB segments). Every snapshot must be a prefix of the final
# contents, and the final contents must equal the input.
source "$(dirname "$0")/lib.sh" "$@"

CHUNK=10000
CHUNKS=8
"$SLUICE" create --data-dir "$D" --stream live --shards 2 --max-record 4096 >/dev/null

mkfifo "$WORK/in"
"$SLUICE" put --data-dir "$D" --stream live --print-seq --segment-mb 1 \
	<"$WORK/in" >"$WORK/acks" 2>"$WORK/put.err" &
PUT=$!
BG_PIDS+=("$PUT")
exec 3>"$WORK/in"

$GEN $((CHUNK * CHUNKS)) 500 >"$WORK/input"
for ((k = 1; k <= CHUNKS; k++)); do
	sed -n "$(((k - 1) * CHUNK + 1)),$((k * CHUNK))p" "$WORK/input" >&3
	want=$((k * CHUNK))
	for ((t = 0; t < 600; t++)); do
		[ "$(wc -l <"$WORK/acks")" -ge $want ] && break
		sleep 0.1
	done
	got=$(wc -l <"$WORK/acks")
	[ "$got" -eq $want ] || fail "chunk $k: $got acknowledgements, want $want"
	for s in 0 1; do
		acked=$(grep -c "^shardId-00000000000$s	" "$WORK/acks" || true)
		"$SLUICE" read --data-dir "$D" --stream live --shard $s >"$WORK/snap.$k.$s" 2>"$WORK/read.err" ||
			fail "chunk $k shard $s: read failed while put runs: $(cat "$WORK/read.err")"
		n=$(wc -l <"$WORK/snap.$k.$s")
		[ "$n" -eq "$acked" ] || fail "chunk $k shard $s: read $n records while $acked are acknowledged"
	done
	check "chunk $k: $want acknowledged, and a reader in another process sees exactly them"
done
# Reads racing the appends: a big chunk goes in while readers run; whatever they
# see must be good records (no bad block) and a prefix of the final log.
$GEN 120000 500 $((CHUNK * CHUNKS)) >"$WORK/input2"
cat "$WORK/input2" >&3 &
FEED=$!
for ((r = 1; r <= 6; r++)); do
	for s in 0 1; do
		"$SLUICE" read --data-dir "$D" --stream live --shard $s >"$WORK/race.$r.$s" 2>"$WORK/read.err" ||
			fail "read $r of shard $s during appends failed: $(cat "$WORK/read.err")"
	done
done
wait "$FEED"
cat "$WORK/input2" >>"$WORK/input"
CHUNKS_RACE=6
exec 3>&-
wait "$PUT" || fail "put exited $?: $(cat "$WORK/put.err")"

segs=$(ls "$D/streams/live/shardId-000000000000/" | grep -c '\.log$')
[ "$segs" -ge 2 ] || fail "expected segment rolls, found $segs segment(s)"
check "shard 0 rolled into $segs segments while being read"

for s in 0 1; do
	"$SLUICE" read --data-dir "$D" --stream live --shard $s >"$WORK/final.$s"
	for ((k = 1; k <= CHUNKS; k++)); do
		head -n "$(wc -l <"$WORK/snap.$k.$s")" "$WORK/final.$s" | cmp -s - "$WORK/snap.$k.$s" ||
			fail "shard $s: snapshot after chunk $k is not a prefix of the final contents"
	done
	for ((r = 1; r <= CHUNKS_RACE; r++)); do
		head -n "$(wc -l <"$WORK/race.$r.$s")" "$WORK/final.$s" | cmp -s - "$WORK/race.$r.$s" ||
			fail "shard $s: read $r during appends is not a prefix of the final contents"
	done
done
cut -f2- "$WORK/final.0" "$WORK/final.1" | sort >"$WORK/out.sorted"
sort "$WORK/input" | cmp -s - "$WORK/out.sorted" || fail "final contents differ from the input"
# the k-th acknowledgement names the k-th input line
paste "$WORK/acks" "$WORK/input" | awk -F'\t' '{ print $2 "\t" $3 "\t" $4 }' | sort >"$WORK/acked.sorted"
cat "$WORK/final.0" "$WORK/final.1" | awk -F'\t' '{ print $1 "\t" $2 "\t" substr($0, length($1 "\t" $2 "\t") + 1) }' | cut -f1-3 | sort >"$WORK/read.sorted"
cmp -s "$WORK/acked.sorted" "$WORK/read.sorted" || fail "acknowledged (seq, key, data) differ from what reads back"
check "every snapshot is a prefix of the final log; all $(wc -l <"$WORK/input") records read back with their acknowledged sequence numbers"
"$SLUICE" verify --data-dir "$D" --stream live >/dev/null || fail "verify failed"
echo "PASS"
