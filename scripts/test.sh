#!/usr/bin/env bash
# Run every test: installs what is missing (build tools, ffmpeg,
# gst-rtsp-server, valgrind), builds, then runs
#   1. the unit, header and integration suites (meson test),
#   2. the unit suite again under valgrind,
#   3. the unit suite built with AddressSanitizer and UBSan, and the
#      integration tests of suite `sanitize` against that build,
#   4. the Debian package: built, its file list checked against
#      `meson install`, installed, used and purged (scripts/package.sh),
#   5. the README's picture against the demo wall (scripts/screenshot.sh),
#   6. each fuzz target for 20 s (scripts/fuzz.sh: libFuzzer, ASan, UBSan),
# and before 4: ThreadSanitizer (scripts/tsan.sh) and a 3-minute soak
# (bench/soak).
# A missing part fails the run; nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
# playwright-core (npm) drives Debian's chromium in the console test
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    npm ci --prefix tests/browser --no-audit --no-fund
fi

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
        -Db_lundef=false -Dintegration_tests=true
else
    meson configure build-asan -Dintegration_tests=true
fi
ninja -C build-asan
# UBSan halts on the first report (a report is a failure, not a warning)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-asan --suite unit --suite headers --print-errorlogs
# The wall itself under the sanitizers, against real servers (leaks are
# not counted: FFmpeg, SDL and fontconfig keep caches until exit).
ASAN_OPTIONS=detect_leaks=0 \
    meson test -C build-asan --suite sanitize --print-errorlogs \
    --num-processes 1 --logbase testlog-sanitize

# ThreadSanitizer: the handoffs' unit tests and three walls (build-tsan)
scripts/tsan.sh

# The soak, short: 32 cameras, a fault every 3 s for 3 minutes, alerts
# checked against the injector's log (bench/soak --minutes 30 for the
# record in docs/reliability.md)
VIGIL=$PWD/build/vigil CLIPS_DIR=$PWD/build/bench/clips \
    /usr/bin/python3 bench/soak --minutes 3 --out build/soak.json

scripts/package.sh
scripts/screenshot.sh --check docs/demo-wall.png
scripts/fuzz.sh 20

# One closing line over everything that ran (meson's own summaries are per
# run): "tests: N passed, N failed".
python3 - build/meson-logs/testlog.json build/meson-logs/testlog-valgrind.json \
    build-asan/meson-logs/testlog.json \
    build-asan/meson-logs/testlog-sanitize.json \
    build-tsan/meson-logs/testlog-tsan-unit.json \
    build-tsan/meson-logs/testlog-tsan.json <<'PY'
import json, sys
ok = bad = 0
for path in sys.argv[1:]:
    try:
        for line in open(path):
            r = json.loads(line).get("result")
            ok += r == "OK"
            bad += r not in ("OK", "SKIP", "EXPECTEDFAIL")
    except FileNotFoundError:
        pass
print("tests: %d passed, %d failed" % (ok, bad))
PY
