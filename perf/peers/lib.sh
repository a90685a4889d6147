# shellcheck shell=bash
# Shared helpers of perf/peers/*.sh (sourced, not run). Everything here works on
# loopback only and on processes the calling script started itself (by pid).

peers_die() {
	echo "$PEERS_NAME: $*" >&2
	exit 1
}

# A port nobody uses on this machine now: $1 = tcp or udp. Random in
# 20000..59999, checked against every socket ss lists (listening or not).
peers_free_port() {
	local flag used p
	case "$1" in
	tcp) flag=-Htan ;;
	udp) flag=-Huan ;;
	*) return 1 ;;
	esac
	used=$(ss $flag 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
	for _ in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! grep -qx "$p" <<<"$used"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# CPU seconds a process has used so far: all its threads, plus its waited-for
# children (utime + stime + cutime + cstime of /proc/PID/stat).
peers_cpu_s() {
	local pid=$1 rest
	rest=$(cat "/proc/$pid/stat" 2>/dev/null) || { echo 0; return; }
	rest=${rest##*) }       # the command name may hold spaces: skip past ") "
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($12 + $13 + $14 + $15) / t }' \
		<<<"$rest"
}

# Wall clock in seconds with nanoseconds.
peers_now() {
	date +%s.%N
}

# Absolute path of a build output: $BUILD_DIR (default build) under the repo
# root unless it is absolute.
peers_build_path() {
	local root=$1 rel=$2 b=${BUILD_DIR:-build}
	case "$b" in
	/*) echo "$b/$rel" ;;
	*) echo "$root/$b/$rel" ;;
	esac
}

# $1 / $2 (0 when $2 is 0), printed with the format $3 (default %.0f).
peers_div() {
	awk -v n="$1" -v d="$2" -v f="${3:-%.0f}" 'BEGIN { printf f "\n", (d > 0 ? n / d : 0) }'
}
