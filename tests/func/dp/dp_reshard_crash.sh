#!/usr/bin/env bash
# func-dp-reshard-crash: sluiced dies in the middle of a live reshard, and the
# next start finishes it (docs/resharding.md, "Crash"). sluiced runs two data
# cores on net_tap inside a network namespace this test creates; paced real UDP
# senders (tapsend.py) feed it while `sluice split` asks it to split shard 0 of
# stream s:3, and a test hook stops it at one point of the reshard:
#
#   after-publish  SLUICED_TEST_CRASH_AFTER_PUBLISH=60: the new map is taken and
#                  the children hold 60 durable records; abort()
#   before-save    SLUICED_TEST_CRASH_BEFORE_SAVE: the parent is closed and synced,
#                  stream.meta not saved yet; abort()
#   kill9          SLUICED_TEST_PAUSE_AT=publish: the test kill -9s sluiced while
#                  it pauses after the map is taken
#
# Each case uses a fresh data directory. The tool's split fails with a message
# saying what to do; sluiced leaves its journal; the restart says it finished the
# split from the journal (the parent's ending counter is its recovered end: in
# before-save exactly the one it closed at), and then `sluice shards` shows the
# parent closed with its ending sequence number equal to its last record's and the
# children open with the parent id. Every record read is one that was sent, none
# twice, at least as many as were durable at the crash (nothing durable lost), the
# shards and the lineage reads keep each key's order (dpcheck.py, reshardcheck.py
# on the records that are there), verify passes, and a further live split works.
#
# The senders go on while sluiced is down: a veth pair with a static neighbour
# for sluiced's address keeps a (less specific) route that drops the datagrams, so
# that tapsend.py neither fails nor stops; what is sent meanwhile is lost, which
# the checks allow (only what was durable must be there). After the restart and
# the further split, 400 records with explicit hash keys go to the children and
# to shard 1: all of them must be stored, child 4's after its records from before
# the crash.
#
# Then, on the kill9 directory with one lcore and no port: SLUICED_TEST_CRASH_AFTER_SAVE
# (the table was saved; the restart only removes the journal);
# SLUICED_TEST_CRASH_BEFORE_SAVE during a merge (both parents end exactly where
# they closed); a `sluice retention` racing the save of a live split
# (SLUICED_TEST_PAUSE_AT=save): it waits for the stream.meta lock, and both the new
# table and the new setting are kept; a live `sluice scale` whose first step
# crashes sluiced: the tool names the step, and after the restart the same command
# finishes at 4 uniform ranges. Last, a live scale of 40 shards to 80 (80 new
# shards, more than a running sluiced can add) is refused before any step.
source "$(dirname "$0")/dplib.sh" "$@"

command -v ip >/dev/null || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for net_tap"; exit 77; }
NS=slc-rc-$$
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace (needs root)"; exit 77; }
del_ns() { ip netns del "$NS" 2>/dev/null; }
DP_CLEANUP_HOOKS+=(del_ns)
nsx() { ip netns exec "$NS" "$@"; }
RSCHECK="$PY $DP_DIR/reshardcheck.py"
ulimit -c 0

nsx ip link set lo up
nsx ip link add slrcv0 type veth peer name slrcv1 ||
	{ echo "SKIP: cannot create a veth pair in $NS"; exit 77; }
nsx ip addr add 10.97.0.2/16 dev slrcv0
nsx ip link set slrcv0 up
nsx ip link set slrcv1 up
nsx ip neigh replace 10.97.0.1 lladdr 02:00:00:00:00:01 dev slrcv0 nud permanent

KEY0=56713727820156410577229101238628035242   # inside shard 0 of 3: children 3 and 4
KEY1=28356863910078205288614550619314017621   # inside child 3: children 5 and 6
SEQ_BASE=170141183460469231731687303715884105728   # 2^127: shard 0, counter 0

# start_tap NAME DIR SHARDS: sluiced on net_tap in $NS, two data cores, stream s
start_tap() {
	local i
	DP_NETNS=$NS start_sluiced "$1" --no-huge --no-shconf -m 512 --no-pci \
		--lcores '0@0,1@1,2@1' --vdev net_tap0,iface=slrc0 -- \
		--data-dir "$2" --stream "s:$3" --ip 10.97.0.1/24 --rx-lcores 1,2 \
		--udp-port 7000:raw --udp-port 7001:framed
	for ((i = 0; i < 200; i++)); do
		nsx ip link show slrc0 >/dev/null 2>&1 && break
		sleep 0.05
	done
	nsx ip link show slrc0 >/dev/null 2>&1 || fail "interface slrc0 did not appear in $NS"
	nsx ip addr add 10.97.0.2/24 dev slrc0
	nsx ip link set slrc0 up
}

# wait_line FILE TEXT: up to 30 s for a fixed string in FILE (a wait, not a check)
wait_line() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	dump_sluiced
	fail "no '$2' in $1 within 30 s"
}

# died WANT_RC: wait for the crashed sluiced; its wrapper must end with WANT_RC
died() {
	local rc=0
	wait "$SLUICED_WRAP" || rc=$?
	SLUICED_WRAP=
	SLUICED_PID=
	[ "$rc" == "$1" ] || { dump_sluiced; fail "sluiced ended with status $rc, want $1"; }
}

# present DIR EXPECTED OUT DURABLE AFTER: every record stored is one that was
# sent, none twice; without the AFTER records the restarted sluiced stored, at
# least the DURABLE ones of the crashed sluiced are there (the directory was new,
# so those are all it held). OUT gets the expected lines of the records stored.
present() {
	"$PY" - "$SLUICE" "$1" "$2" "$3" "$4" "$5" <<'PY' || fail "stored records"
import base64, json, subprocess, sys
sluice, d, exp_path, out_path, least, after = sys.argv[1:7]
lines = open(exp_path).read().splitlines(True)
exp = {}
for i, line in enumerate(lines):
    f = line.rstrip("\n").split("\t")
    exp[(f[1].encode(), bytes.fromhex(f[2]))] = i
out = subprocess.run([sluice, "shards", "--data-dir", d, "--stream", "s"], check=True,
                     capture_output=True, text=True).stdout
seen = {}
for row in out.splitlines():
    if not row.startswith("shardId-"):
        continue
    shard = row.split()[0]
    r = subprocess.run([sluice, "read", "--data-dir", d, "--stream", "s", "--shard",
                        shard, "--format", "jsonl"], check=True, capture_output=True)
    for x in r.stdout.decode().splitlines():
        o = json.loads(x)
        k = (o["PartitionKey"].encode(), base64.b64decode(o["Data"]))
        if k not in exp:
            sys.exit("FAIL: %s holds a record that was not sent: key %r" % (shard, k[0]))
        if k in seen:
            sys.exit("FAIL: record #%d stored twice (%s and %s)" % (exp[k], seen[k], shard))
        seen[k] = shard
before = len(seen) - int(after)
if before < int(least):
    sys.exit("FAIL: %d records stored, %s of them after the restart: %d from before the "
             "crash, but %s were durable at the crash" % (len(seen), after, before, least))
with open(out_path, "w") as f:
    for k, i in sorted(exp.items(), key=lambda e: e[1]):
        if k in seen:
            f.write(lines[i])
print("  present: %d of the %d records sent are stored, each once: %d from before the "
      "crash, of which %s were durable at the crash point" % (len(seen), len(lines), before,
                                                             least))
PY
}

# post OUT: after the restart, 100 frames of 4 records each to the framed port,
# with explicit hash keys in shards 5 and 6 (the children of 3), 4 (a child of 0
# that holds records from before the crash) and 1; OUT gets them in expected.tsv
# form (all must be stored: no crash meanwhile)
post() {
	nsx "$PY" - "$DP_DIR" "$1" "$KEY0" "$KEY1" <<'PY' || fail "the post-restart sender failed"
import socket, sys, time
sys.path.insert(0, sys.argv[1])
from slframe import frame_bytes  # noqa: E402
key0, key1 = int(sys.argv[3]), int(sys.argv[4])
hks = [key1 // 2, key1 + 12345, key0 + 999, 1 << 127]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.97.0.1", 7001))
with open(sys.argv[2], "w") as f:
    for n in range(100):
        recs = [(b"post%d" % r, b"post-%d:%d" % (n, r), hks[r]) for r in range(4)]
        s.send(frame_bytes(recs, 900000 + n))
        for k, d, e in recs:
            f.write("s\t%s\t%s\t%d\t%d\tframed\n" % (k.decode(), d.hex(), e, e))
        time.sleep(0.002)
PY
}

# crash_case NAME: one crash point (see the top), with traffic
crash_case() {
	local name=$1 dir=$WORK/$1 seed tool rc line cdur durable pid end end_hook="" seq after st0
	seed=$((${#name} + 7))
	check "$name: sluiced with the hook; records flow; live split of shard 0"
	case $name in
	after-publish) export SLUICED_TEST_CRASH_AFTER_PUBLISH=60 ;;
	before-save) export SLUICED_TEST_CRASH_BEFORE_SAVE=1 ;;
	kill9) export SLUICED_TEST_PAUSE_AT=publish ;;
	esac
	start_tap "rc-$name" "$dir" 3
	unset SLUICED_TEST_CRASH_AFTER_PUBLISH SLUICED_TEST_CRASH_BEFORE_SAVE SLUICED_TEST_PAUSE_AT
	pid=$SLUICED_PID
	nsx "$PY" "$DP_DIR/tapsend.py" --out "$dir.tsv" --ip4 10.97.0.1 --senders 20 --raw 60 \
		--frames 40 --rate 600 --no-fragments --seed "$seed" >"$dir.send" 2>&1 &
	SENDER=$!
	BG_PIDS+=("$SENDER")
	# split once records arrive, with most of the ~3.3 s of sending still to come
	wait_stored 200 30
	"$SLUICE" split --data-dir "$dir" --stream s --shard 0 --new-starting-hash-key $KEY0 \
		>"$dir.split.out" 2>"$dir.split.err" </dev/null &
	tool=$!
	BG_PIDS+=("$tool")
	if [ "$name" == kill9 ]; then
		wait_line "$WORK/sluiced.out" "sluiced: SLUICED_TEST_PAUSE_AT publish: pausing"
		kill -9 "$SLUICED_PID"
	fi

	check "$name: the tool fails with a clear message; sluiced died; the journal is left"
	rc=0
	wait "$tool" || rc=$?
	sed 's/^/  /' "$dir.split.err"
	expect_eq "sluice split exit status" "$rc" 1
	grep -qF "no answer to '/sluice/split,s,0,$KEY0': sluiced closed the connection" \
		"$dir.split.err" || fail "the split does not say the connection closed"
	grep -qxF "sluice split: stream s: no answer from the running sluiced (pid $pid); if it stopped, start it again: a reshard it had begun is finished from its journal at start; then see 'sluice shards' for the table" \
		"$dir.split.err" || fail "the split does not say what to do"
	if [ "$name" == kill9 ]; then
		died 137
		line=$(grep -F "SLUICED_TEST_PAUSE_AT publish: pausing" "$WORK/sluiced.out")
	else
		died 134
		line=$(grep -E "^sluiced: SLUICED_TEST_CRASH_(AFTER_PUBLISH|BEFORE_SAVE): children durable" \
			"$WORK/sluiced.out") || { dump_sluiced; fail "no crash line"; }
	fi
	echo "  $line"
	durable=$(sed -n 's/.*children durable \([0-9]*\), stream s durable \([0-9]*\) since start.*/\1 \2/p' <<<"$line")
	read -r cdur durable <<<"$durable"
	[ -n "$durable" ] || fail "no durable figures in: $line"
	if [ "$name" == after-publish ] && [ "$cdur" -lt 60 ]; then
		fail "the children held $cdur durable records at the crash, want >= 60"
	fi
	if [ "$name" == before-save ]; then
		end_hook=$(sed -n 's/^sluiced: SLUICED_TEST_CRASH_BEFORE_SAVE: shardId-000000000000 closed at ending sequence counter \([0-9]*\)$/\1/p' \
			"$WORK/sluiced.out")
		[ -n "$end_hook" ] || { dump_sluiced; fail "no ending counter line"; }
	fi
	[ -f "$dir/streams/s/reshard.journal" ] || fail "no reshard journal after the crash"
	expect_exit 1 "stream s has an unfinished live reshard" \
		"$SLUICE" split --data-dir "$dir" --stream s --shard 1 --new-starting-hash-key $SEQ_BASE

	check "$name: restart without the hook: the split is finished from the journal"
	start_tap "rc-$name-rec" "$dir" 3
	grep "sluiced: stream s: " "$WORK/sluiced.out" | grep -v retention | sed 's/^/  /'
	end=$(sed -n 's/^sluiced: stream s: finished the interrupted split from its journal: shardId-000000000000 closed at ending sequence counter \([0-9]*\)$/\1/p' \
		"$WORK/sluiced.out")
	[ -n "$end" ] || { dump_sluiced; fail "no 'finished the interrupted split' line"; }
	[ -z "$end_hook" ] || expect_eq "ending counter after recovery (closed before the crash at)" \
		"$end" "$end_hook"
	if ! { grep -qx "sluiced: stream s: child shardId-000000000003 open" "$WORK/sluiced.out" &&
			grep -qx "sluiced: stream s: child shardId-000000000004 open" "$WORK/sluiced.out"; }; then
		fail "children 3 and 4 not open after recovery"
	fi
	[ ! -e "$dir/streams/s/reshard.journal" ] || fail "journal left after recovery"
	wait "$SENDER" || { cat "$dir.send"; fail "tapsend.py failed"; }
	sed 's/^/  /' "$dir.send"

	check "$name: a further live split (child 3) works after the restart; 400 more records"
	"$SLUICE" split --data-dir "$dir" --stream s --shard 3 --new-starting-hash-key $KEY1 \
		>"$dir.split2.out" 2>&1 || { cat "$dir.split2.out"; fail "the split after the restart"; }
	grep -q "^split shardId-000000000003 (ending sequence counter [0-9]*) at $KEY1 into shardId-000000000005 and shardId-000000000006, live" \
		"$dir.split2.out" || { cat "$dir.split2.out"; fail "split output"; }
	sleep 0.3
	stats "$dir.st0"
	st0=$(stat "$dir.st0" /sluice/stats.totals.stored)
	post "$dir.post.tsv"
	wait_stored $((st0 + 400)) 30
	stop_sluiced
	after=$(sed -n 's/^sluiced: final: received .* records; stored \([0-9]*\) .*/\1/p' \
		"$WORK/sluiced.out" "$WORK/sluiced.err")
	[ -n "$after" ] || { dump_sluiced; fail "no final stored figure"; }

	check "$name: the table, the parent's end, nothing durable lost, order, verify"
	"$SLUICE" shards --data-dir "$dir" --stream s >"$dir.shards"
	awk '$1 ~ /^shardId-/ { print $1, $2, $5, $6 }' "$dir.shards" >"$dir.table"
	cat >"$dir.table.want" <<TABLE
shardId-000000000000 closed - -
shardId-000000000001 open - -
shardId-000000000002 open - -
shardId-000000000003 closed shardId-000000000000 -
shardId-000000000004 open shardId-000000000000 -
shardId-000000000005 open shardId-000000000003 -
shardId-000000000006 open shardId-000000000003 -
TABLE
	diff "$dir.table" "$dir.table.want" || fail "shard table"
	seq=$(python3 -c "print($SEQ_BASE + $end - 1)")
	expect_eq "shard 0: ENDING_SEQ (its ending counter $end - 1)" \
		"$(awk '$1 == "shardId-000000000000" { print $11 }' "$dir.shards")" "$seq"
	expect_eq "shard 0: RECORDS (counters 0 to its end)" \
		"$(awk '$1 == "shardId-000000000000" { print $9 }' "$dir.shards")" "$end"
	cat "$dir.tsv" "$dir.post.tsv" >"$dir.all.tsv"
	present "$dir" "$dir.all.tsv" "$dir.present.tsv" "$durable" "$after"
	grep -cxFf "$dir.post.tsv" "$dir.present.tsv" | grep -qx 400 ||
		fail "not all 400 records sent after the restart are stored"
	$CHECK records "$SLUICE" "$dir" "$dir.present.tsv" s:7
	$RSCHECK "$SLUICE" "$dir" s "$dir.present.tsv"
	"$SLUICE" verify --data-dir "$dir" >"$dir.verify" 2>&1 || { cat "$dir.verify"; fail "verify"; }
}

crash_case after-publish
crash_case before-save
crash_case kill9

# Single lcore, no port: the main lcore is the data core and the control core.
start_plain() {   # start_plain NAME SHARDS
	start_sluiced "$1" --no-huge --no-shconf -m 512 --no-pci -l 0 -- \
		--data-dir "$WORK/kill9" --stream "s:$2"
}
D=$WORK/kill9

check "after-save: the table is saved when sluiced aborts; the restart only removes the journal"
SLUICED_TEST_CRASH_AFTER_SAVE=1 start_plain rc-after-save 7
pid=$SLUICED_PID
expect_exit 1 "stream s: no answer from the running sluiced (pid $pid)" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 1 --new-starting-hash-key $SEQ_BASE
died 134
grep -q "^sluiced: SLUICED_TEST_CRASH_AFTER_SAVE: children durable 0, stream s durable 0 since start: aborting$" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "no crash line"; }
[ -f "$D/streams/s/reshard.journal" ] || fail "no reshard journal after the crash"
grep -q "^shard 8 open " "$D/streams/s/stream.meta" || fail "the table was not saved before the crash"
start_plain rc-after-save-rec 9
grep -qx "sluiced: stream s: the interrupted split had completed; journal removed" "$WORK/sluiced.out" ||
	{ dump_sluiced; fail "no 'had completed' line"; }
[ ! -e "$D/streams/s/reshard.journal" ] || fail "journal left after recovery"
stop_sluiced
"$SLUICE" shards --data-dir "$D" --stream s | awk '$1 ~ /^shardId-00000000000[178]/ { print $1, $2, $5 }' >"$WORK/t"
printf '%s\n' "shardId-000000000001 closed -" "shardId-000000000007 open shardId-000000000001" \
	"shardId-000000000008 open shardId-000000000001" >"$WORK/t.want"
diff "$WORK/t" "$WORK/t.want" || fail "shard table after the after-save crash"

check "before-save during a merge (children 5 and 6 of 3): both parents end where they closed"
SLUICED_TEST_CRASH_BEFORE_SAVE=1 start_plain rc-merge 9
pid=$SLUICED_PID
expect_exit 1 "stream s: no answer from the running sluiced (pid $pid)" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 5 --adjacent-shard 6
died 134
for sh in 5 6; do
	e=$(sed -n "s/^sluiced: SLUICED_TEST_CRASH_BEFORE_SAVE: shardId-00000000000$sh closed at ending sequence counter \([0-9]*\)$/\1/p" \
		"$WORK/sluiced.out")
	[ -n "$e" ] && [ "$e" -gt 0 ] || { dump_sluiced; fail "no ending counter of shard $sh"; }
	eval "end$sh=$e"
done
start_plain rc-merge-rec 9
for sh in 5 6; do
	e=$(eval echo "\$end$sh")
	grep -qx "sluiced: stream s: finished the interrupted merge from its journal: shardId-00000000000$sh closed at ending sequence counter $e" \
		"$WORK/sluiced.out" || { dump_sluiced; fail "shard $sh: no recovery line with ending counter $e"; }
done
grep -qx "sluiced: stream s: child shardId-000000000009 open" "$WORK/sluiced.out" || fail "child 9 not open"
stop_sluiced
"$SLUICE" shards --data-dir "$D" --stream s | awk '$1 ~ /^shardId-00000000000[569]/ { print $1, $2, $5, $6, $9 }' >"$WORK/t"
# shards 5 and 6 start at counter 0: their record counts are their ending counters
printf '%s\n' "shardId-000000000005 closed shardId-000000000003 - $end5" \
	"shardId-000000000006 closed shardId-000000000003 - $end6" \
	"shardId-000000000009 open shardId-000000000005 shardId-000000000006 0" >"$WORK/t.want"
diff "$WORK/t" "$WORK/t.want" || fail "shard table after the merge crash"
$RSCHECK "$SLUICE" "$D" s "$D.present.tsv"

check "sluice retention during the save of a live split waits for the stream.meta lock; both changes kept"
SLUICED_TEST_PAUSE_AT=save SLUICED_TEST_PAUSE_FILE=$WORK/go start_plain rc-meta 10
"$SLUICE" split --data-dir "$D" --stream s --shard 4 \
	--new-starting-hash-key 85070591730234615865843651857942052864 >"$WORK/split.out" 2>&1 </dev/null &
tool=$!
BG_PIDS+=("$tool")
wait_line "$WORK/sluiced.out" "sluiced: SLUICED_TEST_PAUSE_AT save: pausing"
"$SLUICE" retention --data-dir "$D" --stream s --hours 48 >"$WORK/ret.out" 2>"$WORK/ret.err" </dev/null &
ret=$!
BG_PIDS+=("$ret")
wait_line "$WORK/ret.err" "sluice retention: stream s: waiting for stream.meta: another process (a reshard) is changing it"
touch "$WORK/go"
wait "$tool" || { cat "$WORK/split.out"; fail "the paused split failed"; }
grep -q "^split shardId-000000000004 (ending sequence counter [0-9]*) at 85070591730234615865843651857942052864 into shardId-000000000010 and shardId-000000000011, live" \
	"$WORK/split.out" || { cat "$WORK/split.out"; fail "split output"; }
wait "$ret" || { cat "$WORK/ret.out" "$WORK/ret.err"; fail "retention exited $?"; }
grep -q "^stream s: settings saved (meta_version [0-9]*)$" "$WORK/ret.out" || fail "retention output"
stop_sluiced
grep -qx "retention_hours 48" "$D/streams/s/stream.meta" || fail "the retention setting was lost"
if ! { grep -q "^shard 4 closed " "$D/streams/s/stream.meta" &&
		grep -q "^shard 11 open " "$D/streams/s/stream.meta"; }; then
	fail "the split's table was lost"
fi
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" 2>&1 || { cat "$WORK/verify.out"; fail "verify"; }

check "live scale: a step that fails stops the run, naming it; after the restart a rerun finishes"
SLUICED_TEST_CRASH_AFTER_PUBLISH=0 start_plain rc-scale 12
pid=$SLUICED_PID
expect_exit 1 "stream s: no answer from the running sluiced (pid $pid)" \
	"$SLUICE" scale --data-dir "$D" --stream s --target-shards 4
grep -qx "scale stream s from 6 to 4 open shards: [0-9]* steps, live through the running sluiced" "$WORK/out" ||
	{ cat "$WORK/out"; fail "scale header line"; }
grep -qE "^sluice scale: stream s: step 1 of [0-9]+ \((split of shardId-[0-9]+ at [0-9]+|merge of shardId-[0-9]+ and shardId-[0-9]+)\) failed \(see above\); the steps before it are done and the shard table is consistent: run 'sluice scale' again to continue from the table as it is now$" \
	"$WORK/err" || { cat "$WORK/err"; fail "the failed step is not named"; }
died 134
start_plain rc-scale-rec 12
grep -q "^sluiced: stream s: finished the interrupted .* from its journal" "$WORK/sluiced.out" ||
	{ dump_sluiced; fail "no recovery line"; }
"$SLUICE" scale --data-dir "$D" --stream s --target-shards 4 >"$WORK/scale.out" 2>&1 ||
	{ cat "$WORK/scale.out"; fail "the rerun of sluice scale failed"; }
grep -E "^(scale|split|merged) " "$WORK/scale.out" | sed 's/^/  /' | cut -c1-150
awk '$1 ~ /^shardId-/ && $2 == "open" { print $3, $4 }' "$WORK/scale.out" | sort -n >"$WORK/open"
printf '%s\n' "0 85070591730234615865843651857942052863" \
	"85070591730234615865843651857942052864 170141183460469231731687303715884105727" \
	"170141183460469231731687303715884105728 255211775190703847597530955573826158591" \
	"255211775190703847597530955573826158592 340282366920938463463374607431768211455" >"$WORK/open.want"
diff "$WORK/open" "$WORK/open.want" || fail "open shards after the rerun are not the 4 uniform ranges"
stop_sluiced
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" 2>&1 || { cat "$WORK/verify.out"; fail "verify"; }

check "live scale that would add more than 64 shards is refused up front"
D=$WORK/wide
start_sluiced rc-wide --no-huge --no-shconf -m 512 --no-pci -l 0 -- --data-dir "$D" --stream s:40
cp "$D/streams/s/stream.meta" "$WORK/meta.wide"
expect_exit 1 "stream s: scaling from 40 to 80 open shards adds 80 shards in 40 steps, more than the 64 a running sluiced can add before it is restarted: stop sluiced, run this on the stopped data directory and start sluiced again" \
	"$SLUICE" scale --data-dir "$D" --stream s --target-shards 80
cmp "$D/streams/s/stream.meta" "$WORK/meta.wide" || fail "a refused scale changed stream.meta"
stop_sluiced

echo "PASS: func-dp-reshard-crash"
