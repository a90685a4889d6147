#!/usr/bin/env bash
# func-dp-reshard: live resharding through the running sluiced (docs/resharding.md,
# "Live"). sluiced runs two data cores on net_tap inside a network namespace this
# test creates; paced real UDP senders (tapsend.py) feed it in the background
# while `sluice split`, `sluice merge` and then `sluice scale` (3 open shards to
# 4 uniform ones: five live steps, each checked against the plan) are sent to it
# over its control socket (found through <data-dir>/sluiced.run); refused
# reshards (closed shard, not adjacent, target out of range) change nothing.
# The senders send no IPv4
# fragments: the kernel would put them on another tap queue than the rest of
# their flow, and two data cores could then store one key out of order whatever
# the resharding does. Afterwards every record sent is
# stored exactly once, each closed parent's last record is its ending sequence
# number, the lineage of every root shard gives each key's records in send order,
# and verify passes. Then the crash case: sluiced aborts right after writing the
# reshard journal (SLUICED_TEST_CRASH_AFTER_JOURNAL), and the next start finishes
# the reshard from the journal: consistent table, nothing lost.
source "$(dirname "$0")/dplib.sh" "$@"

command -v ip >/dev/null || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for net_tap"; exit 77; }
NS=slc-rs-$$
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace (needs root)"; exit 77; }
del_ns() { ip netns del "$NS" 2>/dev/null; }
DP_CLEANUP_HOOKS+=(del_ns)
ip netns exec "$NS" ip link set lo up
nsx() { ip netns exec "$NS" "$@"; }
RSCHECK="$PY $DP_DIR/reshardcheck.py"

check "start sluiced in $NS on net_tap, two data cores, stream s:3"
DP_NETNS=$NS start_sluiced dp-rs --no-huge --no-shconf -m 512 --no-pci --lcores '0@0,1@1,2@1' \
	--vdev net_tap0,iface=slrs0 -- \
	--data-dir "$D" --stream s:3 --ip 10.98.0.1/24 --rx-lcores 1,2 \
	--udp-port 7000:raw --udp-port 7001:framed
for ((i = 0; i < 200; i++)); do
	nsx ip link show slrs0 >/dev/null 2>&1 && break
	sleep 0.05
done
nsx ip link show slrs0 >/dev/null 2>&1 || fail "interface slrs0 did not appear in $NS"
nsx ip addr add 10.98.0.2/24 dev slrs0
nsx ip link set slrs0 up

check "sluiced.run names the running sluiced"
grep -qx "pid $SLUICED_PID" "$D/sluiced.run" || { cat "$D/sluiced.run"; fail "no 'pid $SLUICED_PID' in sluiced.run"; }
grep -q "^socket /.*dpdk_telemetry.v2$" "$D/sluiced.run" || fail "no socket line in sluiced.run"

check "paced senders in the background"
nsx "$PY" "$DP_DIR/tapsend.py" --out "$WORK/expected.tsv" --ip4 10.98.0.1 \
	--senders 40 --raw 100 --frames 40 --rate 700 --no-fragments >"$WORK/send.out" 2>&1 &
SENDER=$!
BG_PIDS+=("$SENDER")
sleep 1

check "live split of shard 0 while records flow"
"$SLUICE" split --data-dir "$D" --stream s --shard 0 \
	--new-starting-hash-key 56713727820156410577229101238628035242 >"$WORK/split.out" 2>&1 ||
	{ cat "$WORK/split.out"; dump_sluiced; fail "sluice split on the running sluiced failed"; }
sed 's/^/  /' "$WORK/split.out" | cut -c1-150
grep -q "^split shardId-000000000000 (ending sequence counter [0-9]*) at .* into shardId-000000000003 and shardId-000000000004, live" \
	"$WORK/split.out" || fail "split output"
sleep 0.7

check "live merge of shards 4 and 1 (adjacent) while records flow"
"$SLUICE" merge --data-dir "$D" --stream s --shard 4 --adjacent-shard 1 >"$WORK/merge.out" 2>&1 ||
	{ cat "$WORK/merge.out"; dump_sluiced; fail "sluice merge on the running sluiced failed"; }
sed 's/^/  /' "$WORK/merge.out" | cut -c1-150
grep -q "^merged shardId-000000000004 (ending sequence counter [0-9]*) and shardId-000000000001 (ending sequence counter [0-9]*) into shardId-000000000005, live" \
	"$WORK/merge.out" || fail "merge output"

check "refusals come back from the running sluiced"
expect_exit 1 "stream s shard shardId-000000000000 is closed" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 0 --new-starting-hash-key 5
expect_exit 1 "are not adjacent" \
	"$SLUICE" merge --data-dir "$D" --stream s --shard 3 --adjacent-shard 2
cp "$D/streams/s/stream.meta" "$WORK/meta.before-scale"
expect_exit 1 "stream s has 3 open shards: --target-shards 7 is more than double or less than half of that; give 2 to 6" \
	"$SLUICE" scale --data-dir "$D" --stream s --target-shards 7
expect_exit 2 "--target-shards is required" "$SLUICE" scale --data-dir "$D" --stream s
cmp "$D/streams/s/stream.meta" "$WORK/meta.before-scale" || fail "a refused scale changed stream.meta"

check "live scale from 3 open shards (ranges 1/6, 1/2, 1/3) to 4 uniform ones while records flow"
"$SLUICE" scale --data-dir "$D" --stream s --target-shards 4 >"$WORK/scale.out" 2>&1 ||
	{ cat "$WORK/scale.out"; dump_sluiced; fail "sluice scale on the running sluiced failed"; }
sed 's/^/  /' "$WORK/scale.out" | cut -c1-150
# 3 splits (5 at 1/4, its upper child at 1/2, 2 at 3/4), then 2 merges ([0, 1/4) and
# [1/2, 3/4)), each one live step with the child index the plan predicted
grep -qx "scale stream s from 3 to 4 open shards: 5 steps, live through the running sluiced" \
	"$WORK/scale.out" || fail "scale header line"
grep -E '^(split|merged) ' "$WORK/scale.out" | sed 's/ (ending sequence counter [0-9]*)//g; s/ (shard map version [0-9]*)//' >"$WORK/steps"
cat >"$WORK/steps.want" <<STEPS
split shardId-000000000005 at 85070591730234615865843651857942052864 into shardId-000000000006 and shardId-000000000007, live
split shardId-000000000007 at 170141183460469231731687303715884105728 into shardId-000000000008 and shardId-000000000009, live
split shardId-000000000002 at 255211775190703847597530955573826158592 into shardId-000000000010 and shardId-000000000011, live
merged shardId-000000000003 and shardId-000000000006 into shardId-000000000012, live
merged shardId-000000000009 and shardId-000000000010 into shardId-000000000013, live
STEPS
diff "$WORK/steps" "$WORK/steps.want" || fail "scale steps"
grep -c "shard map version" "$WORK/scale.out" | grep -qx 5 || fail "not 5 live steps"
awk '$1 ~ /^shardId-/ && $2 == "open" { print $1, $3, $4 }' "$WORK/scale.out" >"$WORK/open"
cat >"$WORK/open.want" <<OPEN
shardId-000000000008 85070591730234615865843651857942052864 170141183460469231731687303715884105727
shardId-000000000011 255211775190703847597530955573826158592 340282366920938463463374607431768211455
shardId-000000000012 0 85070591730234615865843651857942052863
shardId-000000000013 170141183460469231731687303715884105728 255211775190703847597530955573826158591
OPEN
diff "$WORK/open" "$WORK/open.want" || fail "open shards after the live scale are not the 4 uniform ranges"
expect_exit 0 "" "$SLUICE" scale --data-dir "$D" --stream s --target-shards 4
grep -qx "scale stream s from 4 to 4 open shards: 0 steps, live through the running sluiced" "$WORK/out" ||
	{ cat "$WORK/out"; fail "scale to the current count"; }

wait "$SENDER" || { cat "$WORK/send.out"; fail "tapsend.py failed"; }
sed 's/^/  /' "$WORK/send.out"
WANT=$(wc -l <"$WORK/expected.tsv")

check "wait until the $WANT records are stored"
wait_stored "$WANT" 90
stats "$WORK/st.json"
read -r recs stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.records \
	/sluice/stats.totals.stored /sluice/stats.totals.drops)"
expect_eq "records decoded" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
grep "sluiced: stream s:" "$WORK/sluiced.out" | sed 's/^/  /'

check "SIGTERM: exit 0, no mbuf leak, sluiced.run removed"
stop_sluiced
[ ! -e "$D/sluiced.run" ] || fail "sluiced.run left behind"

check "every record stored exactly once in its shard; parents end at their ending seq; lineage order"
"$SLUICE" shards --data-dir "$D" --stream s | cut -c1-60,190- | sed 's/^/  /'
$CHECK records "$SLUICE" "$D" "$WORK/expected.tsv" s:14
$RSCHECK "$SLUICE" "$D" s "$WORK/expected.tsv"
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" 2>&1 || { cat "$WORK/verify.out"; fail "verify"; }

check "crash after the reshard journal: sluiced aborts during a live split"
ulimit -c 0
SLUICED_TEST_CRASH_AFTER_JOURNAL=1 start_sluiced dp-rs-crash --no-huge --no-shconf -m 512 --no-pci \
	-l 0 -- --data-dir "$D" --stream s:14
expect_exit 1 "stream s: no answer from the running sluiced (pid $SLUICED_PID); if it stopped, start it again: a reshard it had begun is finished from its journal at start" \
	"$SLUICE" split --data-dir "$D" --stream s --shard 11 \
	--new-starting-hash-key 300000000000000000000000000000000000000
rc=0
wait "$SLUICED_WRAP" || rc=$?
SLUICED_WRAP=
SLUICED_PID=
[ "$rc" != 0 ] || fail "sluiced did not abort"
grep -q "SLUICED_TEST_CRASH_AFTER_JOURNAL: aborting" "$WORK/sluiced.err" || { dump_sluiced; fail "no abort message"; }
[ -f "$D/streams/s/reshard.journal" ] || fail "no reshard journal after the crash"
sed 's/^/  journal: /' "$D/streams/s/reshard.journal"

check "restart: the split is finished from the journal"
start_sluiced dp-rs-rec --no-huge --no-shconf -m 512 --no-pci -l 0 -- --data-dir "$D" --stream s:14
grep -q "sluiced: stream s: finished the interrupted split from its journal: shardId-000000000011 closed at ending sequence counter" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "no recovery message"; }
[ ! -e "$D/streams/s/reshard.journal" ] || fail "journal left after recovery"
grep -q "child shardId-000000000015 open" "$WORK/sluiced.out" || fail "child 15 not open after recovery"
stop_sluiced
$CHECK records "$SLUICE" "$D" "$WORK/expected.tsv" s:16
$RSCHECK "$SLUICE" "$D" s "$WORK/expected.tsv"
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" 2>&1 || { cat "$WORK/verify.out"; fail "verify"; }

echo "PASS: func-dp-reshard"
