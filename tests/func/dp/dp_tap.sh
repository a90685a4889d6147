#!/usr/bin/env bash
# func-dp-tap: sluiced on net_tap inside a network namespace this test creates.
# The kernel side of the tap gets 10.99.0.2/24 and fd99::2/64; sluiced is
# 10.99.0.1 and fd99::1. ping and ping -6 from the namespace must be answered
# (ARP, ICMP echo, neighbour discovery, ICMPv6 echo through sluiced); real Linux
# UDP sockets then send raw and framed records, paced and bounded (IPv4 datagrams
# above the MTU leave the kernel as fragments), and every record must be read back
# exactly once. Traffic stays inside the namespace; cleanup deletes it.
source "$(dirname "$0")/dplib.sh" "$@"

command -v ip >/dev/null || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: no 'ping' command (iputils-ping)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for net_tap"; exit 77; }
NS=slc-test-$$
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace (needs root)"; exit 77; }
del_ns() { ip netns del "$NS" 2>/dev/null; }
DP_CLEANUP_HOOKS+=(del_ns)
ip netns exec "$NS" ip link set lo up
nsx() { ip netns exec "$NS" "$@"; }

check "start sluiced in namespace $NS on net_tap (iface sltap0), stream s:3"
DP_NETNS=$NS start_sluiced dp-tap --no-huge --no-shconf -m 512 --no-pci -l 0,1 \
	--vdev net_tap0,iface=sltap0 -- \
	--data-dir "$D" --stream s:3 --ip 10.99.0.1/24 --ip fd99::1/64 \
	--udp-port 7000:raw --udp-port 7001:framed
for ((i = 0; i < 200; i++)); do
	nsx ip link show sltap0 >/dev/null 2>&1 && break
	sleep 0.05
done
nsx ip link show sltap0 >/dev/null 2>&1 || fail "interface sltap0 did not appear in $NS"
nsx ip addr add 10.99.0.2/24 dev sltap0
nsx ip -6 addr add fd99::2/64 dev sltap0 nodad
nsx ip link set sltap0 up

check "ping 10.99.0.1 from the namespace: 3 replies"
nsx ping -c 3 -i 0.2 -W 5 10.99.0.1 >"$WORK/ping4" 2>&1 || true
sed 's/^/  /' "$WORK/ping4" | tail -3
grep -q "3 packets transmitted, 3 received" "$WORK/ping4" || fail "ping 10.99.0.1: want 3 replies"

check "ping -6 fd99::1 from the namespace: 3 replies"
nsx ping -6 -c 3 -i 0.2 -W 5 fd99::1 >"$WORK/ping6" 2>&1 || true
sed 's/^/  /' "$WORK/ping6" | tail -3
grep -q "3 packets transmitted, 3 received" "$WORK/ping6" || fail "ping -6 fd99::1: want 3 replies"

check "real UDP sockets in the namespace send raw and framed records (IPv4 and IPv6)"
nsx "$PY" "$DP_DIR/tapsend.py" --out "$WORK/expected.tsv" --ip4 10.99.0.1 --ip6 fd99::1 \
	--senders 40 --raw 25 --frames 10 --rate 2000 | tee "$WORK/send.out"
WANT=$(wc -l <"$WORK/expected.tsv")

check "wait until the $WANT records are stored"
wait_stored "$WANT" 60
stats "$WORK/st.json"
"$SLUICE" stats --file-prefix "$DP_PREFIX" | sed 's/^/  /' | cut -c1-200
read -r recs stored drops fdrops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.records \
	/sluice/stats.totals.stored /sluice/stats.totals.drops /sluice/stats.totals.frame_drops)"
expect_eq "records decoded" "$recs" "$WANT"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_eq "frames dropped" "$fdrops" 0
read -r icmp arp nd reasm udpcs <<<"$(stat "$WORK/st.json" "sum:stats.core*.icmp_replies" \
	"sum:stats.core*.arp_replies" "sum:stats.core*.nd_replies" "sum:stats.core*.reassembled" \
	"sum:stats.core*.drop_udp_csum")"
expect_eq "ICMP and ICMPv6 echo replies" "$icmp" 6
[ "$arp" -ge 1 ] || fail "no ARP reply counted (arp_replies $arp)"
[ "$nd" -ge 1 ] || fail "no neighbour advertisement counted (nd_replies $nd)"
expect_eq "bad UDP checksums from the kernel" "$udpcs" 0
echo "  replies: icmp $icmp, arp $arp, nd $nd; datagrams reassembled from kernel fragments: $reasm"

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every record read back exactly once, in its shard and per-sender/per-key order"
$CHECK records "$SLUICE" "$D" "$WORK/expected.tsv" s:3

echo "PASS: func-dp-tap"
