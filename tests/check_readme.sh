#!/bin/sh
# The README's five-minute guide config (its first ```yaml block) and the
# shipped examples must be valid walls: docs that cannot be run are wrong.
# usage: check_readme.sh VIGIL README EXAMPLES_DIR
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^ *```yaml/{f=1;next} /^ *```/{if(f){exit}} f' "$2" |
    sed 's/^   //' > "$tmp/readme.yaml"
[ -s "$tmp/readme.yaml" ] || { echo "FAIL no yaml block in $2"; exit 1; }
status=0
for f in "$tmp/readme.yaml" "$3"/*.yaml; do
    if "$1" --check "$f" > "$tmp/out" 2>&1; then
        echo "ok   $(basename "$f") is a valid wall"
    else
        echo "FAIL $(basename "$f"):"; cat "$tmp/out"; status=1
    fi
done
exit $status
