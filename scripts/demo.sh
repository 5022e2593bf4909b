#!/usr/bin/env bash
# Run the demo wall: installs what is missing, builds, then runs vigil on
# its built-in config (16 synthetic cameras). Extra arguments go to vigil,
# e.g. scripts/demo.sh --headless, or scripts/demo.sh my-wall.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec build/vigil "$@"
