# shellcheck shell=bash
# Shared setup of the TCP data-plane tests (tests/func/dp/dp_tcp*.sh), on top of
# dplib.sh. Usage: source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
#
# Like func-dp-tap: sluiced runs on net_tap (iface sltap0) inside a network
# namespace the test creates (slc-tcp-$$) and deletes; sluiced is 10.99.0.1 and
# fd99::1, the kernel side of the tap 10.99.0.2/24 and fd99::2/64. The Linux TCP
# clients (tcpsend.py, socat, sluice send, scapy) run inside the namespace.
source "$(dirname "${BASH_SOURCE[0]}")/dplib.sh" "$@"

command -v ip >/dev/null || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for net_tap"; exit 77; }
NS=slc-tcp-$$
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace (needs root)"; exit 77; }
del_ns() { ip netns del "$NS" 2>/dev/null; }
DP_CLEANUP_HOOKS+=(del_ns)
ip netns exec "$NS" ip link set lo up
# nsx CMD...: run CMD in the namespace. In the background use `ip netns exec
# "$NS" CMD... &` instead, so that $! is CMD's pid (ip execs it) and signals reach it.
nsx() { ip netns exec "$NS" "$@"; }

# shellcheck disable=SC2034 # used by the tests that source this file
TCHECK="$PY $DP_DIR/tcpcheck.py"
# shellcheck disable=SC2034
TSEND="$DP_DIR/tcpsend.py"
SL4=10.99.0.1
# shellcheck disable=SC2034
SL6=fd99::1

# tcp_start NAME SLUICED_ARGS...: start sluiced in the namespace on net_tap with
# one data core (EAL -l 0,1; or the EAL core options in the array TCP_EAL_CORES),
# give the tap its addresses and wait until sluiced answers ping (ARP resolved).
TCP_EAL_CORES=(-l "0,1")
tcp_start() {
	local name=$1 i
	shift
	DP_NETNS=$NS start_sluiced "$name" --no-huge --no-shconf -m 512 --no-pci \
		"${TCP_EAL_CORES[@]}" --vdev net_tap0,iface=sltap0 -- \
		--data-dir "$D" --ip $SL4/24 --ip $SL6/64 "$@"
	for ((i = 0; i < 200; i++)); do
		nsx ip link show sltap0 >/dev/null 2>&1 && break
		sleep 0.05
	done
	nsx ip link show sltap0 >/dev/null 2>&1 || fail "interface sltap0 did not appear in $NS"
	nsx ip addr add 10.99.0.2/24 dev sltap0
	nsx ip -6 addr add fd99::2/64 dev sltap0 nodad
	nsx ip link set sltap0 up
	for ((i = 0; i < 50; i++)); do
		nsx ping -c 1 -W 1 $SL4 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	dump_sluiced
	fail "sluiced at $SL4 does not answer ping from the namespace"
}

# tcp_wait TIMEOUT_S COND...: poll the counters until every COND (PATH==N or
# PATH>=N, PATH as dpcheck.py stats-get) holds; a wait, the checks come after
tcp_wait() {
	$TCHECK wait "$SLUICE" "$DP_PREFIX" "$@" || fail "waiting for counters"
}

# tcp_counters FILE NAME...: print "NAME VALUE" for sum:stats.core*.NAME of each
# NAME, from a stats file
tcp_counters() {
	local f=$1 n
	shift
	for n in "$@"; do
		printf '  %-26s %s\n' "$n" "$(stat "$f" "sum:stats.core*.$n")"
	done
}

# expect_counter FILE NAME WANT: sum:stats.core*.NAME == WANT
expect_counter() {
	expect_eq "counter $2" "$(stat "$1" "sum:stats.core*.$2")" "$3"
}

# expect_counter_ge FILE NAME MIN: sum:stats.core*.NAME >= MIN
expect_counter_ge() {
	local v
	v=$(stat "$1" "sum:stats.core*.$2")
	[ "$v" -ge "$3" ] || fail "counter $2: got $v, want >= $3"
}
