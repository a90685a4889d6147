#!/usr/bin/env bash
# func-dp-tcp-idle: the timers and a peer that reads slowly, in two sluiced runs.
# Run 1 (--tcp-idle-timeout 2, keepalive off): a connection idle after its first
# frame is closed by sluiced with a FIN (tcp_closed_idle). Run 2 (idle timeout
# off, --tcp-keepalive 1): an idle connection gets keepalive probes, which the
# kernel answers, stays open 4 s and then takes another frame; and two
# connections with a 4 KiB receive buffer send 1000 frames each while reading no
# ack for 3 s: sluiced meets their zero window with its acks, stops taking
# frames while its send buffer is full, and once they read, every ack arrives.
# Every record is stored exactly once under its acknowledged sequence number.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"

check "run 1: sluiced with --tcp-idle-timeout 2 --tcp-keepalive 0"
tcp_start dp-tcp-idle1 --stream s:2 --tcp-port 7100:framed:s --tcp-idle-timeout 2 \
	--tcp-keepalive 0
check "an idle connection is closed by sluiced (FIN) within 10 s"
nsx timeout -k 5 80 "$PY" "$TSEND" idle --host $SL4 --port 7100 --stream s --tag idle1 \
	--wait 10 --expect close --out "$WORK/exp.idle1" || fail "tcpsend.py idle failed"
tcp_wait 20 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st1.json"
tcp_counters "$WORK/st1.json" tcp_accepted tcp_conns tcp_closed_idle tcp_closed_fin \
	tcp_keepalives tcp_rst_out
expect_counter "$WORK/st1.json" tcp_accepted 1
expect_counter "$WORK/st1.json" tcp_conns 0
expect_counter "$WORK/st1.json" tcp_closed_idle 1
expect_counter "$WORK/st1.json" tcp_keepalives 0
wait_stored 5 10
stop_sluiced

check "run 2: sluiced with --tcp-idle-timeout 0 --tcp-keepalive 1"
tcp_start dp-tcp-idle2 --stream s:2 --tcp-port 7100:framed:s --tcp-idle-timeout 0 \
	--tcp-keepalive 1
check "an idle connection stays open 4 s (keepalives answered), then takes a frame"
nsx timeout -k 5 80 "$PY" "$TSEND" idle --host $SL4 --port 7100 --stream s --tag idle2 \
	--wait 4 --expect open --out "$WORK/exp.idle2" || fail "tcpsend.py idle failed"
check "2 slow readers (SO_RCVBUF 4096, acks read after 3 s) x 1000 frames of 20 records"
nsx timeout -k 5 100 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag slow \
	--connections 2 --frames 1000 --records 20 --size 100 --vary --keys 8 \
	--max-unacked 1000 --rcvbuf 4096 --read-delay 3 --timeout 90 --close-timeout 30 \
	--out "$WORK/exp.slow" | tee "$WORK/slow.out" || fail "tcpsend.py (slow readers) failed"
WANT=$((10 + 40000))
wait_stored "$WANT" 30
tcp_wait 20 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st2.json"
tcp_counters "$WORK/st2.json" tcp_accepted tcp_conns tcp_keepalives tcp_closed_keepalive \
	tcp_closed_fin tcp_frames tcp_acks tcp_blocked tcp_retransmits tcp_bytes_out \
	tcp_ack_too_big
read -r stored drops <<<"$(stat "$WORK/st2.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored (run 2)" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_counter "$WORK/st2.json" tcp_accepted 3
expect_counter "$WORK/st2.json" tcp_conns 0
expect_counter "$WORK/st2.json" tcp_closed_fin 3
expect_counter "$WORK/st2.json" tcp_closed_keepalive 0
expect_counter_ge "$WORK/st2.json" tcp_keepalives 2
expect_counter "$WORK/st2.json" tcp_frames 2002
expect_counter "$WORK/st2.json" tcp_acks 2002
expect_counter_ge "$WORK/st2.json" tcp_blocked 1

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record of both runs stored exactly once under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:2 "$WORK/exp.idle1" "$WORK/exp.idle2" "$WORK/exp.slow"

echo "PASS: func-dp-tcp-idle"
