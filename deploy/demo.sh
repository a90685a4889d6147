#!/usr/bin/env bash
# sluice appliance demo (README's first command), on a machine without a NIC:
# installs what is missing, builds, creates a network namespace with a DPDK net_tap
# device in it, starts sluiced there (--no-huge: no hugepages needed), pings it,
# drives a simulated sensor fleet into it over real UDP sockets for a few seconds
# (raw readings and gateway frames), shows the live counters, stops sluiced
# (SIGTERM: everything received becomes durable), shows per-shard counts, reads
# records back, compares everything with what was sent, verifies every block, and
# cleans up (--keep keeps the data directory).
# All traffic stays inside the namespace this script creates.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0; [ "${1:-}" = "--keep" ] && keep=1
seconds=${DEMO_SECONDS:-5}

bash deploy/build.sh
sluice=build/app/sluice/sluice
sluiced=build/app/sluiced/sluiced
ns=sluice-demo-$$
prefix=sluice-demo-$$
data=$(mktemp -d /var/tmp/sluice-demo.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "/var/run/dpdk/$prefix"
	if [ $keep = 1 ]; then echo "data kept in $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
nsx() { ip netns exec "$ns" "$@"; }
stored() {
	"$sluice" stats --file-prefix "$prefix" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["/sluice/stats"]["totals"]["stored"])' ||
		echo 0
}

step "network namespace $ns, sluiced on a DPDK net_tap device inside it (10.99.0.1)"
ip netns add "$ns"
nsx ip link set lo up
nsx "$sluiced" --no-huge --no-shconf -m 512 --no-pci -l 0,1 --file-prefix "$prefix" \
	--vdev net_tap0,iface=sltap0 -- \
	--data-dir "$data" --stream sensors:4:deflate --ip 10.99.0.1/24 \
	--udp-port 7000:raw --udp-port 7001:framed \
	--stream events:2 --tcp-port 7100:framed:events --tcp-port 7101:lines:events:key=device \
	>"$data/sluiced.out" 2>"$data/sluiced.err" &
for ((i = 0; i < 300; i++)); do
	pid=$(sed -n 's/^sluiced: ready, pid \([0-9]*\).*/\1/p' "$data/sluiced.out")
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || { cat "$data/sluiced.err" >&2; echo "demo: sluiced did not start" >&2; exit 1; }
sed 's/^/  /' "$data/sluiced.out"
nsx ip addr add 10.99.0.2/24 dev sltap0
nsx ip link set sltap0 up

step "ping the appliance from the namespace (ARP and ICMP answered by sluiced)"
nsx ping -c 3 -i 0.2 -W 5 10.99.0.1 | tail -2

step "a fleet of 200 sensors (raw UDP) and 20 gateways (frames of 16) for ${seconds} s"
nsx python3 deploy/demo_fleet.py --dst 10.99.0.1 --src 10.99.0.2 --sensors 200 --gateways 20 \
	--seconds "$seconds" --rate 2000 --out "$data/sent.tsv"
want=$(wc -l <"$data/sent.tsv")
for ((i = 0; i < 300; i++)); do
	[ "$(stored)" -ge "$want" ] && break
	sleep 0.1
done

step "4 TCP producers (sluice send): 20000 records in frames, each acknowledged once durable"
nsx "$sluice" send --to 10.99.0.1:7100 --connections 4 --generate 20000 --size 200 --keys 64 \
	--print-acks "$data/acks.tsv" | sed "s/^/  /"
echo "  $(wc -l <"$data/acks.tsv") acknowledgements: partition key, shard, sequence number, data"
head -2 "$data/acks.tsv" | cut -c1-150 | sed 's/^/  /'

step "a line sender over plain TCP (bash /dev/tcp): 500 JSON lines, keyed by their \"device\" field"
for ((i = 0; i < 500; i++)); do
	printf '{"device":"dev-%d","seq":%d,"temp":%d.%d}\n' $((i % 25)) "$i" $((20 + i % 7)) $((i % 10))
done >"$data/lines.txt"
nsx bash -c "cat '$data/lines.txt' >/dev/tcp/10.99.0.1/7101"
tcp_want=$((20000 + 500))
for ((i = 0; i < 300; i++)); do
	[ "$(stored)" -ge "$((want + tcp_want))" ] && break
	sleep 0.1
done

step "live counters (sluice stats)"
"$sluice" stats --file-prefix "$prefix" | cut -c1-160

step "stop sluiced (SIGTERM): drain, make every record durable"
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
pid=
grep "final" "$data/sluiced.err" | sed "s/^/  /"

step "shards"
"$sluice" shards --data-dir "$data" --stream sensors

step "first 3 records of shardId-000000000001"
"$sluice" read --data-dir "$data" --stream sensors --shard 1 --limit 3

step "read all 4 shards back and compare with what the fleet sent"
for s in 0 1 2 3; do
	"$sluice" read --data-dir "$data" --stream sensors --shard $s | cut -f2-
done | sort >"$data/read.sorted"
sort "$data/sent.tsv" | cmp -s - "$data/read.sorted" &&
	echo "all $want records sent were stored exactly once, byte for byte" ||
	{ echo "demo: stored records differ from what was sent" >&2; exit 1; }

step "read stream events back: every acknowledged record is where its ack said, every line stored once"
for s in 0 1; do
	"$sluice" read --data-dir "$data" --stream events --shard $s
done >"$data/events.tsv"
awk -F'\t' -v OFS='\t' '{ print $3, $1, $4 }' "$data/acks.tsv" | sort >"$data/acked.sorted"
awk -F'\t' 'index($3, "{\"device\"") != 1' "$data/events.tsv" | sort | cmp -s - "$data/acked.sorted" &&
	echo "all 20000 acknowledged records stored once, under the acknowledged sequence numbers" ||
	{ echo "demo: stored TCP records differ from the acknowledgements" >&2; exit 1; }
cut -f3 "$data/events.tsv" | grep '^{"device"' | sort | cmp -s - <(sort "$data/lines.txt") &&
	echo "all 500 lines stored exactly once" ||
	{ echo "demo: stored lines differ from what was sent" >&2; exit 1; }

step "verify every block"
"$sluice" verify --data-dir "$data"
