#!/usr/bin/env bash
# func-dp-malformed: a capture of malformed traffic mixed with valid records
# (pcapgen.py bad): runt and jumbo frames, unknown ethertypes, broken VLAN tags,
# truncated headers, lying IPv4/IPv6/UDP lengths, bad IPv4/UDP/ICMP checksums,
# garbage, other addresses, bad frames of every frame-format cause, hostile IPv4
# fragments, IPv6 fragments; valid fragmented datagrams, ARP, ping and neighbour
# solicitation. sluiced must keep running and answering, count each cause exactly
# as the generator predicts, store every valid record exactly once and nothing of
# the malformed traffic, and give every mbuf back.
source "$(dirname "$0")/dplib.sh" "$@"

check "generate the capture"
$PCAPGEN bad --out "$WORK/cap" --senders 200 --small-port 7002 --small-stream small \
	--small-max 1000 | tee "$WORK/gen.out"
WANT=$(wc -l <"$WORK/cap/expected.tsv")
NPKT=$(sed -n 's/^pcapgen bad: \([0-9]*\) packets.*/\1/p' "$WORK/gen.out")

check "stream 'small' with a 1000-byte max record (frame cause too_big)"
"$SLUICE" create --data-dir "$D" --stream small --shards 1 --max-record 1000 >/dev/null

check "start sluiced on net_pcap: s:33 (raw 7000, framed 7001), small:1 (framed 7002)"
start_sluiced dp-bad --no-huge --no-shconf -m 512 --no-pci -l 0,1 \
	--vdev "net_pcap0,rx_pcap=$WORK/cap/q0.pcap" -- \
	--data-dir "$D" --stream s:33 --stream small:1 --udp-port 7000:raw \
	--udp-port 7001:framed --udp-port 7002:framed:small --ip 10.0.0.1/24 --ip fd00::1/64

# Fragments that never complete are dropped when they expire (2 s).
check "wait until the $WANT valid records are stored and the hostile fragments expired"
wait_stored "$WANT" 120 "drop_frag>=$(awk '$1 == "drop_frag" { print $2 }' "$WORK/cap/drops.txt")"
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" >"$WORK/table" 2>"$WORK/table.err" ||
	{ cat "$WORK/table.err"; fail "sluice stats exited $?"; }
sed 's/^/  /' "$WORK/table" | grep -v '^  s/[1-9][0-9]* ' | cut -c1-200

check "each drop cause counted as predicted"
$CHECK drops "$WORK/st.json" "$WORK/cap/drops.txt"
read -r rx recs stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.rx_packets \
	/sluice/stats.totals.records /sluice/stats.totals.stored /sluice/stats.totals.drops)"
expect_eq "packets received" "$rx" "$NPKT"
expect_eq "records decoded (valid records only)" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_eq "frames dropped (sum of causes)" "$(stat "$WORK/st.json" /sluice/stats.totals.frame_drops)" \
	"$(awk '$1 ~ /^frame_drop_/ { s += $2 } END { print s }' "$WORK/cap/drops.txt")"

check "sluiced still runs and answers"
kill -0 "$SLUICED_PID" || fail "sluiced is gone"
stats "$WORK/st2.json"
expect_eq "state" "$(stat "$WORK/st2.json" /sluice/stats.state)" running

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every valid record read back exactly once, nothing of the malformed traffic"
$CHECK records "$SLUICE" "$D" "$WORK/cap/expected.tsv" s:33 small:1
"$SLUICE" verify --data-dir "$D" >"$WORK/verify.out" ||
	{ cat "$WORK/verify.out"; fail "verify exited $?"; }

# Last, so that a failure here leaves the checks above done: s has 33 shards,
# /sluice/shards answers in pages of 32, and the table taken while sluiced ran must
# list all 34 shards of both streams.
check "sluice stats listed all 34 shards of both streams (telemetry paging)"
cat "$WORK/table.err"
expect_eq "shards of s in the table" "$(grep -c '^s/[0-9]* ' "$WORK/table")" 33
expect_eq "shards of small in the table" "$(grep -c '^small/0 ' "$WORK/table")" 1

echo "PASS: func-dp-malformed"
