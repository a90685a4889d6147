# shellcheck shell=bash
# Shared helpers of the data-plane functional tests (tests/func/dp/*.sh), on top
# of tests/func/lib.sh. Usage: source "$(dirname "$0")/dplib.sh" "$@"
#
# sluiced runs under `timeout -k` so that a hung daemon cannot outlive the test;
# the test signals sluiced itself by the pid it prints when ready, and cleanup
# ends only the processes this test started.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" "$@"

DP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -x "$SLUICED" ] || fail "$SLUICED is not an executable"

# A python that has scapy (Debian's python3-scapy lives in /usr/bin/python3's path).
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import scapy.all' 2>/dev/null; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "SKIP: no python3 with scapy (apt-get install python3-scapy; deploy/install-deps.sh)"
	exit 77
fi
# shellcheck disable=SC2034 # used by the tests that source this file
PCAPGEN="$PY $DP_DIR/pcapgen.py"
CHECK="$PY $DP_DIR/dpcheck.py"

SLUICED_PID=
SLUICED_WRAP=
DP_PREFIX=
DP_CLEANUP_HOOKS=()
DP_PREFIXES=()

dp_cleanup() {
	local h
	if [ -n "$SLUICED_PID" ] && kill -0 "$SLUICED_PID" 2>/dev/null; then
		kill -9 "$SLUICED_PID" 2>/dev/null || true
	fi
	if [ -n "$SLUICED_WRAP" ]; then
		kill -9 "$SLUICED_WRAP" 2>/dev/null || true
	fi
	for h in "${DP_CLEANUP_HOOKS[@]}"; do
		$h || true
	done
	for h in "${DP_PREFIXES[@]}"; do
		rm -rf "/var/run/dpdk/$h"
	done
	cleanup
}
trap dp_cleanup EXIT

# start_sluiced NAME EAL_ARGS... -- SLUICED_ARGS...: start sluiced with EAL file
# prefix sluice-NAME-$$, wait for its ready line. Sets SLUICED_PID, DP_PREFIX.
# Output in $WORK/sluiced.out and $WORK/sluiced.err. Set DP_NETNS to run it
# inside that network namespace.
start_sluiced() {
	local name=$1 i pid
	shift
	DP_PREFIX="sluice-$name-$$"
	DP_PREFIXES+=("$DP_PREFIX")
	# a previous run's ready line must not be taken for this one's
	rm -f "$WORK/sluiced.out" "$WORK/sluiced.err"
	local -a pre=()
	[ -n "${DP_NETNS:-}" ] && pre=(ip netns exec "$DP_NETNS")
	"${pre[@]}" timeout -k 5 "${DP_SLUICED_TIMEOUT:-170}" "$SLUICED" --file-prefix "$DP_PREFIX" \
		"$@" >"$WORK/sluiced.out" 2>"$WORK/sluiced.err" </dev/null &
	SLUICED_WRAP=$!
	BG_PIDS+=("$SLUICED_WRAP")
	for ((i = 0; i < 1200; i++)); do
		# the files may not exist yet: never let that end the test (pipefail)
		pid=$(cat "$WORK/sluiced.out" "$WORK/sluiced.err" 2>/dev/null |
			sed -n 's/^sluiced: ready, pid \([0-9]*\).*/\1/p' | head -1 || true)
		[ -n "$pid" ] && break
		if ! kill -0 "$SLUICED_WRAP" 2>/dev/null; then
			dump_sluiced
			fail "sluiced exited before it was ready"
		fi
		sleep 0.05
	done
	[ -n "$pid" ] || { dump_sluiced; fail "sluiced printed no ready line within 60 s"; }
	SLUICED_PID=$pid
	echo "sluiced ready, pid $SLUICED_PID (file prefix $DP_PREFIX)"
}

dump_sluiced() {
	echo "---- sluiced stdout" >&2
	tail -n 40 "$WORK/sluiced.out" >&2 || true
	echo "---- sluiced stderr" >&2
	tail -n 40 "$WORK/sluiced.err" >&2 || true
	echo "----" >&2
}

# stats FILE: one `sluice stats --json` answer into FILE
stats() {
	"$SLUICE" stats --file-prefix "$DP_PREFIX" --json >"$1" 2>"$1.err" ||
		{ cat "$1.err" >&2; fail "sluice stats exited $? (sluiced pid $SLUICED_PID)"; }
}

# wait_stored WANT TIMEOUT_S [core_counter>=N ...]: poll the stats until WANT
# records are stored (a wait; the exact checks come after)
wait_stored() {
	$CHECK wait "$SLUICE" "$DP_PREFIX" "$@" || fail "waiting for stored records"
}

# stop_sluiced: SIGTERM, expect exit 0 and "mbuf_leak 0" in the final totals
stop_sluiced() {
	local rc=0 leak
	kill -TERM "$SLUICED_PID" || fail "cannot signal sluiced pid $SLUICED_PID"
	wait "$SLUICED_WRAP" || rc=$?
	SLUICED_WRAP=
	if [ "$rc" != 0 ]; then
		dump_sluiced
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && fail "sluiced did not exit within its timeout"
		fail "sluiced exited $rc after SIGTERM, want 0"
	fi
	grep -h "final" "$WORK/sluiced.out" "$WORK/sluiced.err" | sed 's/^/  /'
	leak=$(sed -n 's/.*mbuf_leak[^0-9]*\([0-9][0-9]*\).*/\1/p' "$WORK/sluiced.err" \
		"$WORK/sluiced.out" | tail -1)
	[ -n "$leak" ] || { dump_sluiced; fail "sluiced printed no mbuf_leak figure at exit"; }
	expect_eq "mbufs not back in their pool after exit (mbuf_leak)" "$leak" 0
	SLUICED_PID=
}

# stat FILE PATH...: values from a stats file (dpcheck.py stats-get)
stat() {
	$CHECK stats-get "$@"
}
