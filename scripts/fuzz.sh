#!/usr/bin/env bash
# Fuzz every target for a while: builds build-fuzz (clang, libFuzzer,
# AddressSanitizer and UBSan), then runs each fuzzer from its seed corpus
# (tests/fuzz/corpus/NAME) for SECONDS (default 20), in a working corpus
# under build-fuzz/corpus so the tree is not touched. A crash, a leak, a
# sanitizer report or a timeout fails the run and leaves the input in
# build-fuzz/artifacts/NAME/: fix the bug, then add the input to
# tests/fuzz/corpus/NAME/, where the unit suite replays it for good.
#   scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config layout ics journal http)
command -v clang > /dev/null || { echo "fuzz: clang is missing (scripts/deps.sh test)" >&2; exit 1; }
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Dbench=false \
        -Db_sanitize=address,undefined -Db_lundef=false > /dev/null
fi
ninja -C build-fuzz > /dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
fail=0
for t in "${targets[@]}"; do
    work=build-fuzz/corpus/$t
    art=build-fuzz/artifacts/$t/
    mkdir -p "$work" "$art"
    log=build-fuzz/fuzz-$t.log
    if build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art" \
        "$work" tests/fuzz/corpus/"$t" > "$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        echo "fuzz: $t: ${runs:-?} inputs in ${secs} s, coverage ${cov:-?} edges, $(ls "$work" | wc -l) in the corpus, no crash"
    else
        echo "fuzz: $t FAILED; the input is in $art:" >&2
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -8 >&2
        fail=1
    fi
done
exit $fail
