#!/usr/bin/env bash
# func-dp-tcp-conns: thousands of concurrent connections, opened and closed
# repeatedly. Four rounds: tcpsend.py opens 2000 connections at once (ulimit -n
# raised), all of them must be established on sluiced at the same time
# (tcp_conns == 2000), then each sends one small frame, reads its ack and closes
# (rounds 1-3 with FIN, round 4 with RST); tcp_conns must go back to 0, and
# tcp_accepted and the closes in order (FIN) or by the peer's RST grow by
# exactly 2000 per round. Then 1000 connections send two frames each and reset
# at once without reading their acks: the connections and their pending frames
# must all go away (an RST lost in a burst: when the keepalive probe, every 10
# s here, meets the client kernel's RST). No connection closed with FIN may need
# a keepalive probe (that would be a stalled one). At last sluiced gets SIGTERM
# with 500 idle connections open and 2 that are stuck (they read no ack and have
# a 4 KiB receive buffer, so sluiced holds their frames and acks): it must exit
# 0 with every mbuf back in its pool. Then every record is stored exactly once
# under its acknowledged sequence number.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"

ROUNDS=4
N=2000
check "start sluiced in $NS: framed :7100 -> s:2, up to 4096 connections"
tcp_start dp-tcp-conns --stream s:2 --stream b:4 --tcp-port 7100:framed:s \
	--tcp-port 7101:framed:b --tcp-max-conns 4096 --tcp-keepalive 10

EXPS=()
for ((r = 1; r <= ROUNDS; r++)); do
	close=FIN
	extra=()
	[ $r = 4 ] && close=RST && extra=(--close-rst)
	check "round $r: $N connections open at once, closed with $close"
	rm -f "$WORK/ready" "$WORK/go"
	ip netns exec "$NS" bash -c 'ulimit -n 8192 && exec "$@"' sh timeout -k 5 150 "$PY" "$TSEND" framed \
		--host $SL4 --port 7100 --stream s --tag "r$r" --connections $N --frames 1 \
		--records 3 --size 100 --vary --keys 1 --frame-id-base $((r * 10000)) \
		--connect-parallel 200 --timeout 140 --close-timeout 60 \
		--ready-file "$WORK/ready" --go-file "$WORK/go" --out "$WORK/exp.$r" \
		"${extra[@]}" \
		>"$WORK/send.$r" 2>&1 &
	SENDER=$!
	BG_PIDS+=("$SENDER")
	for ((i = 0; i < 1200; i++)); do
		[ -e "$WORK/ready" ] && break
		kill -0 $SENDER 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$WORK/ready" ] || { cat "$WORK/send.$r"; fail "round $r: connections not all open"; }
	tcp_wait 20 "sum:stats.core*.tcp_conns==$N"
	stats "$WORK/st.open.$r"
	expect_counter "$WORK/st.open.$r" tcp_conns $N
	touch "$WORK/go"
	wait $SENDER || { cat "$WORK/send.$r"; fail "round $r: tcpsend.py failed"; }
	sed 's/^/  /' "$WORK/send.$r"
	check "round $r: every connection closed on sluiced, $((r * N)) accepted in all"
	# an RST the tap dropped (a burst of 2000) is not sent again: the connection
	# goes when its keepalive probe (10 s) meets the client kernel's RST
	tcp_wait 60 "sum:stats.core*.tcp_conns==0"
	echo "  namespace side of the tap: $(nsx ip -s link show sltap0 | awk '/TX:/ { getline;
		print "sent " $2 " packets, dropped " $4 }')"
	stats "$WORK/st.$r"
	tcp_counters "$WORK/st.$r" tcp_accepted tcp_conns tcp_half_open tcp_half_open_full \
		tcp_cookies_ok tcp_refused tcp_closed_fin tcp_closed_rst_in tcp_frames tcp_acks \
		tcp_retransmits tcp_tx_full tcp_nombuf tcp_keepalives tcp_delayed_acks
	expect_counter "$WORK/st.$r" tcp_conns 0
	expect_counter "$WORK/st.$r" tcp_accepted $((r * N))
	expect_counter "$WORK/st.$r" tcp_refused 0
	# no connection closed with FIN is idle for the keepalive time (10 s): a
	# probe means one stalled (e.g. a segment lost to a full tx queue,
	# tcp_tx_full, that nothing sent again)
	[ $close = FIN ] && expect_counter "$WORK/st.$r" tcp_keepalives 0
	expect_counter "$WORK/st.$r" tcp_closed_fin $((r < 4 ? r * N : 3 * N))
	expect_counter "$WORK/st.$r" tcp_closed_rst_in $((r < 4 ? 0 : N))
	expect_counter "$WORK/st.$r" tcp_frames $((r * N))
	expect_counter "$WORK/st.$r" tcp_acks $((r * N))
	EXPS+=("$WORK/exp.$r")
done

WANT=$((ROUNDS * N * 3))
wait_stored "$WANT" 30
stats "$WORK/st.json"
read -r stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_counter "$WORK/st.json" tcp_half_open 0

check "1000 connections send 2 frames each and reset at once, acks unread"
nsx bash -c 'ulimit -n 8192 && exec "$@"' sh timeout -k 5 100 "$PY" "$TSEND" framed \
	--host $SL4 --port 7100 --stream s --tag abort --connections 1000 --frames 2 \
	--records 3 --size 100 --vary --keys 1 --connect-parallel 200 --timeout 90 \
	--abort-unacked --out "$WORK/exp.abort" | tee "$WORK/send.abort" ||
	fail "tcpsend.py --abort-unacked failed"
tcp_wait 60 "sum:stats.core*.tcp_conns==0" "sum:stats.core*.tcp_pending_frames==0" \
	"sum:stats.core*.tcp_accepted==$((ROUNDS * N + 1000))"
stats "$WORK/st.abort"
tcp_counters "$WORK/st.abort" tcp_accepted tcp_conns tcp_closed_rst_in tcp_frames tcp_acks \
	tcp_pending_frames tcp_records_acked tcp_completions_stale tcp_half_open
expect_counter "$WORK/st.abort" tcp_conns 0
expect_counter "$WORK/st.abort" tcp_pending_frames 0
expect_counter "$WORK/st.abort" tcp_accepted $((ROUNDS * N + 1000))
read -r stored durable drops <<<"$(stat "$WORK/st.abort" /sluice/stats.totals.stored \
	/sluice/stats.totals.durable /sluice/stats.totals.drops)"
expect_eq "records durable" "$durable" "$stored"
expect_eq "records dropped" "$drops" 0

check "SIGTERM with 500 idle connections open and 2 stuck ones (zero window, frames held)"
rm -f "$WORK/ready" "$WORK/go"
ip netns exec "$NS" bash -c 'ulimit -n 8192 && exec "$@"' sh timeout -k 5 100 "$PY" "$TSEND" framed \
	--host $SL4 --port 7100 --stream s --tag idle --connections 500 --frames 1 \
	--records 1 --size 10 --timeout 90 --ready-file "$WORK/ready" --go-file "$WORK/go" \
	--out "$WORK/exp.idle" >"$WORK/send.idle" 2>&1 &
IDLE=$!
BG_PIDS+=("$IDLE")
ip netns exec "$NS" timeout -k 5 100 "$PY" "$TSEND" framed --host $SL4 --port 7101 --stream b --tag stuck \
	--connections 2 --frames 1000 --records 20 --size 100 --keys 8 --max-unacked 1000 \
	--rcvbuf 4096 --read-delay 1000 --timeout 90 --out "$WORK/exp.stuck" \
	>"$WORK/send.stuck" 2>&1 &
STUCK=$!
BG_PIDS+=("$STUCK")
tcp_wait 30 "sum:stats.core*.tcp_conns==502" "sum:stats.core*.tcp_blocked>=1"
stats "$WORK/st.stuck"
tcp_counters "$WORK/st.stuck" tcp_conns tcp_blocked tcp_pending_frames tcp_rcv_mem \
	tcp_window_zero
expect_counter "$WORK/st.stuck" tcp_conns 502
expect_counter_ge "$WORK/st.stuck" tcp_blocked 1
stop_sluiced
kill -TERM $IDLE $STUCK 2>/dev/null || true
wait $IDLE $STUCK 2>/dev/null || true

check "every record stored exactly once under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:2 "${EXPS[@]}" "maybe:$WORK/exp.abort"

echo "PASS: func-dp-tcp-conns"
