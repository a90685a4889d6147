#!/usr/bin/env bash
# func-dp-tcp-two-cores: TCP ingest on two data cores. net_tap gets one queue per
# data core; the kernel's tun queue selection keeps each connection on one queue
# (so one core's engine). The streams' shards are owned by both cores, so records
# of a connection are handed over to the owner of their shard, and the outcome of
# each (durable, with its sequence number) travels back to the connection's core
# for the ack. 8 tcpsend.py connections (~12 MB), `sluice send --generate` on 4
# connections and socat lines: connections land on both cores, records and
# completions cross in both directions, and every record is stored exactly once
# under its acknowledged sequence number. The machine may have 2 CPUs: lcores 1
# and 2 share CPU 1 (slow, still correct).
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
command -v socat >/dev/null || { echo "SKIP: no socat (deploy/install-deps.sh)"; exit 77; }

check "start sluiced in $NS on two data cores (lcores 1 and 2, tap queues 0 and 1)"
# shellcheck disable=SC2034 # read by tcp_start (dp_tcp_lib.sh)
TCP_EAL_CORES=(--lcores '0@0,1@1,2@1')
tcp_start dp-tcp-2c --stream s:4 --stream l:2 --tcp-port 7100:framed:s \
	--tcp-port 7101:lines:l:key=k --rx-lcores 1,2

check "tcpsend.py: 8 connections x 30 frames x 50 records of ~1 KiB"
nsx timeout -k 5 150 "$PY" "$TSEND" framed --host $SL4 --port 7100 --stream s --tag two \
	--connections 8 --frames 30 --records 50 --size 1024 --vary --keys 3 \
	--max-unacked 4 --timeout 140 --out "$WORK/exp.framed" | tee "$WORK/send.out" ||
	fail "tcpsend.py failed"
check "sluice send --generate 4000 on 4 connections, --print-acks"
$PY "$TSEND" generated --out "$WORK/exp.gen0" --stream s --n 4000 --size 200 --keys 12
nsx timeout -k 5 100 "$SLUICE" send --to $SL4:7100 --connections 4 --generate 4000 \
	--size 200 --keys 12 --batch 50 --print-acks "$WORK/gen.acks" --timeout 90 \
	>"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out"; fail "sluice send exited non-zero"; }
sed 's/^/  /' "$WORK/gen.out"
$TCHECK send-acks "$WORK/gen.acks" "$WORK/exp.gen0" "$WORK/exp.gen"
check "socat: 2000 JSON lines, twice"
$PY "$TSEND" lines --out-data "$WORK/a.lines" --out "$WORK/exp.a" --stream l \
	--label ja --lines 2000 --json-key k --keys 5 --size 200
$PY "$TSEND" lines --out-data "$WORK/b.lines" --out "$WORK/exp.b" --stream l \
	--label jb --lines 2000 --json-key k --keys 5 --size 200
nsx timeout -k 5 60 socat -u "OPEN:$WORK/a.lines" TCP:$SL4:7101 || fail "socat exited $?"
nsx timeout -k 5 60 socat -u "OPEN:$WORK/b.lines" TCP:$SL4:7101 || fail "socat exited $?"

WANT=$(($(wc -l <"$WORK/exp.framed") + 4000 + 4000))
check "wait until the $WANT records are stored and every connection is closed"
wait_stored "$WANT" 90
tcp_wait 30 "sum:stats.core*.tcp_conns==0" "sum:stats.core*.tcp_pending_frames==0"
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" | sed 's/^/  /' | cut -c1-200
for core in core0 core1; do
	echo "  $core: $(stat "$WORK/st.json" "/sluice/stats.$core.tcp_accepted") accepted," \
		"$(stat "$WORK/st.json" "/sluice/stats.$core.tcp_records") records from TCP," \
		"completions out $(stat "$WORK/st.json" "/sluice/stats.$core.tcp_completions_out")" \
		"in $(stat "$WORK/st.json" "/sluice/stats.$core.tcp_completions_in")"
done
read -r stored drops cores <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops /sluice/stats.data_cores)"
expect_eq "data cores" "$cores" 2
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_counter "$WORK/st.json" tcp_accepted 14
expect_counter "$WORK/st.json" tcp_conns 0
expect_counter "$WORK/st.json" tcp_records_acked $((WANT - 4000))
expect_counter "$WORK/st.json" tcp_records_failed 0
expect_counter "$WORK/st.json" tcp_lines 4000
expect_counter "$WORK/st.json" tcp_completions_stale 0
check "connections on both cores; records and completions crossed between them"
for core in core0 core1; do
	[ "$(stat "$WORK/st.json" "/sluice/stats.$core.tcp_accepted")" -gt 0 ] ||
		fail "$core accepted no connection: the tap did not spread them over its queues"
done
expect_eq "completions sent to the other core = received from it" \
	"$(stat "$WORK/st.json" "sum:stats.core*.tcp_completions_out")" \
	"$(stat "$WORK/st.json" "sum:stats.core*.tcp_completions_in")"
expect_counter_ge "$WORK/st.json" tcp_completions_out 1
expect_counter_ge "$WORK/st.json" handover_out 1

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record stored exactly once, in per-connection order, under its acked sequence"
$TCHECK records "$SLUICE" "$D" s:4,l:2 "$WORK/exp.framed" "$WORK/exp.gen" "$WORK/exp.a" \
	"$WORK/exp.b"

echo "PASS: func-dp-tcp-two-cores"
