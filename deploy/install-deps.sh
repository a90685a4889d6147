#!/usr/bin/env bash
# Install the Debian 12 packages sluice needs to build, test and run; a no-op
# when they are all present. Run as root (or with sudo available).
#   deploy/install-deps.sh          build + test dependencies
#   deploy/install-deps.sh --perf   also what perf/ uses (fio, linux-perf, and the
#                                   peers of perf/peers: redis-server, libhiredis-dev,
#                                   rsyslog); never needed by tests/run
set -euo pipefail

pkgs=(
	clang
	gcc
	iproute2
	iputils-ping
	libclang-rt-14-dev
	libcunit1-dev
	libdpdk-dev
	libisal-dev
	libjansson-dev
	libjemalloc-dev
	liburing-dev
	libssl-dev
	meson
	ninja-build
	pkg-config
	python3
	python3-scapy
	socat
)
if [ "${1:-}" = "--perf" ]; then
	pkgs+=(dpdk-dev fio libhiredis-dev linux-perf redis-server rsyslog)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
