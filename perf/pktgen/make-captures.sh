#!/bin/bash
# perf/pktgen/make-captures.sh: the captures Pktgen-DPDK replays in pcap mode
# (perf/pktgen/framed.lua), made by sluice-gen, the generator perf/run uses,
# writing into a net_pcap port (tx_pcap=FILE) instead of a NIC: valid frames
# of the framed format v1 (lib/frame's builder, CRC32C checked before use),
# the same keys, records per frame and senders as perf/run's "framed" case.
#
#   perf/pktgen/make-captures.sh --dst-mac MAC [--dst-ip A] [--sizes "64 512 1024"]
#                                [--flows N] [--keys K] [--packets P]
#                                [--frame-hash-key SHARDS] [--raw] [--out DIR]
#
#   --dst-mac MAC   sluiced's port MAC (required: Pktgen sends the packets unchanged)
#   --dst-ip A      sluiced's --ip (10.0.0.1)
#   --sizes LIST    record data sizes (64 512 1024)
#   --flows N       distinct source ip:port, for RSS (1024)
#   --keys K        distinct partition keys (4096)
#   --packets P     packets per capture (8192; Pktgen holds them all in memory)
#   --frame-hash-key SHARDS
#                   one frame hash key per frame, frames round-robin over SHARDS
#                   shards (sluiced hashes nothing: the fast framed path)
#   --raw           also raw captures (one record per datagram), for pcap mode
#   --out DIR       where the captures go (perf/pktgen/captures)
#
# Prints one line per capture: its file, packets, records per frame.
# Environment: BUILD_DIR (<repo>/build) holds perf/sluice-gen (ninja builds it).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DST_MAC=
DST_IP=10.0.0.1
SIZES="64 512 1024"
FLOWS=1024
KEYS=4096
PACKETS=8192
FHK=
RAW=0
OUTDIR=$ROOT/perf/pktgen/captures

while [ $# -gt 0 ]; do
	case "$1" in
	--dst-mac) shift; DST_MAC=$1 ;;
	--dst-ip) shift; DST_IP=$1 ;;
	--sizes) shift; SIZES=$1 ;;
	--flows) shift; FLOWS=$1 ;;
	--keys) shift; KEYS=$1 ;;
	--packets) shift; PACKETS=$1 ;;
	--frame-hash-key) shift; FHK=$1 ;;
	--raw) RAW=1 ;;
	--out) shift; OUTDIR=$1 ;;
	-h|--help) sed -n '2,26p' "$0"; exit 0 ;;
	*) echo "make-captures.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$DST_MAC" ]; then
	echo "make-captures.sh: --dst-mac MAC is required: the MAC of sluiced's port" \
		"(sluice stats shows it)" >&2
	exit 2
fi
GEN=$BUILD_DIR/perf/sluice-gen
if [ ! -x "$GEN" ]; then
	[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" "$ROOT" >/dev/null
	ninja -C "$BUILD_DIR" perf/sluice-gen >/dev/null
fi
mkdir -p "$OUTDIR"

capture() {   # capture FILE sluice-gen options...
	local file=$1 log
	shift
	log=$(mktemp)
	rm -f "$file"
	if ! "$GEN" -l 0 --no-huge --no-shconf -m 512 --no-pci --log-level=warning \
			--file-prefix "slcap$$" --vdev "net_pcap0,tx_pcap=$file" -- \
			--dst-mac "$DST_MAC" --dst-ip "$DST_IP" --flows "$FLOWS" --count "$PACKETS" \
			"$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		exit 1
	fi
	# records per packet from the generator's own totals
	awk -v f="$file" '/sluice-gen: total/ {
		for (i = 1; i <= NF; i++) { if ($i == "packets") p = $(i + 1); if ($i == "records") r = $(i + 1) }
		printf "%s: %d packets, %d records, %d records per frame\n", f, p, r, r / p }' "$log"
	rm -f "$log"
}

for s in $SIZES; do
	if [ -n "$FHK" ]; then
		capture "$OUTDIR/framed-hk-$s.pcap" --mode framed --size "$s" --keys "$KEYS" \
			--frame-hash-key --shards "$FHK"
	else
		capture "$OUTDIR/framed-$s.pcap" --mode framed --size "$s" --keys "$KEYS"
	fi
	[ "$RAW" = 1 ] && capture "$OUTDIR/raw-$s.pcap" --mode raw --size "$s"
done
exit 0
