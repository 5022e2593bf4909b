#!/usr/bin/env bash
# Build the Debian package from this tree and check it:
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree (tracked files
#      and new ones git does not ignore), dependencies from Debian's
#      archive (scripts/deps.sh test installs the build tools);
#   2. the package's files are exactly what `meson install` installs
#      (meson install --destdir from the package's own build), plus
#      what debhelper adds (changelog, copyright), man pages and docs
#      compressed by dh_compress;
#   3. it installs: dpkg -i, the vigil user exists (sysusers), the
#      installed program runs (--version, --check on the examples), the
#      unit passes systemd-analyze verify; then it is purged again.
# Prints "package: OK, N files" or fails naming what differs.
# Usage: scripts/package.sh [OUTDIR]   (the .deb is left in OUTDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-$src/build/package}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(sed -n '1s/^vigil (\([^)]*\)).*/\1/p' debian/changelog)
tree=$work/vigil-$version
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
        [ -e "$f" ] && printf '%s\0' "$f"
    done | tar -c --null -T - | tar -x -C "$tree"

(cd "$tree" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) \
    > "$work/build.log" 2>&1 || {
    tail -40 "$work/build.log"
    echo "package: dpkg-buildpackage failed" >&2
    exit 1
}
deb=$(ls "$work"/vigil_"$version"_*.deb)
mkdir -p "$out"
cp "$deb" "$out/"

# what meson installs, as the package's build configured it
obj=$(ls -d "$tree"/obj-*)
meson install -C "$obj" --destdir "$work/mi" --no-rebuild --quiet
(cd "$work/mi" && find . ! -type d | sed 's|^\./|/|' | sort) > "$work/meson.list"
# what the package holds (files and links), .gz from dh_compress dropped,
# debhelper's own files set aside
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' |
    sed 's|\.gz$||' | grep -v -x -e /usr/share/doc/vigil/changelog \
    -e /usr/share/doc/vigil/copyright | sort > "$work/deb.list"
if ! diff -u "$work/meson.list" "$work/deb.list"; then
    echo "package: its files differ from meson install (- meson, + package)" >&2
    exit 1
fi
n=$(wc -l < "$work/deb.list")

# install it, use it, purge it
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO dpkg -i "$deb" > "$work/install.log" 2>&1 || {
    cat "$work/install.log"; echo "package: dpkg -i failed" >&2; exit 1; }
getent passwd vigil > /dev/null || { echo "package: no vigil user" >&2; exit 1; }
id -nG vigil | grep -qw video || { echo "package: vigil not in video" >&2; exit 1; }
/usr/bin/vigil --version | head -1
/usr/bin/vigil --check /usr/share/vigil/examples/first-wall.yaml
systemd-analyze verify /lib/systemd/system/vigil.service 2> "$work/verify.log"
if [ -s "$work/verify.log" ]; then
    cat "$work/verify.log"; echo "package: the unit has warnings" >&2; exit 1
fi
[ -d /var/lib/vigil ] || { echo "package: no /var/lib/vigil (tmpfiles)" >&2; exit 1; }
$SUDO dpkg --purge vigil > /dev/null
echo "package: OK, $n files, $(basename "$deb")"
