#!/usr/bin/env bash
# func-dp-tcp-limits: the connection table's limit (--tcp-max-conns 100). 150
# connections open at once: sluiced accepts exactly 100 and refuses 50 with a
# RST (tcp_refused), the 100 send a frame each and get its ack; once they are
# closed, 100 new connections are all accepted (the slots are reused). Every
# acknowledged record stored exactly once, nothing of a refused connection
# stored, no mbuf leaked.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"

check "start sluiced in $NS: framed :7100 -> s:2, --tcp-max-conns 100"
tcp_start dp-tcp-limits --stream s:2 --tcp-port 7100:framed:s --tcp-max-conns 100

check "150 connections at once: 100 accepted, 50 refused"
rm -f "$WORK/ready" "$WORK/go"
ip netns exec "$NS" timeout -k 5 100 "$PY" "$TSEND" framed --host $SL4 --port 7100 \
	--stream s --tag lim1 --connections 150 --frames 1 --records 4 --size 200 --keys 2 \
	--allow-refused --timeout 90 --ready-file "$WORK/ready" --go-file "$WORK/go" \
	--out "$WORK/exp.1" >"$WORK/send.1" 2>&1 &
SENDER=$!
BG_PIDS+=("$SENDER")
for ((i = 0; i < 600; i++)); do
	[ -e "$WORK/ready" ] && break
	kill -0 $SENDER 2>/dev/null || break
	sleep 0.1
done
[ -e "$WORK/ready" ] || { cat "$WORK/send.1"; fail "the connections did not open"; }
tcp_wait 20 "sum:stats.core*.tcp_conns==100" "sum:stats.core*.tcp_refused==50"
touch "$WORK/go"
wait $SENDER || { cat "$WORK/send.1"; fail "tcpsend.py failed"; }
sed 's/^/  /' "$WORK/send.1"
grep -q "^tcpsend: 50 connections refused" "$WORK/send.1" ||
	fail "want 50 connections refused on the client side"
tcp_wait 20 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.1"
tcp_counters "$WORK/st.1" tcp_accepted tcp_refused tcp_conns tcp_rst_out tcp_frames tcp_acks
expect_counter "$WORK/st.1" tcp_accepted 100
expect_counter "$WORK/st.1" tcp_refused 50
expect_counter "$WORK/st.1" tcp_conns 0
expect_counter "$WORK/st.1" tcp_frames 100
expect_counter "$WORK/st.1" tcp_acks 100
expect_eq "records acknowledged" "$(wc -l <"$WORK/exp.1")" 400

check "then 100 new connections: all accepted"
nsx timeout -k 5 100 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag lim2 \
	--connections 100 --frames 2 --records 4 --size 200 --keys 2 --timeout 90 \
	--out "$WORK/exp.2" | tee "$WORK/send.2" || fail "tcpsend.py (second round) failed"
tcp_wait 20 "sum:stats.core*.tcp_conns==0"
wait_stored 1200 30
stats "$WORK/st.2"
tcp_counters "$WORK/st.2" tcp_accepted tcp_refused tcp_conns tcp_frames tcp_acks
expect_counter "$WORK/st.2" tcp_accepted 200
expect_counter "$WORK/st.2" tcp_refused 50
expect_counter "$WORK/st.2" tcp_conns 0
expect_counter "$WORK/st.2" tcp_frames 300
expect_eq "records stored" "$(stat "$WORK/st.2" /sluice/stats.totals.stored)" 1200

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every acknowledged record stored exactly once, nothing else"
$TCHECK records "$SLUICE" "$D" s:2 "$WORK/exp.1" "$WORK/exp.2"

echo "PASS: func-dp-tcp-limits"
