#!/usr/bin/env bash
# func-dp-tcp-chaos: TCP ingest through a lossy path. Loss, duplication and
# reordering come from `tc netem` on the namespace's side of the tap where the
# kernel has sch_netem; else from sluiced's test hook SLUICED_TEST_CHAOS, which
# makes its data core drop, duplicate and reorder TCP segments in both directions.
# tcpsend.py (4 connections, ~8 MB of frames), `sluice send --generate` and socat
# (JSON lines) must still get every record stored exactly once, in order, under
# its acknowledged sequence number; the counters must show that the chaos happened (duplicate and
# out-of-order segments kept or trimmed, and with the hook, sluiced's own
# retransmissions) and that nothing was dropped.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
command -v socat >/dev/null || { echo "SKIP: no socat (deploy/install-deps.sh)"; exit 77; }

CHAOS="loss=0.03,dup=0.03,reorder=0.05,seed=11"
if nsx tc qdisc add dev lo root netem loss 1% 2>/dev/null; then
	nsx tc qdisc del dev lo root
	NETEM=1
	check "tc netem is available: loss, duplication and reordering on sltap0 (namespace egress)"
	tcp_start dp-tcp-chaos --stream s:2 --stream l:1 --tcp-port 7100:framed:s \
		--tcp-port 7101:lines:l:key=k
	nsx tc qdisc add dev sltap0 root netem delay 2ms loss 3% duplicate 3% reorder 25% 50% ||
		fail "tc netem on sltap0"
else
	NETEM=0
	check "no sch_netem in this kernel: sluiced's SLUICED_TEST_CHAOS=$CHAOS"
	SLUICED_TEST_CHAOS=$CHAOS tcp_start dp-tcp-chaos --stream s:2 --stream l:1 \
		--tcp-port 7100:framed:s --tcp-port 7101:lines:l:key=k
fi

check "tcpsend.py: 4 connections x 40 frames x 50 records of ~1 KiB through the chaos"
nsx timeout -k 5 150 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag chaos \
	--connections 4 --frames 40 --records 50 --size 1024 --vary --keys 4 \
	--max-unacked 4 --timeout 140 --close-timeout 60 --out "$WORK/exp.framed" |
	tee "$WORK/send.out" || fail "tcpsend.py failed"

check "socat: 1500 JSON lines through the chaos"
$PY "$TSEND" lines --out-data "$WORK/json.lines" --out "$WORK/exp.json" --stream l \
	--label json --lines 1500 --json-key k --keys 5 --size 300
nsx timeout -k 5 100 socat -u "OPEN:$WORK/json.lines" TCP:$SL4:7101 ||
	fail "socat exited $?"

check "sluice send --generate 3000 on 2 connections through the chaos, --print-acks"
$PY "$TSEND" generated --out "$WORK/exp.gen0" --stream s --n 3000 --size 300 --keys 6
nsx timeout -k 5 100 "$SLUICE" send --to $SL4:7100 --connections 2 --generate 3000 \
	--size 300 --keys 6 --batch 100 --print-acks "$WORK/gen.acks" --timeout 90 \
	>"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out"; fail "sluice send exited non-zero"; }
sed 's/^/  /' "$WORK/gen.out"
GF=$(sed -n 's/.*, frames \([0-9][0-9]*\) (retransmitted 0), reconnects 0$/\1/p' "$WORK/gen.out")
[ -n "$GF" ] || fail "sluice send: want 'frames N (retransmitted 0), reconnects 0'"
$TCHECK send-acks "$WORK/gen.acks" "$WORK/exp.gen0" "$WORK/exp.gen"

WANT=$(($(wc -l <"$WORK/exp.framed") + 3000 + 1500))
check "wait until the $WANT records are stored and every connection is closed"
wait_stored "$WANT" 90
tcp_wait 60 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.json"
tcp_counters "$WORK/st.json" tcp_accepted tcp_conns tcp_frames tcp_acks tcp_records_acked \
	tcp_lines tcp_dup_segs tcp_dup_bytes tcp_ooo_segs tcp_ooo_drops tcp_retransmits \
	tcp_out_of_window tcp_window_zero drop_tcp_csum
read -r stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_counter "$WORK/st.json" tcp_accepted 7
expect_counter "$WORK/st.json" tcp_conns 0
expect_counter "$WORK/st.json" tcp_frames $((160 + GF))
expect_counter "$WORK/st.json" tcp_acks $((160 + GF))
expect_counter "$WORK/st.json" tcp_records_acked $((WANT - 1500))
expect_counter "$WORK/st.json" tcp_lines 1500
expect_counter "$WORK/st.json" drop_tcp_csum 0
check "the chaos happened: duplicate and out-of-order segments seen"
expect_counter_ge "$WORK/st.json" tcp_dup_segs 1
expect_counter_ge "$WORK/st.json" tcp_ooo_segs 1
if [ "$NETEM" = 0 ]; then
	check "and sluiced retransmitted what its side lost (acks, FINs)"
	expect_counter_ge "$WORK/st.json" tcp_retransmits 1
fi

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record stored exactly once, in per-connection order, under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:2,l:1 "$WORK/exp.framed" "$WORK/exp.gen" "$WORK/exp.json"

echo "PASS: func-dp-tcp-chaos"
