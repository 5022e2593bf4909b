#!/usr/bin/env bash
# ThreadSanitizer: the thread handoffs and one wall, built with
# -fsanitize=thread (build-tsan/). Runs
#   - the unit tests of the handoffs: mailbox (frames by reference from a
#     camera's worker to the renderer, the decode slots), watchdog (the
#     render thread's heartbeat read by the loop), alerts (the sinks'
#     queues);
#   - integration tests against the TSan build: `streams` (a real wall
#     whose cameras switch main and sub streams under the renderer),
#     `sinks` (the MQTT, webhook and exec sinks' threads, a broker that
#     goes away) and `zoo` (reconnects: quiet ones, refusals, a reboot).
# Any report fails the run (halt_on_error; a wall's log is checked for
# "ThreadSanitizer" by the harness). Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-tsan/build.ninja ]; then
    meson setup build-tsan -Db_sanitize=thread -Dbench=false \
        -Db_lundef=false -Dintegration_tests=true -Dbuildtype=debugoptimized
fi
ninja -C build-tsan
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$PWD/tests/tsan.supp"
meson test -C build-tsan --print-errorlogs --logbase testlog-tsan-unit \
    --suite unit mailbox watchdog alerts
meson test -C build-tsan --print-errorlogs --logbase testlog-tsan \
    --num-processes 1 --suite integration streams sinks zoo
