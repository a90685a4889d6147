#!/usr/bin/env bash
# func-dp-two-cores: two data cores, each polling its own rx queue of a net_pcap
# port (one capture per queue, each sender in one of them), and a stream of 6
# shards owned by the two cores. Records whose shard the receiving core does not
# own go over the handover ring. Every record must be stored exactly once, by its
# shard's owner (each core's log appends equal what its shards stored), handovers
# must happen and arrive (in == out per shard), per-sender and per-key order kept.
# The machine may have 2 CPUs: lcores 1 and 2 share CPU 1 (slow, still correct).
source "$(dirname "$0")/dplib.sh" "$@"

check "generate two captures (one per rx queue)"
$PCAPGEN good --out "$WORK/cap" --queues 2 --senders 2000 --raw-per-sender 2 \
	--frames-per-sender 2 --seed 2 | tee "$WORK/gen.out"
WANT=$(wc -l <"$WORK/cap/expected.tsv")
NPKT=$(sed -n 's/^pcapgen good: \([0-9]*\) packets.*/\1/p' "$WORK/gen.out")

check "start sluiced: lcores 1 and 2 receive (queues 0 and 1), stream s:6"
start_sluiced dp-2c --no-huge --no-shconf -m 512 --no-pci --lcores '0@0,1@1,2@1' \
	--vdev "net_pcap0,rx_pcap=$WORK/cap/q0.pcap,rx_pcap=$WORK/cap/q1.pcap" -- \
	--data-dir "$D" --stream s:6 --udp-port 7000:raw --udp-port 7001:framed \
	--ip 10.0.0.1/24 --ip fd00::1/64 --rx-lcores 1,2

check "wait until the $WANT records of $NPKT packets are stored"
wait_stored "$WANT" 150
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" | sed 's/^/  /' | cut -c1-160
read -r rx recs stored drops cores <<<"$(stat "$WORK/st.json" /sluice/stats.totals.rx_packets \
	/sluice/stats.totals.records /sluice/stats.totals.stored /sluice/stats.totals.drops \
	/sluice/stats.data_cores)"
expect_eq "data cores" "$cores" 2
expect_eq "packets received" "$rx" "$NPKT"
expect_eq "records dropped" "$drops" 0
expect_eq "records decoded" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"
for q in 0 1; do
	expect_eq "packets received on queue $q" "$(stat "$WORK/st.json" "/sluice/stats.port0.q${q}_rx_packets")" \
		"$("$PY" -c 'import sys; from scapy.utils import RawPcapReader as R; print(sum(1 for _ in R(sys.argv[1])))' "$WORK/cap/q$q.pcap")"
done

check "stored by the owner core only; handovers happened and all arrived"
$CHECK owners "$WORK/st.json" 2

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record read back exactly once, in its shard and per-sender/per-key order"
$CHECK records "$SLUICE" "$D" "$WORK/cap/expected.tsv" s:6

echo "PASS: func-dp-two-cores"
