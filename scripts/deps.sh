#!/usr/bin/env bash
# Installs the Debian 12 packages that Vigil needs to build, run and test.
# Idempotent: does nothing when every package is already present.
# Usage: scripts/deps.sh [build|test|bench]
#   test adds the integration fixtures; bench adds vigil-bench's peers too
#   (GStreamer's libav decoders, mpv, perf)
set -euo pipefail

build_pkgs=(
    meson ninja-build pkg-config gcc
    libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
    libsdl2-dev libuv1-dev libfyaml-dev libhttp-parser-dev libjansson-dev
    libpng-dev libsdl2-ttf-dev fonts-dejavu-core libavdevice-dev libical-dev
    libmosquitto-dev libcurl4-openssl-dev libsystemd-dev libyuv-dev
)
test_pkgs=(
    ffmpeg valgrind curl
    python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
    gstreamer1.0-plugins-bad python3-pil mosquitto mosquitto-clients
    chromium xvfb xdotool weston debhelper dpkg-dev fakeroot
    clang libclang-rt-14-dev libtsan2
)

bench_pkgs=(gstreamer1.0-libav mpv linux-perf)

want=("${build_pkgs[@]}")
case "${1:-build}" in
test) want+=("${test_pkgs[@]}") ;;
bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

# Node.js (for the browser test) may come from another source than
# Debian's archive; install Debian's only when there is none at all.
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null 2>&1; then
    want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
