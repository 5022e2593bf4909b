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
exit $fail
