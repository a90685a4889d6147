#!/usr/bin/env bash
# func-sluiced-smoke: sluiced comes up on the EAL without hugepages or PCI,
# creates and opens its stream, reports ready, holds the writer lock, and exits 0
# on SIGTERM; a bad option gives a clear error and a non-zero exit.
source "$(dirname "$0")/lib.sh" "$@"

[ -x "$SLUICED" ] || fail "$SLUICED is not an executable"
EAL=(--no-huge --no-shconf -m 256 --no-pci --file-prefix "sluice-test-$$" -l 0)
# the EAL runtime directory sluiced leaves behind goes with the work dir
trap 'rm -rf "/var/run/dpdk/sluice-test-$$"; cleanup' EXIT

check "start sluiced with --stream s:2"
"$SLUICED" "${EAL[@]}" -- --data-dir "$D" --stream s:2 >"$WORK/d.out" 2>"$WORK/d.err" &
PID=$!
BG_PIDS+=("$PID")
for _ in $(seq 1200); do
	grep -q "^sluiced: ready" "$WORK/d.out" 2>/dev/null && break
	kill -0 $PID 2>/dev/null || { cat "$WORK/d.out" "$WORK/d.err"; fail "sluiced exited before it was ready"; }
	sleep 0.05
done
grep -q "^sluiced: ready, pid $PID" "$WORK/d.out" || { cat "$WORK/d.out" "$WORK/d.err"; fail "no ready line"; }
cat "$WORK/d.out"
grep -q "created stream s with 2 shards" "$WORK/d.out" || fail "sluiced did not report creating s"
expect_eq "shards opened" "$(grep -c '^sluiced: stream s shardId-00000000000[01] open' "$WORK/d.out")" 2
expect_eq "shards of s" "$("$SLUICE" shards --data-dir "$D" --stream s | grep -c '^shardId-.* open ')" 2

check "sluice put is refused while sluiced holds the stream"
expect_exit 1 "stream s is being written by another process (pid $PID" "$SLUICE" put --data-dir "$D" --stream s

check "SIGTERM: exit 0"
kill -TERM $PID
rc=0
wait $PID || rc=$?
cat "$WORK/d.err"
expect_eq "sluiced exit status" $rc 0

check "restart on the existing stream, then SIGINT"
printf 'k\tv\n' | "$SLUICE" put --data-dir "$D" --stream s 2>/dev/null || fail "put after sluiced exited"
"$SLUICED" "${EAL[@]}" -- --data-dir "$D" --stream s:2 >"$WORK/d2.out" 2>"$WORK/d2.err" &
PID=$!
BG_PIDS+=("$PID")
for _ in $(seq 1200); do
	grep -q "^sluiced: ready" "$WORK/d2.out" 2>/dev/null && break
	kill -0 $PID 2>/dev/null || { cat "$WORK/d2.out" "$WORK/d2.err"; fail "sluiced exited before it was ready"; }
	sleep 0.05
done
grep -q "created stream" "$WORK/d2.out" && fail "sluiced re-created an existing stream"
kill -INT $PID
rc=0
wait $PID || rc=$?
expect_eq "sluiced exit status after SIGINT" $rc 0
expect_eq "records kept" "$(shard_records s)" 1

check "8 data cores with TCP on net_null: sluice stats lists every core's counters"
# One telemetry answer holds 16 KiB: the per-core counters (about 110 each with TCP)
# come one core per request (/sluice/core,N) and sluice stats merges them.
P8="sluice-test8-$$"
"$SLUICED" --no-huge --no-shconf -m 1024 --no-pci --file-prefix "$P8" \
	--lcores 0@0,1@0,2@0,3@0,4@0,5@0,6@0,7@0,8@0 --vdev net_null0 -- \
	--data-dir "$D" --stream c8:8 --ip 10.1.0.1/24 --tcp-port 7100:framed \
	>"$WORK/d8.out" 2>"$WORK/d8.err" &
PID=$!
BG_PIDS+=("$PID")
for _ in $(seq 1200); do
	grep -q "^sluiced: ready" "$WORK/d8.out" 2>/dev/null && break
	kill -0 $PID 2>/dev/null || { cat "$WORK/d8.out" "$WORK/d8.err"; fail "sluiced exited before it was ready"; }
	sleep 0.05
done
"$SLUICE" stats --file-prefix "$P8" --json >"$WORK/st8.json" || fail "sluice stats with 8 data cores"
got=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["/sluice/stats"]
print(s["data_cores"], " ".join(k for k in sorted(s) if k.startswith("core")),
      sum("tcp_conns" in s["core%d" % i] and "log_appends" in s["core%d" % i] for i in range(8)))
' "$WORK/st8.json")
expect_eq "data cores, core objects, cores with TCP and log counters" "$got" \
	"8 core0 core1 core2 core3 core4 core5 core6 core7 8"
kill -TERM $PID
rc=0
wait $PID || rc=$?
rm -rf "/var/run/dpdk/$P8"
expect_eq "sluiced (8 data cores) exit status" $rc 0

check "bad options: clear error, non-zero exit"
bad_case() {
	local pat=$1 rc=0
	shift
	"$SLUICED" "$@" >"$WORK/b.out" 2>"$WORK/b.err" || rc=$?
	[ "$rc" != 0 ] || fail "sluiced $* exited 0"
	grep -qF -- "$pat" "$WORK/b.err" || { cat "$WORK/b.err"; fail "sluiced $*: no message '$pat'"; }
	echo "  exit $rc: $(grep -F -- "$pat" "$WORK/b.err" | head -1)"
}
bad_case "unknown option '--bogus'" "${EAL[@]}" -- --data-dir "$D" --stream s:2 --bogus
bad_case "--stream 's:0' is not valid" "${EAL[@]}" -- --data-dir "$D" --stream s:0
bad_case "--stream 's' is not valid" "${EAL[@]}" -- --data-dir "$D" --stream s
bad_case "--stream 'a/b:1'" "${EAL[@]}" -- --data-dir "$D" --stream a/b:1
bad_case "option '--data-dir' needs a value" "${EAL[@]}" -- --stream s:2 --data-dir
bad_case "--data-dir is required" "${EAL[@]}" -- --stream s:2
bad_case "at least one --stream" "${EAL[@]}" -- --data-dir "$D"
bad_case "sluiced: EAL initialisation failed" "${EAL[@]}" --no-such-eal-option -- --data-dir "$D" --stream s:2

echo "PASS: func-sluiced-smoke"
