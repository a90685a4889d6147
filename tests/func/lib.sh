# shellcheck shell=bash
# Shared helpers for the functional tests, sourced by each tests/func/*.sh.
# Usage in a test: source "$(dirname "$0")/lib.sh" "$@"   (args: sluice binary, sluiced binary)

set -euo pipefail

SLUICE=${1:?usage: $0 path/to/sluice [path/to/sluiced]}
SLUICED=${2:-$(dirname "$SLUICE")/../sluiced/sluiced}
FUNC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN="python3 $FUNC_DIR/gen.py"

[ -x "$SLUICE" ] || { echo "FAIL: $SLUICE is not an executable"; exit 1; }

WORK=$(mktemp -d /var/tmp/sluice-func.XXXXXX)
D=$WORK/data
BG_PIDS=()

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -n "${SLUICE_KEEP_WORK:-}" ]; then
		echo "kept $WORK (SLUICE_KEEP_WORK)" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

check() {
	echo "check: $*"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" == "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_exit CODE PATTERN CMD...: run CMD, expect exit status CODE and PATTERN
# (a fixed string) in its stderr. Leaves stdout in $WORK/out, stderr in $WORK/err.
expect_exit() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "command: $*" >&2
		echo "stderr:" >&2
		cat "$WORK/err" >&2
		fail "exit status $rc, want $want"
	fi
	if [ -n "$pat" ] && ! grep -qF -- "$pat" "$WORK/err"; then
		echo "command: $*" >&2
		echo "stderr:" >&2
		cat "$WORK/err" >&2
		fail "stderr does not contain '$pat'"
	fi
	if [ "$want" != 0 ] && [ "$(wc -l <"$WORK/err")" -lt 1 ]; then
		fail "no message for: $*"
	fi
}

# read_shards STREAM NSHARDS PREFIX: read every shard (tsv) into PREFIX.<i>
read_shards() {
	local i
	for ((i = 0; i < $2; i++)); do
		"$SLUICE" read --data-dir "$D" --stream "$1" --shard "$i" >"$3.$i" ||
			fail "read of stream $1 shard $i exited $?"
	done
}

# shard_records STREAM: sum of the RECORDS column of `sluice shards`
shard_records() {
	"$SLUICE" shards --data-dir "$D" --stream "$1" | awk '$1 ~ /^shardId-/ { s += $9 } END { print s + 0 }'
}
