#!/usr/bin/env bash
# func-dp-tcp-hostile: hostile segments (scapy, tcphostile.py) from the namespace
# while a legitimate tcpsend.py connection streams frames. With its connection
# idle at a known point (every frame acknowledged, so RCV.NXT and SND.NXT are
# exact), tcphostile.py injects on its 4-tuple: data outside the window, data
# with bad TCP checksums, a bad header, blind RSTs (in and out of the window),
# blind SYNs and ACKs of unsent data, and SYNs to a closed port; then floods the
# port with SYNs from random addresses of the subnet and sends ACKs with bad
# cookies. Meanwhile 10 new connections are opened. Every drop must be counted
# under its cause, the RFC 5961 challenge ACKs sent, the half-open table overflow
# answered with SYN cookies, the legitimate and new connections complete with
# every record stored exactly once (none holding the injected "HOSTILE" bytes),
# and no mbuf leaked.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"

# no timestamp option on the namespace's connections: injected segments need none
nsx sysctl -qw net.ipv4.tcp_timestamps=0

check "start sluiced in $NS: framed :7100 -> s:2"
tcp_start dp-tcp-hostile --stream s:2 --tcp-port 7100:framed:s --tcp-max-conns 256

check "tcphostile.py sniffs the handshake; tcpsend.py streams and pauses after 20 frames"
ip netns exec "$NS" timeout -k 5 100 "$PY" "$DP_DIR/tcphostile.py" --iface sltap0 --dst $SL4 --port 7100 \
	--ready-file "$WORK/h.ready" --pause-file "$WORK/pause" --resume-file "$WORK/resume" \
	--flooded-file "$WORK/flooded" --stop-file "$WORK/stop" --flood 3000 --max-s 90 \
	>"$WORK/hostile.out" 2>&1 &
HOSTILE=$!
BG_PIDS+=("$HOSTILE")
for ((i = 0; i < 300; i++)); do
	[ -e "$WORK/h.ready" ] && break
	kill -0 $HOSTILE 2>/dev/null || break
	sleep 0.1
done
[ -e "$WORK/h.ready" ] || { cat "$WORK/hostile.out"; fail "tcphostile.py did not start"; }
ip netns exec "$NS" timeout -k 5 120 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag legit \
	--connections 1 --frames 60 --records 50 --size 1024 --vary --keys 3 --max-unacked 4 \
	--frame-gap-ms 30 --pause-after 20 --pause-file "$WORK/pause" \
	--resume-file "$WORK/resume" --timeout 110 --out "$WORK/exp.legit" \
	>"$WORK/legit.out" 2>&1 &
LEGIT=$!
BG_PIDS+=("$LEGIT")

check "after the injection, during the SYN flood: 10 new connections complete"
for ((i = 0; i < 600; i++)); do
	[ -e "$WORK/flooded" ] && break
	kill -0 $HOSTILE 2>/dev/null || break
	sleep 0.1
done
[ -e "$WORK/flooded" ] || { cat "$WORK/hostile.out" "$WORK/legit.out"; fail "no SYN flood"; }
nsx timeout -k 5 60 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag new \
	--connections 10 --frames 3 --records 20 --size 300 --keys 2 --timeout 50 \
	--out "$WORK/exp.new" | tee "$WORK/new.out" || { touch "$WORK/stop"; fail "new connections failed"; }
touch "$WORK/stop"
wait $LEGIT || { cat "$WORK/legit.out"; fail "the legitimate connection failed"; }
sed 's/^/  /' "$WORK/legit.out"
wait $HOSTILE || { cat "$WORK/hostile.out"; fail "tcphostile.py failed"; }
sed 's/^/  /' "$WORK/hostile.out"
sent() { sed -n "s/^sent $1 //p" "$WORK/hostile.out"; }
FLOOD=$(sent flood_syn)

WANT=$(($(wc -l <"$WORK/exp.legit") + $(wc -l <"$WORK/exp.new")))
check "wait until the $WANT records are stored and every connection is closed"
wait_stored "$WANT" 60
tcp_wait 30 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.json"
tcp_counters "$WORK/st.json" tcp_accepted tcp_conns drop_tcp_csum drop_tcp_hdr \
	drop_tcp_port tcp_out_of_window tcp_bad_rst tcp_out_of_window_rst tcp_bad_syn \
	tcp_bad_ack tcp_challenge_acks tcp_challenge_limited tcp_closed_rst_in tcp_syn_in \
	tcp_half_open tcp_half_open_full tcp_cookies_ok tcp_cookies_bad tcp_no_conn \
	tcp_rst_out tcp_rst_limited tcp_frame_reject_crc
read -r stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
check "every hostile segment counted under its cause"
expect_counter "$WORK/st.json" drop_tcp_csum $(($(sent bad_csum) + $(sent bad_csum_syn)))
expect_counter "$WORK/st.json" drop_tcp_hdr "$(sent bad_hdr)"
expect_counter "$WORK/st.json" drop_tcp_port "$(sent closed_port)"
expect_counter "$WORK/st.json" tcp_out_of_window "$(sent oow_data)"
expect_counter "$WORK/st.json" tcp_bad_rst "$(sent rst_in_window)"
expect_counter "$WORK/st.json" tcp_out_of_window_rst "$(sent rst_out_of_window)"
expect_counter "$WORK/st.json" tcp_bad_syn "$(sent syn_established)"
expect_counter "$WORK/st.json" tcp_bad_ack "$(sent bad_ack)"
expect_counter "$WORK/st.json" tcp_challenge_acks \
	$(($(sent rst_in_window) + $(sent syn_established) + $(sent bad_ack)))
expect_counter "$WORK/st.json" tcp_closed_rst_in 0
check "the SYN flood overflowed the half-open table into SYN cookies; new connections accepted"
# the SYNs: the flood's, the legitimate connection's and the 10 new ones
expect_counter "$WORK/st.json" tcp_syn_in $((FLOOD + 11))
# the half-open table (1024 by default) took the legitimate SYN and the first of
# the flood; the rest of the flood and the new connections got cookies
expect_counter_ge "$WORK/st.json" tcp_half_open_full $((FLOOD - 1024))
expect_counter "$WORK/st.json" tcp_cookies_ok 10
expect_counter "$WORK/st.json" tcp_cookies_bad "$(sent bad_cookie)"
expect_counter "$WORK/st.json" tcp_accepted 11
expect_counter "$WORK/st.json" tcp_frame_reject_crc 0

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every legitimate record stored exactly once, nothing hostile stored"
$TCHECK records "$SLUICE" "$D" s:2 "$WORK/exp.legit" "$WORK/exp.new"

echo "PASS: func-dp-tcp-hostile"
