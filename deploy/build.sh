#!/usr/bin/env bash
# Configure (once) and build sluice into build/. Binaries: build/app/sluiced/sluiced
# and build/app/sluice/sluice.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh "$@"
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build >/dev/null
