#!/usr/bin/env bash
# func-retention: `sluice retention` on a stopped stream with 1 MiB segments.
# The records' arrival times are the real ones (sluice put uses the clock), so
# the test moves retention's clock with --now-ms instead: exactly the segments
# whose every record is older than the horizon go, oldest first; the last
# (active) segment always stays; readers start at the first record of the first
# remaining segment; `sluice shards` shows the new first sequence number; a size
# cap deletes the oldest segment; with a writer holding the lock only the
# settings change.
source "$(dirname "$0")/lib.sh" "$@"

SH=$D/streams/s/shardId-000000000000
BASE=170141183460469231731687303715884105728    # 2^127: shard 0, counter 0

# segs: the segment names (counters) of shard 0, one per line
segs() {
	ls "$SH" | sed -n 's/^\([0-9]\{20\}\)\.log$/\1/p' | sed 's/^0*\([0-9]\)/\1/'
}

# The .log and .idx of every listed segment exist, and nothing else does.
expect_segs() {
	local want="$1" got f
	got=$(segs | tr '\n' ' ')
	expect_eq "segments of shard 0" "$got" "$want"
	for f in $want; do
		[ -f "$SH/$(printf %020d "$f").idx" ] || fail "segment $f has no .idx"
	done
	expect_eq ".idx files" "$(ls "$SH" | grep -c '\.idx$')" "$(echo $want | wc -w)"
}

put_batch() {   # put_batch FROM COUNT: records k<i> with 960 bytes of data
	python3 -c "
import sys
for i in range($1, $1 + $2):
    sys.stdout.write('k%d\t%s\n' % (i, ('%06d' % i) * 160))" |
		"$SLUICE" put --data-dir "$D" --stream s --segment-mb 1 2>"$WORK/put.err" ||
		{ cat "$WORK/put.err"; fail "put exited"; }
}

check "create s (1 shard, max record 2000) and put 3000 + 3000 records, 0.3 s apart"
"$SLUICE" create --data-dir "$D" --stream s --shards 1 --max-record 2000 >/dev/null 2>&1
put_batch 0 3000
sleep 0.3
put_batch 3000 3000
ALL=$(segs | tr '\n' ' ')
NSEG=$(echo $ALL | wc -w)
[ "$NSEG" -ge 5 ] || fail "expected at least 5 segments, got: $ALL"

# arrival of every record, from the jsonl output
"$SLUICE" read --data-dir "$D" --stream s --shard 0 --format jsonl >"$WORK/all.jsonl"
expect_eq "records stored" "$(wc -l <"$WORK/all.jsonl")" 6000

# seg_last I: arrival of the last record of segment number I (0-based) of $ALL
seg_last() {
	python3 - "$WORK/all.jsonl" "$ALL" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
segs = [int(x) for x in sys.argv[2].split()]
i = int(sys.argv[3])
end = segs[i + 1] if i + 1 < len(segs) else len(recs)
print(recs[end - 1]["ApproximateArrivalTimestamp"])
PY
}
# expected I NOW: the segments that remain after an age run at NOW with 1 minute
expected() {
	python3 - "$WORK/all.jsonl" "$ALL" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
segs = [int(x) for x in sys.argv[2].split()]
horizon = int(sys.argv[3]) - 60000
keep = []
for i, s in enumerate(segs):
    end = segs[i + 1] if i + 1 < len(segs) else len(recs)
    last = recs[end - 1]["ApproximateArrivalTimestamp"]
    if keep or i == len(segs) - 1 or last >= horizon:
        keep.append(s)
print(" ".join(str(s) for s in keep) + " ")
PY
}

check "bad usage: both --hours and --minutes, --minutes 0"
expect_exit 2 "either --hours or --minutes" "$SLUICE" retention --data-dir "$D" --stream s \
	--hours 1 --minutes 5
expect_exit 2 "--minutes '0' is not valid" "$SLUICE" retention --data-dir "$D" --stream s \
	--minutes 0
expect_exit 1 "stream nope not found" "$SLUICE" retention --data-dir "$D" --stream nope

check "--minutes 1 --no-apply: stream.meta changes, nothing is deleted"
"$SLUICE" retention --data-dir "$D" --stream s --minutes 1 --no-apply >"$WORK/out"
grep -qx "retention_minutes 1" "$D/streams/s/stream.meta" || fail "no retention_minutes 1"
grep -qx "retention_hours 1" "$D/streams/s/stream.meta" || fail "retention_hours not 1"
grep -qF "stream s: retention 1 minutes, no size cap" "$WORK/out" || fail "policy line"
expect_segs "$ALL"

check "at a clock just past segment 1's last record + 1 min: exactly segments 0 and 1 go"
set -- $ALL
T=$(($(seg_last 1) + 60000 + 1))
WANT=$(expected "$T")
expect_eq "model: remaining" "$WANT" "$(echo "${@:3}") "
"$SLUICE" retention --data-dir "$D" --stream s --now-ms "$T" >"$WORK/out" 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "retention exited $?"; }
expect_segs "$WANT"
grep -qF "deleted shardId-000000000000/$(printf %020d "$1").log: $2 records" "$WORK/out" ||
	{ cat "$WORK/out"; fail "no line for segment $1"; }
grep -qF "deleted shardId-000000000000/$(printf %020d "$2").log: $(($3 - $2)) records" \
	"$WORK/out" || { cat "$WORK/out"; fail "no line for segment $2"; }
grep -qF "deleted 2 segments, $3 records" "$WORK/out" || { cat "$WORK/out"; fail "summary"; }
HZ=$(python3 -c "print($BASE + $3)")
grep -qF "shardId-000000000000: trim horizon $HZ (counter $3)" "$WORK/out" ||
	{ cat "$WORK/out"; fail "trim horizon line"; }

check "one ms earlier would have kept segment 1 (model check), and a rerun deletes nothing"
expect_eq "model at T-1" "$(expected $((T - 1)))" "$(echo "${@:2}") "
"$SLUICE" retention --data-dir "$D" --stream s --now-ms "$T" >"$WORK/out"
grep -qF "deleted 0 segments" "$WORK/out" || fail "rerun deleted something"

check "readers start at the first record of the first remaining segment"
"$SLUICE" read --data-dir "$D" --stream s --shard 0 --from trim_horizon --limit 1 >"$WORK/r1"
expect_eq "trim_horizon read" "$(cut -f1,2 "$WORK/r1")" "$HZ	k$3"
"$SLUICE" read --data-dir "$D" --stream s --shard 0 --from "at:$BASE" --limit 1 >"$WORK/r2"
expect_eq "read at an expired sequence number" "$(cut -f1,2 "$WORK/r2")" "$HZ	k$3"
expect_eq "records left" "$("$SLUICE" read --data-dir "$D" --stream s --shard 0 | wc -l)" \
	$((6000 - $3))
"$SLUICE" shards --data-dir "$D" --stream s >"$WORK/shards"
grep '^shardId-000000000000' "$WORK/shards" | grep -qF " $HZ " ||
	{ cat "$WORK/shards"; fail "sluice shards does not show first sequence $HZ"; }

check "size cap one byte under the total: the oldest remaining segment goes (size)"
TOTAL=$(stat -c %s "$SH"/*.log "$SH"/*.idx | awk '{ s += $1 } END { print s }')
"$SLUICE" retention --data-dir "$D" --stream s --now-ms "$T" --max-bytes $((TOTAL - 1)) \
	>"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; fail "retention --max-bytes exited"; }
grep -qx "max_bytes $((TOTAL - 1))" "$D/streams/s/stream.meta" || fail "no max_bytes line"
grep -qF "deleted shardId-000000000000/$(printf %020d "$3").log: $(($4 - $3)) records" \
	"$WORK/out" || { cat "$WORK/out"; fail "size deletion line"; }
grep -qF "(size)" "$WORK/out" || fail "cause is not size"
expect_segs "$(echo "${@:4}") "
"$SLUICE" retention --data-dir "$D" --stream s --max-bytes 0 --no-apply >/dev/null
grep -q "^max_bytes" "$D/streams/s/stream.meta" && fail "max_bytes 0 should remove the cap"

check "a writer holds the lock: only the settings change"
sleep 4 | "$SLUICE" put --data-dir "$D" --stream s --segment-mb 1 2>/dev/null &
PUT=$!
BG_PIDS+=("$PUT")
for _ in $(seq 100); do
	[ "$(cat "$D/streams/s/writer.lock" 2>/dev/null)" == "$PUT" ] && break
	sleep 0.05
done
expect_eq "writer.lock holder" "$(cat "$D/streams/s/writer.lock")" "$PUT"
"$SLUICE" retention --data-dir "$D" --stream s --minutes 2 --now-ms 9999999999999 \
	>"$WORK/out" 2>"$WORK/err" || fail "retention with a writer exited $?"
grep -qF "not applied here" "$WORK/out" || { cat "$WORK/out"; fail "no 'not applied' line"; }
grep -qF "pid $PUT" "$WORK/err" || { cat "$WORK/err"; fail "stderr does not name pid $PUT"; }
grep -qx "retention_minutes 2" "$D/streams/s/stream.meta" || fail "no retention_minutes 2"
expect_segs "$(echo "${@:4}") "
wait "$PUT" || fail "the idle put exited $?"

check "far in the future: everything but the active segment goes; it keeps its records"
LAST=${!#}
"$SLUICE" retention --data-dir "$D" --stream s --hours 1 --now-ms 9999999999999 >"$WORK/out"
grep -q "^retention_minutes" "$D/streams/s/stream.meta" && fail "--hours keeps retention_minutes"
expect_segs "$LAST "
expect_eq "records in the active segment" \
	"$("$SLUICE" read --data-dir "$D" --stream s --shard 0 | wc -l)" $((6000 - LAST))
"$SLUICE" verify --data-dir "$D" --stream s >/dev/null 2>&1 || fail "verify after retention"

check "a new writer continues the counter after retention"
put_batch 6000 10
"$SLUICE" read --data-dir "$D" --stream s --shard 0 --from trim_horizon | tail -1 >"$WORK/last"
expect_eq "last record" "$(cut -f1,2 "$WORK/last")" "$(python3 -c "print($BASE + 6009)")	k6009"

# ---------------------------------------------------------------- sluiced
[ -x "$SLUICED" ] || fail "$SLUICED is not an executable"
EAL=(--no-huge --no-shconf -m 256 --no-pci --file-prefix "sluice-ret-$$" -l 0)
# the EAL runtime directory sluiced leaves behind goes with the work dir
trap 'rm -rf "/var/run/dpdk/sluice-ret-$$"; cleanup' EXIT
SH=$D/streams/live/shardId-000000000000

start_sluiced() {   # start_sluiced OUT EXTRA-OPTIONS...
	local out=$1
	shift
	"$SLUICED" "${EAL[@]}" -- --data-dir "$D" --stream live:1 --retention-interval-s 1 "$@" \
		>"$WORK/$out.out" 2>"$WORK/$out.err" &
	PID=$!
	BG_PIDS+=("$PID")
	for _ in $(seq 1200); do
		grep -q "^sluiced: ready" "$WORK/$out.out" 2>/dev/null && break
		kill -0 $PID 2>/dev/null || { cat "$WORK/$out.out" "$WORK/$out.err"; fail "sluiced exited"; }
		sleep 0.05
	done
	grep -q "^sluiced: ready" "$WORK/$out.out" || fail "sluiced not ready"
}

stop_sluiced() {
	local rc=0
	kill -TERM $PID
	wait $PID || rc=$?
	expect_eq "sluiced exit status" $rc 0
}

# wait_for FILE PATTERN: up to 20 s for a fixed string in FILE
wait_for() {
	for _ in $(seq 400); do
		grep -qF -- "$2" "$1" && return 0
		sleep 0.05
	done
	cat "$1"
	fail "no '$2' in $1 after 20 s"
}

totals() {   # totals KEY: a /sluice/stats total of the running sluiced
	"$SLUICE" stats --file-prefix "sluice-ret-$$" --json |
		python3 -c "import json, sys; print(json.load(sys.stdin)['/sluice/stats']['totals']['$1'])"
}

check "sluiced: stream live with 4000 fresh records in 1 MiB segments; 24 h keeps them"
"$SLUICE" create --data-dir "$D" --stream live --shards 1 --max-record 2000 >/dev/null 2>&1
python3 -c "
import sys
for i in range(4000):
    sys.stdout.write('k%d\t%s\n' % (i, ('%06d' % i) * 160))" |
	"$SLUICE" put --data-dir "$D" --stream live --segment-mb 1 2>/dev/null || fail "put live"
set -- $(segs)
[ $# -ge 4 ] || fail "expected at least 4 segments of live, got: $*"
ALL="$* "
start_sluiced d1
grep -qF "sluiced: retention every 1 s" "$WORK/d1.out" || fail "no retention line"
wait_for "$WORK/d1.out" "sluiced: stream live: retention 1440 minutes (retention_hours), no size cap (at start)"
sleep 1.5
expect_segs "$ALL"
expect_eq "segments_deleted" "$(totals segments_deleted)" 0

check "sluice retention --max-bytes on the running stream: sluiced applies it"
TOTAL=$(stat -c %s "$SH"/*.log "$SH"/*.idx | awk '{ s += $1 } END { print s }')
B0=$(stat -c %s "$SH/$(printf %020d "$1").log" "$SH/$(printf %020d "$1").idx" |
	awk '{ s += $1 } END { print s }')
"$SLUICE" retention --data-dir "$D" --stream live --max-bytes $((TOTAL - 1)) >"$WORK/out" \
	2>"$WORK/err" || fail "retention on a running stream exited $?"
grep -qF "not applied here" "$WORK/out" || { cat "$WORK/out"; fail "no 'not applied here'"; }
grep -qF "pid $PID" "$WORK/err" || { cat "$WORK/err"; fail "the message does not name sluiced"; }
wait_for "$WORK/d1.out" "max_bytes $((TOTAL - 1)) (stream.meta changed)"
wait_for "$WORK/d1.out" "sluiced: retention (size): stream live shardId-000000000000: deleted segment $(printf %020d "$1")"
expect_segs "$(echo "${@:2}") "
expect_eq "segments_deleted" "$(totals segments_deleted)" 1
expect_eq "bytes_deleted" "$(totals bytes_deleted)" "$B0"
expect_eq "disk_alarm" "$(totals disk_alarm)" 0
stop_sluiced

check "sluiced --disk-floor 99%: the alarm, and every segment but the active one goes"
FREE_PCT=$(df --output=pcent "$D" | tail -1 | tr -dc 0-9)
if [ "$FREE_PCT" -ge 1 ]; then     # used >= 1 %: free < 99 %
	LAST=${!#}
	start_sluiced d2 --disk-floor 99%
	wait_for "$WORK/d2.out" "sluiced: retention (disk): stream live shardId-000000000000: deleted segment $(printf %020d "$2")"
	wait_for "$WORK/d2.out" "sluiced: retention (disk): stream live shardId-000000000000: deleted segment $(printf %020d "$(eval echo "\${$(($# - 1))}")")"
	grep -qF "disk alarm" "$WORK/d2.out" "$WORK/d2.err" || fail "no disk alarm log line"
	expect_segs "$LAST "
	[ "$(totals disk_alarm)" -ge 1 ] || fail "disk_alarm counter is 0"
	expect_eq "segments_deleted" "$(totals segments_deleted)" $(($# - 2))
	stop_sluiced
	expect_eq "records left" "$("$SLUICE" read --data-dir "$D" --stream live --shard 0 | wc -l)" \
		$((4000 - LAST))
else
	echo "  (skipped: the file system is more than 99 % free)"
fi

echo "PASS"
