#!/usr/bin/env bash
# func-dp-tcp: TCP ingest on sluiced's data core, exactness. sluiced on net_tap in
# a namespace (dp_tcp_lib.sh) listens on a framed port (stream s) and two lines
# ports (stream l: one taking the partition key from the JSON field "k", one the
# sender's ip:port). Linux TCP clients in the namespace send about 35 MB:
# tcpsend.py (4 IPv4 connections, 1 IPv6 and 2 with an MSS of 88 bytes, frames
# of about 100 records of 0.5-1.5 KiB, acknowledgements read and decoded; and 5
# connections each ending with a bad frame: a REJECTED ack naming its cause),
# socat with JSON lines, socat with plain lines to both lines ports (fixed source
# ports: their key is known),
# and `sluice send` (stdin records with --print-acks, and --generate into stream
# g). After SIGTERM (exit 0, no mbuf leak) every record must be stored exactly
# once, in its shard, in send order per connection, under the sequence number its
# acknowledgement named; the counters must account for every frame, ack, line
# and connection, with nothing dropped.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
command -v socat >/dev/null || { echo "SKIP: no socat (deploy/install-deps.sh)"; exit 77; }

check "start sluiced in $NS: framed :7100 -> s:3, lines :7101 (key=k) and :7102 -> l:2"
tcp_start dp-tcp --stream s:3 --stream l:2 --stream g:1 \
	--tcp-port 7100:framed:s --tcp-port 7101:lines:l:key=k --tcp-port 7102:lines:l \
	--tcp-port 7103:framed:g --tcp-max-conns 64

check "tcpsend.py: 4 IPv4 connections x 80 frames x 100 records (~32 MB), acks decoded"
nsx timeout -k 5 150 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag v4 \
	--connections 4 --frames 80 --records 100 --size 1024 --vary --keys 5 \
	--max-unacked 4 --timeout 140 --out "$WORK/exp.v4" | tee "$WORK/send.v4" ||
	fail "tcpsend.py (IPv4) failed"
check "tcpsend.py: 1 IPv6 connection x 30 frames x 50 records"
nsx timeout -k 5 100 "$PY" "$TSEND" framed --host $SL6 --port 7100 --stream s --tag v6 \
	--connections 1 --frames 30 --records 50 --size 700 --vary --keys 3 \
	--max-unacked 3 --timeout 90 --out "$WORK/exp.v6" | tee "$WORK/send.v6" ||
	fail "tcpsend.py (IPv6) failed"

check "tcpsend.py: 2 connections with MSS 88 (frames over ~1000 segments) x 10 frames"
nsx timeout -k 5 100 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag mss \
	--connections 2 --frames 10 --records 100 --size 1024 --vary --keys 3 --mss 88 \
	--max-unacked 3 --timeout 90 --out "$WORK/exp.mss" | tee "$WORK/send.mss" ||
	fail "tcpsend.py (MSS 88) failed"

check "bad frames after 3 good ones (crc, magic, count, too long, truncated at FIN): closed"
for bad in crc magic count too_long truncated; do
	nsx timeout -k 5 80 "$PY" "$TSEND" reject --host $SL4 --port 7100 --stream s \
		--tag "rej-$bad" --good 3 --bad $bad --out "$WORK/exp.rej.$bad" ||
		fail "tcpsend.py reject --bad $bad failed"
done

check "socat: JSON lines to :7101 (key from field k), plain lines to :7101 and :7102"
$PY "$TSEND" lines --out-data "$WORK/json.lines" --out "$WORK/exp.json" --stream l \
	--label json --lines 3000 --json-key k --keys 7 --size 300
$PY "$TSEND" lines --out-data "$WORK/plain1.lines" --out "$WORK/exp.plain1" --stream l \
	--label plain1 --lines 500 --key 10.99.0.2:40001 --size 200
$PY "$TSEND" lines --out-data "$WORK/plain2.lines" --out "$WORK/exp.plain2" --stream l \
	--label plain2 --lines 800 --key 10.99.0.2:40002 --size 200
nsx timeout -k 5 60 socat -u "OPEN:$WORK/json.lines" TCP:$SL4:7101 ||
	fail "socat (JSON lines) exited $?"
nsx timeout -k 5 60 socat -u "OPEN:$WORK/plain1.lines" TCP:$SL4:7101,sourceport=40001 ||
	fail "socat (plain lines, :7101) exited $?"
nsx timeout -k 5 60 socat -u "OPEN:$WORK/plain2.lines" TCP:$SL4:7102,sourceport=40002 ||
	fail "socat (plain lines, :7102) exited $?"

check "sluice send: 2000 stdin records (key<TAB>data) with --print-acks; --generate 3000"
$PY "$TSEND" lines --out-data "$WORK/send.in" --out "$WORK/exp.send0" --stream s \
	--label send --lines 2000 --keys 4 --size 400 --tab
nsx timeout -k 5 100 "$SLUICE" send --to $SL4:7100 --batch 64 --max-unacked 8 \
	--print-acks "$WORK/send.acks" --timeout 90 <"$WORK/send.in" >"$WORK/send.out" 2>&1 ||
	{ cat "$WORK/send.out"; fail "sluice send (stdin) exited non-zero"; }
sed 's/^/  /' "$WORK/send.out"
grep -q "acknowledged 2000\b" "$WORK/send.out" || fail "sluice send: want 'acknowledged 2000'"
$TCHECK send-acks "$WORK/send.acks" "$WORK/exp.send0" "$WORK/exp.send"
$PY "$TSEND" generated --out "$WORK/exp.gen0" --stream g --n 3000 --size 256 --keys 10
nsx timeout -k 5 100 "$SLUICE" send --to $SL4:7103 --connections 2 --generate 3000 \
	--size 256 --keys 10 --batch 100 --print-acks "$WORK/gen.acks" --timeout 90 \
	>"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out"; fail "sluice send --generate exited non-zero"; }
sed 's/^/  /' "$WORK/gen.out"
grep -q "acknowledged 3000\b" "$WORK/gen.out" || fail "sluice send --generate: want 'acknowledged 3000'"
$TCHECK send-acks "$WORK/gen.acks" "$WORK/exp.gen0" "$WORK/exp.gen"

NV4=$(wc -l <"$WORK/exp.v4")
NV6=$(wc -l <"$WORK/exp.v6")
NLINES=$((3000 + 500 + 800))
NFRAMED=$((NV4 + NV6 + 2000 + 5 * 30 + 2000 + 3000))
WANT=$((NFRAMED + NLINES))
check "wait until the $WANT records are stored and every connection is closed"
wait_stored "$WANT" 60
tcp_wait 30 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" | sed 's/^/  /' | cut -c1-200
tcp_counters "$WORK/st.json" tcp_accepted tcp_conns tcp_frames tcp_acks tcp_ack_groups \
	tcp_records tcp_records_acked tcp_records_failed tcp_lines tcp_line_key_fallback \
	tcp_frame_reject_crc tcp_frame_reject_magic tcp_frame_reject_count tcp_frames_too_long \
	tcp_frame_reject_short \
	tcp_blocked tcp_dup_segs tcp_ooo_segs tcp_window_zero drop_tcp_csum drop_tcp_hdr \
	drop_tcp_port
read -r stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
# 4 + 1 + 2 + 5 tcpsend.py, 3 socat, 1 + 2 sluice send
expect_counter "$WORK/st.json" tcp_accepted 18
expect_counter "$WORK/st.json" tcp_conns 0
# frames sluice send sent (none again: its summary must say "(retransmitted 0)")
send_frames() {
	sed -n 's/.*, frames \([0-9][0-9]*\) (retransmitted 0), reconnects 0$/\1/p' "$1"
}
SF=$(send_frames "$WORK/send.out")
GF=$(send_frames "$WORK/gen.out")
[ -n "$SF" ] && [ -n "$GF" ] || fail "sluice send: no 'frames N (retransmitted 0), reconnects 0'"
FRAMES=$((4 * 80 + 30 + 2 * 10 + 5 * 3 + SF + GF))
expect_counter "$WORK/st.json" tcp_frames "$FRAMES"
# and a REJECTED ack for each bad frame (the truncated one: short)
expect_counter "$WORK/st.json" tcp_acks $((FRAMES + 5))
expect_counter "$WORK/st.json" tcp_frame_reject_short 1
expect_counter "$WORK/st.json" tcp_frame_reject_crc 1
expect_counter "$WORK/st.json" tcp_frame_reject_magic 1
expect_counter "$WORK/st.json" tcp_frame_reject_count 1
expect_counter "$WORK/st.json" tcp_frames_too_long 1
expect_counter "$WORK/st.json" tcp_records_acked "$NFRAMED"
expect_counter "$WORK/st.json" tcp_records_failed 0
expect_counter "$WORK/st.json" tcp_lines "$NLINES"
expect_counter "$WORK/st.json" tcp_line_key_fallback 500
for c in drop_tcp_csum drop_tcp_hdr drop_tcp_port tcp_lines_too_long; do
	expect_counter "$WORK/st.json" $c 0
done

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record stored exactly once, in per-connection order, under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:3,l:2,g:1 "$WORK/exp.v4" "$WORK/exp.v6" "$WORK/exp.mss" "$WORK/exp.rej".* \
	"$WORK/exp.send" "$WORK/exp.json" "$WORK/exp.plain1" "$WORK/exp.plain2" "$WORK/exp.gen"

echo "PASS: func-dp-tcp"
