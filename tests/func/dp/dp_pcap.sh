#!/usr/bin/env bash
# func-dp-pcap: sluiced replays a generated capture through net_pcap: 2000 senders
# (IPv4 and IPv6, untagged, 802.1Q and QinQ), raw datagrams on one port and frames of
# several records on another (frame hash keys, explicit hash keys), into one stream
# of 4 shards. Then `sluice read` must find every record exactly once with the same
# content, in its hash-key range's shard, in per-sender (raw) and per-key (framed)
# order, and every mbuf must be back in its pool after SIGTERM.
source "$(dirname "$0")/dplib.sh" "$@"

check "generate the capture"
$PCAPGEN good --out "$WORK/cap" --senders 2000 | tee "$WORK/gen.out"
WANT=$(wc -l <"$WORK/cap/expected.tsv")
NPKT=$(sed -n 's/^pcapgen good: \([0-9]*\) packets.*/\1/p' "$WORK/gen.out")

check "start sluiced on net_pcap (one data core), stream s:4, raw 7000, framed 7001"
start_sluiced dp-pcap --no-huge --no-shconf -m 512 --no-pci -l 0,1 \
	--vdev "net_pcap0,rx_pcap=$WORK/cap/q0.pcap" -- \
	--data-dir "$D" --stream s:4 --udp-port 7000:raw --udp-port 7001:framed \
	--ip 10.0.0.1/24 --ip fd00::1/64

check "wait until the $WANT records of $NPKT packets are stored"
wait_stored "$WANT" 120
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" | sed 's/^/  /' | cut -c1-160
read -r rx recs stored drops fdrops pdrops <<<"$(stat "$WORK/st.json" \
	/sluice/stats.totals.rx_packets /sluice/stats.totals.records \
	/sluice/stats.totals.stored /sluice/stats.totals.drops \
	/sluice/stats.totals.frame_drops /sluice/stats.totals.pkt_drops)"
expect_eq "packets received" "$rx" "$NPKT"
expect_eq "packets dropped" "$pdrops" 0
expect_eq "frames dropped" "$fdrops" 0
expect_eq "records dropped" "$drops" 0
expect_eq "records decoded" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"

check "sluice stats: table lists every shard; --watch follows until sluiced exits"
"$SLUICE" stats --file-prefix "$DP_PREFIX" >"$WORK/table" || fail "sluice stats exited $?"
expect_eq "shard lines in the table" "$(grep -c '^s/[0-3] ' "$WORK/table")" 4
grep -q "^0/0 *$NPKT " "$WORK/table" || { cat "$WORK/table"; fail "queue 0/0 line"; }
"$SLUICE" stats --file-prefix "$DP_PREFIX" --json --watch 50 >"$WORK/watch" 2>"$WORK/watch.err" &
WATCH=$!
BG_PIDS+=("$WATCH")
for ((i = 0; i < 200; i++)); do
	[ "$(wc -l <"$WORK/watch")" -ge 2 ] && break
	sleep 0.05
done

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced
rc=0
wait "$WATCH" || rc=$?
expect_eq "sluice stats --watch exit status after sluiced stopped" "$rc" 0
grep -q "has stopped" "$WORK/watch.err" || { cat "$WORK/watch.err"; fail "watch: no 'has stopped'"; }
"$PY" -c 'import json, sys
for l in open(sys.argv[1]): json.loads(l)["/sluice/stats"]["totals"]["stored"]' "$WORK/watch" ||
	fail "--watch --json lines are not the stats JSON"
expect_exit 1 "no running sluiced with file prefix $DP_PREFIX" \
	"$SLUICE" stats --file-prefix "$DP_PREFIX"
expect_exit 2 "--watch '0' is not valid" "$SLUICE" stats --watch 0
expect_exit 2 "give --file-prefix or --socket, not both" "$SLUICE" stats --file-prefix a --socket b

check "every record read back exactly once, in its shard and per-sender/per-key order"
$CHECK records "$SLUICE" "$D" "$WORK/cap/expected.tsv" s:4
expect_eq "records in shards" "$(shard_records s)" "$WANT"
"$SLUICE" verify --data-dir "$D" --stream s >"$WORK/verify.out" ||
	{ cat "$WORK/verify.out"; fail "verify exited $?"; }

echo "PASS: func-dp-pcap"
