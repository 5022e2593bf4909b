#!/bin/sh
# vigil --check on every broken config: it must exit 1 and print exactly
# the lines in NAME.expected (file:line:column: message). The shipped
# example config must pass.
# usage: check_configs.sh VIGIL CONFIGS_DIR
set -u
vigil=$(realpath "$1")
cd "$2" || exit 1
fail=0
for cfg in broken/*.yaml; do
    want=${cfg%.yaml}.expected
    got=$("$vigil" --check "$cfg" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $cfg: exit status $rc, want 1"
        fail=1
    fi
    if [ "$got" != "$(cat "$want")" ]; then
        echo "FAIL $cfg: output differs from $want:"
        printf '%s\n' "$got" | diff "$want" - | sed 's/^/    /'
        fail=1
    else
        echo "ok   $cfg"
    fi
done
if ! "$vigil" --check wall.yaml >/dev/null 2>&1; then
    echo "FAIL wall.yaml: the example config must be valid"
    "$vigil" --check wall.yaml
    fail=1
else
    echo "ok   wall.yaml"
fi
# expect NAME FILE TEXT: TEXT must equal FILE's contents.
expect() {
    if [ "$3" != "$(cat "$2")" ]; then
        echo "FAIL $1 differs from $2:"
        printf '%s\n' "$3" | diff "$2" - | sed 's/^/    /'
        fail=1
    else
        echo "ok   $1"
    fi
}

# vigil plan on the example config: what plays when, and the timeline
# around the National Day holiday (its eve at 18:00, its end at midnight).
expect "vigil plan --at" plan-at.expected "$(
    for a in "2026-09-30 17:59" "2026-09-30 18:00" "2026-10-07 23:59:50" \
             "2026-12-31 12:00"; do
        "$vigil" plan wall.yaml --at "$a"; echo
    done)"
expect "vigil plan --from/--to" plan-timeline.expected "$(
    "$vigil" plan wall.yaml --from "2026-09-29 00:00" \
        --to "2026-10-09 00:00")"
exit $fail
