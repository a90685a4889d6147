#!/bin/sh
# Build and run the frame decoder's libFuzzer target for a bounded time (the meson
# test 'fuzz-frame'; tests/fuzz/fuzz_frame.c says what it checks).
#
#   tests/fuzz/run_fuzz.sh SOURCE_ROOT OUT_DIR
#
# SOURCE_ROOT is the project root, OUT_DIR where the binaries, the corpus
# (OUT_DIR/fuzz-frame-corpus, kept between runs) and crash artifacts go.
# FUZZ_SECONDS (default 30) bounds the run; CLANG names the compiler.
#
# The target is compiled with clang, not with meson's compiler, because it needs
# -fsanitize=fuzzer: fuzz_frame.c and lib/frame/frame.c with coverage, plus what
# slc_block_crc32c() drags in (lib/block's block.c, block_compress.c, lib/mem's
# mem.c; ISA-L; DPDK's EAL for rte_log). jemalloc is not linked: AddressSanitizer
# must own malloc.
#
# Exit: 0 no finding, 1 a crash, leak or property violation (the reproducer is
# named in the output), 77 (skip) when clang or the libFuzzer runtime is missing.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 SOURCE_ROOT OUT_DIR" >&2
	exit 2
fi
src=$1
out=$2
seconds=${FUZZ_SECONDS:-30}
mkdir -p "$out"

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14 clang-15 clang-16; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz-frame: SKIP: clang${cc:+ ($cc)} is not installed (deploy/install-deps.sh installs clang and libclang-rt-14-dev)"
	exit 77
fi

# Is the libFuzzer runtime there? (Debian: libclang-rt-<version>-dev)
probe_dir=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-probe.XXXXXX")
trap 'rm -rf "$probe_dir"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$probe_dir/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.c" -o "$probe_dir/probe" \
		>"$probe_dir/log" 2>&1; then
	echo "fuzz-frame: SKIP: $cc cannot link -fsanitize=fuzzer,address,undefined (the libFuzzer" \
		"runtime is missing: install libclang-rt-14-dev or the package matching $cc):"
	sed 's/^/  /' "$probe_dir/log" | head -5
	exit 77
fi

if ! dpdk_cflags=$(pkg-config --cflags libdpdk) || ! dpdk_libs=$(pkg-config --libs libdpdk); then
	echo "fuzz-frame: pkg-config cannot find libdpdk (needed for lib/block's rte_log)" >&2
	exit 1
fi

incs="-I$src/lib/frame -I$src/lib/block -I$src/lib/mem -I$src/lib/hashkey"
# shellcheck disable=SC2086  # word splitting of the flag lists is intended
"$cc" -DFUZZ_FRAME_SEEDS -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1 \
	-D_GNU_SOURCE $incs $dpdk_cflags \
	"$src/tests/fuzz/fuzz_frame.c" "$src/lib/frame/frame.c" "$src/lib/block/block.c" \
	"$src/lib/block/block_compress.c" "$src/lib/mem/mem.c" \
	-lisal $dpdk_libs -o "$out/fuzz_frame_seeds"
# shellcheck disable=SC2086
"$cc" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 \
	-D_GNU_SOURCE $incs $dpdk_cflags \
	"$src/tests/fuzz/fuzz_frame.c" "$src/lib/frame/frame.c" "$src/lib/block/block.c" \
	"$src/lib/block/block_compress.c" "$src/lib/mem/mem.c" \
	-lisal $dpdk_libs -o "$out/fuzz_frame"

seeds=$out/fuzz-frame-seeds
corpus=$out/fuzz-frame-corpus
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
"$out/fuzz_frame_seeds" "$seeds"
printf '"SLF1"\n"SLF1\\x01\\x00"\n"SLF1\\x01\\x01"\n"\\x00\\x01\\x00\\x00"\n"\\xff\\xff\\xff\\xff"\n' \
	>"$out/fuzz_frame.dict"

echo "fuzz-frame: fuzzing for ${seconds}s (FUZZ_SECONDS), corpus $corpus"
# The first directory is the corpus that grows; new inputs land there.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
set +e
"$out/fuzz_frame" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -dict="$out/fuzz_frame.dict" -artifact_prefix="$out/fuzz-frame-" \
	"$corpus" "$seeds"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "fuzz-frame: FAIL: the fuzzer found a problem (exit $rc); reproduce with:" \
		"$out/fuzz_frame $out/fuzz-frame-<crash file above>"
	exit 1
fi
echo "fuzz-frame: no finding in ${seconds}s"
