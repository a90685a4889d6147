#!/usr/bin/env bash
# func-dp-steer: RSS steering's plumbing in a running sluiced (docs/dataplane.md,
# "RSS steering"). sluiced runs two data cores on net_null, the one virtual device
# here whose RETA can be programmed (128 entries; DPDK 22.11): the start-up lines
# must show RSS on and the RETA programmed round-robin, steering on for it, and
# /sluice/steer must answer with the port, its RETA size, 64 entries per queue and
# the learning state. net_null delivers zero-length-content frames of 64 bytes with
# no RSS hash: sluiced drops them by classification, learns nothing, so the table
# must stay as programmed (no update, no entry moved) while intervals pass. With
# --reta-steer-ms 0, and with one data core, steering is off and says why.
#
# What this cannot show: no virtual device both hashes frames (RTE_MBUF_F_RX_RSS_HASH)
# and takes RETA updates, so learning and moving entries end to end needs a NIC;
# tests/unit/ingest/test_flows.c (learning) and tests/unit/net/test_reta.c
# (planning, and writing/reading net_null's table) carry that proof.
source "$(dirname "$0")/dplib.sh" "$@"

# tel CMD FILE: one answer of the running sluiced's telemetry socket, as one JSON
# line {"CMD": {...}} (read with `stat FILE CMD.key...`).
tel() {
	local sock
	sock=$(sed -n 's/^socket //p' "$D/sluiced.run")
	[ -n "$sock" ] || fail "no socket line in $D/sluiced.run"
	"$PY" - "$sock" "$1" >"$2" <<'EOF' || fail "telemetry request $1 failed"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.recv(1 << 16)                      # the server's info object
s.send(sys.argv[2].encode())
print(json.dumps(json.loads(s.recv(1 << 20))))
EOF
}

# stop: stop_sluiced, then remove the EAL runtime directory of this run (dplib's
# cleanup removes only the last one) and its output: start_sluiced may read the
# files before the next sluiced truncates them and take the old "ready" line.
stop() {
	stop_sluiced
	rm -rf "/var/run/dpdk/$DP_PREFIX"
	rm -f "$WORK/sluiced.out" "$WORK/sluiced.err"
}

EAL2=(--no-huge --no-shconf -m 512 --no-pci --lcores '0@0,1@1,2@1' --vdev net_null0)

check "start sluiced on net_null, two data cores, --reta-steer-ms 200"
start_sluiced dp-steer "${EAL2[@]}" -- --data-dir "$D" --stream s:4 \
	--udp-port 7000:raw --ip 10.0.0.1/24 --rx-lcores 1,2 --reta-steer-ms 200
grep -q "^sluiced: port 0 (net_null0, driver net_null) mac .*: 2 rx/tx queues, .*RSS on (symmetric Toeplitz key 6d5a), RETA round-robin over the queues, entries 128," \
	"$WORK/sluiced.out" || { dump_sluiced; fail "start-up line: no RSS with the RETA of 128 entries programmed"; }
grep -qx "sluiced: steer: every 200 ms, RSS hashes learned over 128 buckets; an entry moves with at least 16 records and 60% of them for one core" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "no steering start-up line"; }
grep -qx "sluiced: steer: port 0 (net_null0): 128 RETA entries, per queue 64/64, steered" \
	"$WORK/sluiced.out" || { dump_sluiced; fail "no steering line for port 0"; }

check "/sluice/steer: port 0, 128 entries, 64 per queue, nothing learned, nothing moved"
# Wait (not a timing assertion) until two intervals have passed.
for ((i = 0; i < 200; i++)); do
	tel /sluice/steer "$WORK/steer.json"
	[ "$(stat "$WORK/steer.json" /sluice/steer.intervals)" -ge 2 ] && break
	sleep 0.1
done
sed 's/^/  /' "$WORK/steer.json" | cut -c1-400
read -r state ms cores buckets minr share intervals <<<"$(stat "$WORK/steer.json" \
	/sluice/steer.state /sluice/steer.interval_ms /sluice/steer.data_cores \
	/sluice/steer.learn_buckets /sluice/steer.min_records /sluice/steer.min_share_pct \
	/sluice/steer.intervals)"
expect_eq "state" "$state" on
expect_eq "interval_ms" "$ms" 200
expect_eq "data_cores" "$cores" 2
expect_eq "learn_buckets" "$buckets" 128
expect_eq "min_records" "$minr" 16
expect_eq "min_share_pct" "$share" 60
[ "$intervals" -ge 2 ] || fail "intervals: got $intervals, want at least 2"
read -r name drv reta steered q0 q1 upd moved errs hashed ho <<<"$(stat "$WORK/steer.json" \
	/sluice/steer.port0.name /sluice/steer.port0.driver /sluice/steer.port0.reta_size \
	/sluice/steer.port0.steered /sluice/steer.port0.q0_entries /sluice/steer.port0.q1_entries \
	/sluice/steer.port0.updates /sluice/steer.port0.entries_moved \
	/sluice/steer.port0.update_errors /sluice/steer.port0.last_hashed_records \
	/sluice/steer.port0.last_handed_over)"
expect_eq "port0 name" "$name" net_null0
expect_eq "port0 driver" "$drv" net_null
expect_eq "port0 reta_size" "$reta" 128
expect_eq "port0 steered" "$steered" 1
expect_eq "port0 entries of queue 0" "$q0" 64
expect_eq "port0 entries of queue 1" "$q1" 64
expect_eq "port0 updates (nothing learned)" "$upd" 0
expect_eq "port0 entries moved" "$moved" 0
expect_eq "port0 update errors" "$errs" 0
expect_eq "port0 hashed records (net_null gives no RSS hash)" "$hashed" 0
expect_eq "port0 records handed over" "$ho" 0

check "sluiced stays healthy: net_null's frames received and dropped by classification"
stats "$WORK/st.json"
read -r rx recs stored ho pktd q0rx q1rx <<<"$(stat "$WORK/st.json" \
	/sluice/stats.totals.rx_packets /sluice/stats.totals.records /sluice/stats.totals.stored \
	/sluice/stats.totals.handover /sluice/stats.totals.pkt_drops \
	/sluice/stats.port0.q0_rx_packets /sluice/stats.port0.q1_rx_packets)"
[ "$rx" -gt 0 ] || fail "no frame received from net_null"
[ "$q0rx" -gt 0 ] && [ "$q1rx" -gt 0 ] || fail "queues 0 and 1 got $q0rx and $q1rx frames: want both > 0"
expect_eq "records decoded from net_null's frames" "$recs" 0
expect_eq "records stored" "$stored" 0
expect_eq "records handed over" "$ho" 0
[ "$pktd" -gt 0 ] || fail "pkt_drops: got $pktd, want net_null's frames counted as dropped"
if grep -q "steer:.*moved\|steer:.*failed" "$WORK/sluiced.out" "$WORK/sluiced.err"; then
	dump_sluiced
	fail "steering moved entries or failed without anything learned"
fi

check "SIGTERM: exit 0, no mbuf leak"
stop

check "--reta-steer-ms 0: steering off, the table still reported"
start_sluiced dp-steer0 "${EAL2[@]}" -- --data-dir "$D" --stream s:4 \
	--udp-port 7000:raw --ip 10.0.0.1/24 --rx-lcores 1,2 --reta-steer-ms 0
grep -qx "sluiced: steer: off (--reta-steer-ms 0)" "$WORK/sluiced.out" ||
	{ dump_sluiced; fail "no 'steer: off (--reta-steer-ms 0)' line"; }
tel /sluice/steer "$WORK/steer0.json"
sed 's/^/  /' "$WORK/steer0.json" | cut -c1-400
read -r state buckets reta steered q0 q1 <<<"$(stat "$WORK/steer0.json" \
	/sluice/steer.state /sluice/steer.learn_buckets \
	/sluice/steer.port0.reta_size /sluice/steer.port0.steered \
	/sluice/steer.port0.q0_entries /sluice/steer.port0.q1_entries)"
expect_eq "state" "$state" off
expect_eq "reason" "$(stat "$WORK/steer0.json" /sluice/steer.reason)" "--reta-steer-ms 0"
expect_eq "learn_buckets (the engine learns nothing)" "$buckets" 0
expect_eq "port0 reta_size" "$reta" 128
expect_eq "port0 steered" "$steered" 0
expect_eq "port0 entries of queue 0" "$q0" 64
expect_eq "port0 entries of queue 1" "$q1" 64
stop

check "one data core: steering off (nothing to steer), no RSS, no RETA"
start_sluiced dp-steer1 --no-huge --no-shconf -m 512 --no-pci --lcores '0@0,1@1' \
	--vdev net_null0 -- --data-dir "$D" --stream s:4 --udp-port 7000:raw \
	--ip 10.0.0.1/24 --rx-lcores 1
grep -qx "sluiced: steer: off (one data core: nothing to steer)" "$WORK/sluiced.out" ||
	{ dump_sluiced; fail "no 'steer: off (one data core ...)' line"; }
tel /sluice/steer "$WORK/steer1.json"
read -r state reta steered <<<"$(stat "$WORK/steer1.json" /sluice/steer.state \
	/sluice/steer.port0.reta_size /sluice/steer.port0.steered)"
expect_eq "state" "$state" off
expect_eq "reason" "$(stat "$WORK/steer1.json" /sluice/steer.reason)" \
	"one data core: nothing to steer"
expect_eq "port0 reta_size (one queue: no RSS)" "$reta" 0
expect_eq "port0 steered" "$steered" 0
stop

echo "PASS: func-dp-steer"
