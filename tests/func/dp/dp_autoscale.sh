#!/usr/bin/env bash
# func-dp-autoscale: sluiced splits a hot shard and merges it back by itself
# (docs/autoscale.md). sluiced runs one data core on net_tap inside a network
# namespace this test creates, stream s of 2 shards, policy split-rps 600,
# merge-rps 50, 2..3 shards, window and cooldown 2 s. Paced real UDP senders
# (tapsend.py) make a skewed load: for about 8 s, 800 records/s of framed records
# whose explicit hash keys all lie in [23, 25) * 2^120, a narrow part of shard 0's
# range (its histogram buckets are 2^121 keys wide); and 150 records/s to shard 1
# (between the two thresholds) until the test saw the merge, so that shard 1 is
# not cold meanwhile and the only cold pair is the split's two halves. Each
# condition is waited for with a generous bound, then asserted exactly:
# - shard 0 is split once, at a bucket boundary within one bucket width of the
#   median hash key of the hot records sent, into shards 2 and 3 (map version 2);
#   the printed decision and the autoscale.log line carry the figures; the
#   halves (about 400 records/s each) are not hot, but when the machine is busy
#   the data core may fall behind and catch up in a burst that makes one look
#   hot for a window: then it is held at max-shards 3, which is allowed (only
#   for shards 2 and 3, only between the split and the merge, no other split);
# - once the hot load stops, the two children are merged back into shard 4 (map
#   version 3): open shards are 4 and 1 again, and nothing else happens
#   (min-shards 2), not even when shard 1's load stops too;
# - /sluice/autoscale counts 1 split, 1 merge, 0 refused; `sluice shards` shows
#   the policy and both decisions while sluiced runs and after it stopped;
# - every record stored exactly once (dpcheck.py records), lineage order and
#   ending sequence numbers (reshardcheck.py), sluice verify, SIGTERM exit 0
#   with no mbuf leak.
source "$(dirname "$0")/dplib.sh" "$@"

command -v ip >/dev/null || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for net_tap"; exit 77; }
NS=slc-as-$$
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace (needs root)"; exit 77; }
del_ns() { ip netns del "$NS" 2>/dev/null; }
DP_CLEANUP_HOOKS+=(del_ns)
ip netns exec "$NS" ip link set lo up
nsx() { ip netns exec "$NS" "$@"; }
RSCHECK="$PY $DP_DIR/reshardcheck.py"
LOG=$D/streams/s/autoscale.log
# 128-bit hash keys: python's integers
HOT_LO=$($PY -c 'print(23 << 120)')
HOT_HI=$($PY -c 'print((25 << 120) - 1)')
WARM_LO=$($PY -c 'print((1 << 127) + (1 << 125))')
WARM_HI=$($PY -c 'print((1 << 127) + (1 << 125) + (1 << 120))')

# wait_log PATTERN TIMEOUT_S: until a line of autoscale.log matches (a wait, not an assertion)
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$1" "$LOG" 2>/dev/null && return 0
		kill -0 "$SLUICED_PID" 2>/dev/null || { dump_sluiced; fail "sluiced exited"; }
		sleep 0.1
	done
	dump_sluiced
	cat "$LOG" >&2 || true
	fail "no autoscale.log line matching '$1' within $2 s"
}

check "bad policies are refused at start with a message naming the problem"
BAD=(--no-huge --no-shconf -m 128 --no-pci -l 0 --file-prefix "sluice-as-bad-$$")
bad_rm() { rm -rf "/var/run/dpdk/sluice-as-bad-$$"; }
DP_CLEANUP_HOOKS+=(bad_rm)
expect_exit 1 "--autoscale 's:split-rps=500,merge-rps=300' is not valid: merge-rps 300 must be below half of split-rps 500 (hysteresis" \
	"$SLUICED" "${BAD[@]}" -- --data-dir "$D" --stream s:2 --autoscale s:split-rps=500,merge-rps=300
expect_exit 1 "--autoscale 's:split-rate=5' is not valid: unknown key 'split-rate' (keys: split-rps," \
	"$SLUICED" "${BAD[@]}" -- --data-dir "$D" --stream s:2 --autoscale s:split-rate=5
expect_exit 1 "--autoscale 's:merge-rps=5' is not valid: no split criterion: give split-rps or split-bps" \
	"$SLUICED" "${BAD[@]}" -- --data-dir "$D" --stream s:2 --autoscale s:merge-rps=5
expect_exit 1 "--autoscale 's:split-rps=5,min-shards=4,max-shards=3' is not valid: min-shards 4 is above max-shards 3" \
	"$SLUICED" "${BAD[@]}" -- --data-dir "$D" --stream s:2 --autoscale s:split-rps=5,min-shards=4,max-shards=3
expect_exit 1 "sluiced: --autoscale t:...: sluiced does not ingest stream t (add --stream t:SHARDS)" \
	"$SLUICED" "${BAD[@]}" -- --data-dir "$D" --stream s:2 --autoscale s:split-rps=5 \
	--autoscale t:split-rps=5
[ ! -e "$LOG" ] || fail "a refused policy wrote $LOG"
bad_rm

check "start sluiced in $NS on net_tap, one data core, stream s:2, autoscale policy"
DP_NETNS=$NS start_sluiced dp-as --no-huge --no-shconf -m 512 --no-pci -l 0-1 \
	--vdev net_tap0,iface=slas0 -- \
	--data-dir "$D" --stream s:2 --ip 10.97.0.1/24 --udp-port 7001:framed \
	--autoscale s:split-rps=600,merge-rps=50,min-shards=2,max-shards=3,window-s=2,cooldown-s=2
for ((i = 0; i < 200; i++)); do
	nsx ip link show slas0 >/dev/null 2>&1 && break
	sleep 0.05
done
nsx ip link show slas0 >/dev/null 2>&1 || fail "interface slas0 did not appear in $NS"
nsx ip addr add 10.97.0.2/24 dev slas0
nsx ip link set slas0 up
grep -qxF "sluiced: autoscale: stream s: split a shard above 600 records/s, merge two adjacent shards both below 50 records/s, 2..3 open shards, window 2 s, cooldown 2 s; decisions in $LOG" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "no policy line printed"; }
[ "$(wc -l <"$LOG")" = 1 ] || fail "autoscale.log should hold the policy line only"
grep -qF "{\"policy\":{\"stream\":\"s\",\"window_s\":2,\"split_rps\":600,\"split_bps\":0,\"merge_rps\":50,\"merge_bps\":0,\"min_shards\":2,\"max_shards\":3,\"cooldown_s\":2},\"pid\":$SLUICED_PID}" \
	<(sed 's/^{"v":1,"time_ms":[0-9]*,/{/' "$LOG") || { cat "$LOG"; fail "policy line of autoscale.log"; }

check "skewed load: 8 s of 800 records/s into [23, 25) * 2^120 of shard 0; 150 records/s to shard 1"
nsx "$PY" "$DP_DIR/tapsend.py" --out "$WORK/hot.tsv" --ip4 10.97.0.1 --tag hot \
	--senders 8 --raw 0 --frames 100 --records-per-frame 8 --keys-per-sender 16 \
	--ehk-range "$HOT_LO:$HOT_HI" --rate 100 >"$WORK/hot.out" 2>&1 &
HOT=$!
BG_PIDS+=("$HOT")
nsx "$PY" "$DP_DIR/tapsend.py" --out "$WORK/warm.tsv" --ip4 10.97.0.1 --tag warm --seed 5 \
	--senders 1 --raw 0 --frames 6000 --records-per-frame 2 --ehk-range "$WARM_LO:$WARM_HI" \
	--rate 75 --stop-file "$WORK/stop-warm" >"$WORK/warm.out" 2>&1 &
WARM=$!
BG_PIDS+=("$WARM")

check "the hot shard 0 is split while the load runs"
wait_log '"action":"split"' 40
wait "$HOT" || { cat "$WORK/hot.out"; fail "hot tapsend.py failed"; }
sed 's/^/  /' "$WORK/hot.out"
expect_eq "hot records sent" "$(wc -l <"$WORK/hot.tsv")" 6400

check "the hot load stopped: the two children are merged back; then shard 1's load stops"
wait_log '"action":"merge"' 40
touch "$WORK/stop-warm"
wait "$WARM" || { cat "$WORK/warm.out"; fail "warm tapsend.py failed"; }
sed 's/^/  /' "$WORK/warm.out"
grep -q "(stopped by --stop-file)$" "$WORK/warm.out" ||
	fail "shard 1's sender ran out of frames before the merge (so shard 1 may have been cold)"
cat "$WORK/hot.tsv" "$WORK/warm.tsv" >"$WORK/expected.tsv"
WANT=$(wc -l <"$WORK/expected.tsv")
wait_stored "$WANT" 60
stats "$WORK/st.json"
read -r recs stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.records \
	/sluice/stats.totals.stored /sluice/stats.totals.drops)"
expect_eq "records decoded" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
# Past the merge nothing is left to decide, even with shard 1 now idle (min-shards
# 2). Let two more windows pass so that a wrong extra decision would show in the
# exact checks below (waiting longer can only make this stricter, never flaky).
sleep 5
grep "sluiced: autoscale:" "$WORK/sluiced.out" | cut -c1-250 | sed 's/^/  /'

check "exactly one split at the hot keys' median and one merge of its children, with figures"
HOLDS=$(grep -c '"action":"hold"' "$LOG" || true)
NDEC=$((2 + HOLDS))
expect_eq "autoscale lines printed (policy, split, $HOLDS holds, merge)" \
	"$(grep -c "sluiced: autoscale: stream s: " "$WORK/sluiced.out")" $((1 + NDEC))
expect_eq "printed hold lines of shards 2 and 3 at max-shards" \
	"$(grep -cE "^sluiced: autoscale: stream s: hold shardId-00000000000[23]: [0-9]+\.[0-9] records/s \([0-9.]+ kB/s\) over [0-9.]+ s > split-rps 600, but the stream has 3 open shards, max-shards 3$" "$WORK/sluiced.out" || true)" "$HOLDS"
grep -qE "^sluiced: autoscale: stream s: split shardId-000000000000 at [0-9]+: [0-9]+\.[0-9] records/s \([0-9.]+ kB/s\) over [0-9.]+ s > split-rps 600; sides [0-9]+\.[0-9]/[0-9]+\.[0-9] records/s; children shardId-000000000002 and shardId-000000000003, shard map version 2$" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "split decision line"; }
grep -qE "^sluiced: autoscale: stream s: merge shardId-000000000002 and shardId-000000000003: [0-9]+\.[0-9] and [0-9]+\.[0-9] records/s \([0-9.]+ k?B/s and [0-9.]+ k?B/s\) over [0-9.]+ s < merge-rps 50, 3 open shards > min-shards 2; into shardId-000000000004, shard map version 3$" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "merge decision line"; }
"$PY" - "$LOG" "$WORK/hot.tsv" "$SLUICED_PID" <<'EOF' || fail "autoscale.log decisions"
import json, sys

log, hot, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [json.loads(x) for x in open(log)]
def fail(m):
    sys.stderr.write("FAIL: %s\n" % m)
    for x in lines:
        sys.stderr.write("  %s\n" % json.dumps(x))
    sys.exit(1)
acts = [x.get("action", "policy") for x in lines]
holds = [x for x in lines if x.get("action") == "hold"]
if acts != ["policy", "split"] + ["hold"] * len(holds) + ["merge"]:
    fail("want a policy line, a split, holds only, a merge; got %s" % acts)
for h in holds:
    if (h["shards"] not in ([2], [3]) or h["reason"] != "max-shards" or h["open_shards"] != 3
            or not h["rps"][0] > 600 or h["outcome"] != "held"):
        fail("hold %s: want shard 2 or 3 above split-rps, held at max-shards 3" % h)
pol, sp, mg = lines[0], lines[1], lines[-1]
if pol["pid"] != pid:
    fail("policy pid %s, sluiced pid %d" % (pol["pid"], pid))
# the hot records' median hash key, by records (each key keeps its explicit hash key)
routes = sorted(int(l.split("\t")[3]) for l in open(hot))
median = routes[len(routes) // 2]
width = 1 << 121                       # shard 0 is [0, 2^127 - 1]: 64 buckets of 2^121
key = int(sp["key"])
print("  split at %d = %d buckets + %d; hot median %d (%.3f buckets); sides %s records/s" % (
    key, key // width, key % width, median, median / width, sp["sides"]))
if key % width != 0:
    fail("split key %d is not a bucket boundary of shard 0" % key)
if abs(key - median) > width:
    fail("split key %d is more than one bucket (%d) from the hot median %d" % (key, width, median))
for k, v in (("stream", "s"), ("shards", [0]), ("criterion", "records"), ("window_s", 2),
             ("split_rps", 600), ("merge_rps", 50), ("min_shards", 2), ("max_shards", 3),
             ("open_shards", 2), ("outcome", "ok"), ("error", ""), ("children", [2, 3]),
             ("map_version", 2)):
    if sp.get(k) != v:
        fail("split %s: got %r, want %r" % (k, sp.get(k), v))
# samples are at least 900 ms apart (autoscale.c), so 2 of them span at least 1.8 s
if not sp["rps"][0] > 600 or not sp["bps"][0] > 0 or not sp["span_ms"] >= 1800:
    fail("split figures: rps %s bps %s span_ms %s" % (sp["rps"], sp["bps"], sp["span_ms"]))
if not (sp["sides"][0] > 0 and sp["sides"][1] > 0):
    fail("split sides %s: both sides should carry hot traffic" % sp["sides"])
if not sp["text"].startswith("split shardId-000000000000 at %d: " % key):
    fail("split text: %s" % sp["text"])
for k, v in (("stream", "s"), ("shards", [2, 3]), ("siblings", True), ("open_shards", 3),
             ("outcome", "ok"), ("children", [4]), ("map_version", 3)):
    if mg.get(k) != v:
        fail("merge %s: got %r, want %r" % (k, mg.get(k), v))
if not all(r < 50 for r in mg["rps"]):
    fail("merge rates %s not below merge-rps 50" % mg["rps"])
if not mg["time_ms"] > sp["time_ms"]:
    fail("merge before split")
print("  autoscale.log: policy, split of shard 0 at the hot median, %d holds, merge of 2 and "
      "3 into 4" % len(holds))
EOF

check "/sluice/autoscale counts 1 split, 1 merge, 0 refused, $HOLDS held"
SOCK=$(sed -n 's/^socket //p' "$D/sluiced.run")
"$PY" - "$SOCK" "$HOLDS" <<'EOF' || fail "/sluice/autoscale"
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
s.send(b"/sluice/autoscale")
a = json.loads(s.recv(65536).decode())["/sluice/autoscale"]
s.close()
holds = int(sys.argv[2])
want = {"state": "running", "policies": 1, "splits": 1, "merges": 1, "refused": 0,
        "held": holds, "decisions": 2 + holds}
got = {k: a.get(k) for k in want}
if got != want:
    sys.exit("FAIL: /sluice/autoscale %s, want %s" % (got, want))
p = a["policy0"]
if (p["stream"], p["split_rps"], p["merge_rps"], p["open_shards"], p["splits"], p["merges"]) != (
        "s", 600, 50, 2, 1, 1):
    sys.exit("FAIL: policy0 %s" % p)
# the last 8 decisions, newest first: the merge, the holds, the split
d0 = a["decision0"]
if (d0["action"], d0["shard0"], d0["shard1"], d0["child0"], d0["outcome"]) != (
        "merge", 2, 3, 4, "ok"):
    sys.exit("FAIL: decision0 (newest) %s" % d0)
for k in range(1, min(1 + holds, 8)):
    d = a["decision%d" % k]
    if (d["action"], d["outcome"]) != ("hold", "held") or d["shard0"] not in (2, 3):
        sys.exit("FAIL: decision%d %s" % (k, d))
if 1 + holds < 8:
    d = a["decision%d" % (1 + holds)]
    if (d["action"], d["shard0"], d["child0"], d["child1"], d["map_version"]) != (
            "split", 0, 2, 3, 2):
        sys.exit("FAIL: decision%d %s" % (1 + holds, d))
    if "decision%d" % (2 + holds) in a:
        sys.exit("FAIL: a decision before the split: %s" % a["decision%d" % (2 + holds)])
print("  /sluice/autoscale: splits 1, merges 1, refused 0, held %d; newest first: merge, "
      "%d holds, split" % (holds, holds))
EOF

check "sluice shards on the running sluiced: open shards 4 and 1, the policy, both decisions"
"$SLUICE" shards --data-dir "$D" --stream s >"$WORK/shards.out" ||
	{ cat "$WORK/shards.out"; fail "sluice shards"; }
cut -c1-160 "$WORK/shards.out" | sed 's/^/  /'
expect_eq "open shards" "$(awk '$1 ~ /^shardId-/ && $2 == "open" { print $1 }' "$WORK/shards.out" | tr '\n' ' ')" \
	"shardId-000000000001 shardId-000000000004 "
grep -qE "^autoscale: policy of sluiced pid $SLUICED_PID \(started [0-9T:.-]+Z, running\): split-rps 600, split-bps off, merge-rps 50, merge-bps off, min-shards 2, max-shards 3, window-s 2, cooldown-s 2$" \
	"$WORK/shards.out" || fail "policy line of sluice shards"
grep -qx "autoscale: $NDEC decisions, the last $((NDEC < 10 ? NDEC : 10)):" "$WORK/shards.out" ||
	fail "decision count line"
[ "$NDEC" -gt 10 ] ||   # else the split is older than the last 10 decisions shown
	grep -qE "^  [0-9T:.-]+Z split shardId-000000000000 at [0-9]+: .*children shardId-000000000002 and shardId-000000000003, shard map version 2$" \
	"$WORK/shards.out" || fail "split line of sluice shards"
grep -qE "^  [0-9T:.-]+Z merge shardId-000000000002 and shardId-000000000003: .*into shardId-000000000004, shard map version 3$" \
	"$WORK/shards.out" || fail "merge line of sluice shards"

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced
"$SLUICE" shards --data-dir "$D" --stream s >"$WORK/shards2.out" || fail "sluice shards after stop"
grep -qE "^autoscale: policy of sluiced pid [0-9]+ \(started [0-9T:.-]+Z, not running\): " \
	"$WORK/shards2.out" || { cat "$WORK/shards2.out"; fail "stopped policy line"; }
expect_eq "decision lines after stop" \
	"$(grep -cE '^  [0-9T:.-]+Z (split|hold|merge) ' "$WORK/shards2.out")" $((NDEC < 10 ? NDEC : 10))

check "every record stored exactly once in its shard; parents end at their ending seq; lineage order"
$CHECK records "$SLUICE" "$D" "$WORK/expected.tsv" s:5
$RSCHECK "$SLUICE" "$D" s "$WORK/expected.tsv"
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" 2>&1 || { cat "$WORK/verify.out"; fail "verify"; }

echo "PASS: func-dp-autoscale"
