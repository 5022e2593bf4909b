#!/usr/bin/env bash
# Run every test: installs what is missing (build tools, ffmpeg,
# gst-rtsp-server, valgrind), builds, then runs
#   1. the unit, header and integration suites (meson test),
#   2. the unit suite again under valgrind,
#   3. the unit suite built with AddressSanitizer and UBSan.
# A missing part fails the run; nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

if [ -f build/build.ninja ]; then
    meson configure build -Dintegration_tests=true
else
    meson setup build -Dintegration_tests=true
fi
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

meson test -C build --setup valgrind --suite unit --print-errorlogs

if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Dbench=false \
        -Db_lundef=false
fi
ninja -C build-asan
meson test -C build-asan --suite unit --suite headers --print-errorlogs
