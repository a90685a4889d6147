#!/bin/sh
# perf/bench_log.sh: run the log benchmark's headline scenarios and print a
# Markdown table of the medians with the exact command lines (perf/README.md).
#
#   perf/bench_log.sh [--profile] [--quick] [--dir D]
#
#   --profile  also profile the 1 KiB, 64 B and deflate scenarios (log only, one run) and
#              print the top symbols: `perf record -g` when the PMU counts
#              instructions; in a VM without a PMU, `perf record -e cpu-clock -g`
#              (timer sampling) plus valgrind --tool=callgrind on a smaller run
#   --quick    a tenth of the records and one run: to check that it works
#   --dir D    scratch file system (default /var/tmp; must support O_DIRECT)
#
# Environment: BUILD_DIR (default <repo>/build), RUNS (default 3),
# RECORDS_1K (default 1m), RECORDS_64 (default 5m), OUT (where the full
# outputs go; default a fresh directory under /tmp).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
RUNS=${RUNS:-3}
RECORDS_1K=${RECORDS_1K:-1m}
RECORDS_64=${RECORDS_64:-5m}
DIR=/var/tmp
PROFILE=0

while [ $# -gt 0 ]; do
	case "$1" in
	--profile) PROFILE=1 ;;
	--quick) RUNS=1; RECORDS_1K=100k; RECORDS_64=500k ;;
	--dir) shift; DIR=$1 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "bench_log.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

OUT=${OUT:-$(mktemp -d /tmp/bench_log-results.XXXXXX)}
mkdir -p "$OUT"

# ---- build ----
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" "$ROOT" -Dperf=true
fi
ninja -C "$BUILD_DIR" perf/bench_log
BIN=$BUILD_DIR/perf/bench_log

# ---- fio, for the second ceiling figure ----
if ! command -v fio >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y fio >"$OUT/apt-fio.log" 2>&1 ||
			echo "bench_log.sh: apt-get install fio failed (see $OUT/apt-fio.log);" \
				"only the raw io_uring ceiling will be measured" >&2
	else
		echo "bench_log.sh: fio not installed and not root: only the raw io_uring" \
			"ceiling will be measured" >&2
	fi
fi

# ---- scenarios: name | goal | arguments ----
COMMON="--dir $DIR --runs $RUNS --shards 4 --verify"
scenarios() {
	echo "1 KiB x 4 shards|ratio>=0.90|--records $RECORDS_1K --size 1024 --compression none"
	echo "64 B x 4 shards|rate>=5000000|--records $RECORDS_64 --size 64 --compression none"
	echo "64 B x 4 shards, keys hashed beforehand|rate>=5000000|--records $RECORDS_64 --size 64 --compression none --prehash"
	echo "1 KiB x 4 shards, deflate|-|--records $RECORDS_1K --size 1024 --compression deflate"
}

field() {   # field NAME < RESULT line
	sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"
}

TABLE=$OUT/table.md
{
	echo "| scenario | records/s | data MB/s | disk MB/s | ceiling MB/s raw / fio | disk/ceiling raw / fio | CPU ns/record | appends refused (ENOBUFS) | goal |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
} >"$TABLE"
CMDS=$OUT/commands.txt
: >"$CMDS"

i=0
scenarios | while IFS='|' read -r name goal args; do
	i=$((i + 1))
	log=$OUT/scenario-$i.txt
	# shellcheck disable=SC2086
	echo "$BIN $COMMON $args" >>"$CMDS"
	echo "== $name: $BIN $COMMON $args"
	# shellcheck disable=SC2086
	if ! "$BIN" $COMMON $args >"$log" 2>&1; then
		cat "$log"
		echo "bench_log.sh: scenario '$name' failed (output in $log)" >&2
		echo "| $name | failed | | | | | | | see $log |" >>"$TABLE"
		continue
	fi
	grep -E '^(run|median|hash|  )' "$log" || true
	res=$(grep '^RESULT' "$log")
	rate=$(echo "$res" | field rec_per_s)
	ratio=$(echo "$res" | field ratio_raw)
	verdict=-
	case "$goal" in
	ratio*) verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.90) ? "met (>= 0.90 of ceiling)" : "missed (goal >= 0.90 of ceiling)" }') ;;
	rate*) verdict=$(awk -v r="$rate" 'BEGIN { print (r >= 5e6) ? "met (>= 5 M rec/s)" : "missed (goal >= 5 M rec/s)" }') ;;
	esac
	awk -v n="$name" -v r="$rate" -v v="$verdict" \
		-v d="$(echo "$res" | field data_MBps)" -v k="$(echo "$res" | field disk_MBps)" \
		-v cr="$(echo "$res" | field ceiling_raw_MBps)" -v cf="$(echo "$res" | field ceiling_fio_MBps)" \
		-v rr="$ratio" -v rf="$(echo "$res" | field ratio_fio)" \
		-v c="$(echo "$res" | field cpu_ns_per_rec)" -v e="$(echo "$res" | field enobufs)" \
		'BEGIN { printf "| %s | %.2f M | %.0f | %.0f | %.0f / %.0f | %.3f / %.3f | %.0f | %s | %s |\n",
			n, r / 1e6, d, k, cr, cf, rr, rf, c, e, v }' >>"$TABLE"
done

echo
echo "Medians of $RUNS run(s), ceiling and log alternating; MB = 10^6 bytes. Full outputs: $OUT"
echo
cat "$TABLE"
echo
echo "Commands:"
echo
sed 's/^/    /' "$CMDS"

[ "$PROFILE" = 1 ] || exit 0

# ---- profile ----
echo
echo "## Profile"

top_perf() {   # top_perf DATAFILE
	perf report -i "$1" --stdio --no-children --sort symbol -g none --percent-limit 0.7 \
		2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
}

# Sample only the timed loop: bench_log enables and disables perf's events
# through these fifos (perf record -D -1 --control).
rm -f "$OUT/perf-ctl" "$OUT/perf-ack"
mkfifo "$OUT/perf-ctl" "$OUT/perf-ack"
CTL="--control fifo:$OUT/perf-ctl,$OUT/perf-ack -D -1"
CTLARG="--perf-ctl $OUT/perf-ctl,$OUT/perf-ack"

hw_pmu=0
if command -v perf >/dev/null 2>&1 &&
		perf stat -e instructions true >"$OUT/perf-stat-check.txt" 2>&1 &&
		! grep -q 'not supported\|not counted' "$OUT/perf-stat-check.txt"; then
	hw_pmu=1
fi

for which in 1K 64 DF; do
	case $which in
	1K) pargs="--dir $DIR --runs 1 --no-ceiling --shards 4 --records $RECORDS_1K --size 1024" ;;
	64) pargs="--dir $DIR --runs 1 --no-ceiling --shards 4 --records $RECORDS_64 --size 64" ;;
	*) pargs="--dir $DIR --runs 1 --no-ceiling --shards 4 --records $RECORDS_1K --size 1024 --compression deflate" ;;
	esac
	if [ "$hw_pmu" = 1 ]; then
		echo
		echo "### perf record -g (cycles): $BIN $pargs"
		# shellcheck disable=SC2086
		perf record -g $CTL -o "$OUT/perf-$which.data" -- "$BIN" $pargs $CTLARG \
			>"$OUT/perf-$which.txt" 2>&1
		top_perf "$OUT/perf-$which.data"
	elif command -v perf >/dev/null 2>&1; then
		echo
		echo "### no PMU (VM): perf record -e cpu-clock -g (timer sampling, user + kernel): $BIN $pargs"
		# shellcheck disable=SC2086
		if perf record -e cpu-clock -g $CTL -o "$OUT/perf-$which.data" -- "$BIN" $pargs \
				$CTLARG >"$OUT/perf-$which.txt" 2>&1; then
			top_perf "$OUT/perf-$which.data"
		else
			echo "perf record failed: see $OUT/perf-$which.txt"
		fi
	fi
	if [ "$hw_pmu" = 0 ] && command -v valgrind >/dev/null 2>&1; then
		small="--dir $DIR --runs 1 --no-ceiling --shards 4 --records 200k"
		case $which in
		1K) small="$small --size 1024" ;;
		64) small="$small --size 64" ;;
		*) small="$small --size 1024 --compression deflate" ;;
		esac
		echo
		echo "### valgrind --tool=callgrind --toggle-collect=append_loop (instructions in the timed loop, user space only): $BIN $small"
		# shellcheck disable=SC2086
		valgrind --tool=callgrind --toggle-collect='append_loop*' \
			--callgrind-out-file="$OUT/callgrind-$which.out" \
			"$BIN" $small >"$OUT/callgrind-$which.txt" 2>&1 || true
		callgrind_annotate "$OUT/callgrind-$which.out" 2>/dev/null |
			sed -n '/^Ir/,$p' | grep -v '^-' | head -25
	fi
done
