#!/usr/bin/env bash
# func-dp-tcp-backpressure: a deliberately slowed log writer
# (SLUICED_TEST_WRITE_BPS=2000000, 2 MB/s, with SLUICED_TEST_LOG_BUFS=8 I/O
# buffers) and senders pushing faster: 3 tcpsend.py connections with every frame
# in flight (~7.5 MB, more than the writer's buffers hold; frames of 40 records:
# a frame must fit in the 64 KiB receive buffer) and socat with ~1.5 MB of lines.
# The receive windows must hold the senders back instead of anything being
# dropped: every record stored exactly once under its acknowledged sequence
# number, no record dropped or failed, and the counters show that the ingest
# stopped reading (tcp_blocked) or the window closed (tcp_window_zero).
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
command -v socat >/dev/null || { echo "SKIP: no socat (deploy/install-deps.sh)"; exit 77; }

check "start sluiced with its log writer slowed to 2 MB/s, 8 log buffers, 64 KiB receive buffers"
SLUICED_TEST_WRITE_BPS=2000000 SLUICED_TEST_LOG_BUFS=8 tcp_start dp-tcp-bp --stream s:2 --stream l:1 \
	--tcp-port 7100:framed:s --tcp-port 7101:lines:l:key=k --tcp-rcvbuf 65536

check "tcpsend.py (3 connections x 60 frames x 40 records of ~1 KiB, all in flight) and socat"
$PY "$TSEND" lines --out-data "$WORK/json.lines" --out "$WORK/exp.json" --stream l \
	--label json --lines 5000 --json-key k --keys 5 --size 600
ip netns exec "$NS" timeout -k 5 100 socat -u "OPEN:$WORK/json.lines" TCP:$SL4:7101 >"$WORK/socat.out" 2>&1 &
SOCAT=$!
BG_PIDS+=("$SOCAT")
nsx timeout -k 5 150 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag bp \
	--connections 3 --frames 60 --records 40 --size 1024 --vary --keys 4 \
	--max-unacked 256 --timeout 140 --close-timeout 60 --out "$WORK/exp.framed" |
	tee "$WORK/send.out" || fail "tcpsend.py failed"
wait "$SOCAT" || { cat "$WORK/socat.out"; fail "socat exited non-zero"; }

WANT=$(($(wc -l <"$WORK/exp.framed") + 5000))
check "wait until the $WANT records are stored and every connection is closed"
wait_stored "$WANT" 90
tcp_wait 30 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.json"
tcp_counters "$WORK/st.json" tcp_accepted tcp_frames tcp_acks tcp_records_acked \
	tcp_records_failed tcp_lines tcp_blocked tcp_window_zero tcp_window_updates \
	tcp_zero_window_probes tcp_rcv_mem tcp_ooo_drops
read -r stored drops fdrops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops /sluice/stats.totals.frame_drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_eq "frames dropped" "$fdrops" 0
expect_counter "$WORK/st.json" tcp_records_failed 0
expect_counter "$WORK/st.json" tcp_frames 180
expect_counter "$WORK/st.json" tcp_acks 180
expect_counter "$WORK/st.json" tcp_lines 5000
check "the window held the senders back"
BLOCKED=$(stat "$WORK/st.json" "sum:stats.core*.tcp_blocked")
WZERO=$(stat "$WORK/st.json" "sum:stats.core*.tcp_window_zero")
[ "$BLOCKED" -gt 0 ] || [ "$WZERO" -gt 0 ] ||
	fail "neither tcp_blocked nor tcp_window_zero counted: the slowed writer did not push back"

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record stored exactly once, in per-connection order, under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:2,l:1 "$WORK/exp.framed" "$WORK/exp.json"

echo "PASS: func-dp-tcp-backpressure"
