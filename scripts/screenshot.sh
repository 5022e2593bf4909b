#!/usr/bin/env bash
# The README's picture of the demo wall, taken from the real demo: builds,
# runs the built-in demo wall headless, waits until its cameras are live
# and the patrol is on its first page (the 4x4), and saves what the wall
# shows (the headless canvas is drawn by the same renderer as a window) to
# docs/demo-wall.png, or to FILE.
#   scripts/screenshot.sh [FILE]
#   scripts/screenshot.sh --check FILE   take a fresh one and compare it
#       with FILE, the committed picture: fails when they differ beyond the
#       clocks and counters (then the picture is stale: run
#       scripts/screenshot.sh and commit docs/demo-wall.png).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
[ -f build/build.ninja ] || meson setup build
ninja -C build > /dev/null
exec /usr/bin/python3 - "$PWD/build/vigil" "$@" <<'PY'
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.request
from PIL import Image, ImageChops, ImageStat

vigil, args = sys.argv[1], sys.argv[2:]
check = args[:1] == ["--check"]
committed = args[1] if check else None
out = (tempfile.mktemp(suffix=".png") if check
       else (args[0] if args else "docs/demo-wall.png"))
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
run = tempfile.mkdtemp(prefix="vigil-shot-")
p = subprocess.Popen([vigil, "--headless", "--listen", "127.0.0.1:%d" % port,
                      "-q"], cwd=run)
def get(path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=5) as r:
        return r.read()
try:
    deadline = time.monotonic() + 60
    while True:
        try:
            st = json.loads(get("/api/status"))
            live = sum(c["state"] == "live" for c in st["cameras"])
            if live == len(st["cameras"]) and st["screens"][0]["page"] == 0:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("screenshot: the demo wall did not settle on its "
                     "first page with every camera live")
        time.sleep(0.2)
    time.sleep(1.0)  # every tile has a fresh picture
    with open(out, "wb") as f:
        f.write(get("/api/snapshot.png?screen=main"))
except BaseException:
    print("screenshot: the wall's directory is kept: " + run)
    raise
finally:
    p.send_signal(signal.SIGTERM)
    p.wait(10)
shutil.rmtree(run, ignore_errors=True)
img = Image.open(out).convert("RGB")
print("screenshot: %s, %dx%d" % (out, img.width, img.height))
if check:
    old = Image.open(committed).convert("RGB")
    if old.size != img.size:
        sys.exit("screenshot: %s is %dx%d, the wall now %dx%d: stale"
                 % (committed, old.width, old.height, img.width, img.height))
    # compare 16x9 cells: the clock and the frame counters move, the
    # cameras, the layout and the colours must not
    cols, rows = 16, 9
    a = old.resize((cols, rows), Image.BOX)
    b = img.resize((cols, rows), Image.BOX)
    bad = [(x, y) for y in range(rows) for x in range(cols)
           if max(abs(u - v) for u, v in zip(a.getpixel((x, y)),
                                             b.getpixel((x, y)))) > 24]
    os.unlink(out)
    if len(bad) > 2:
        sys.exit("screenshot: %s is stale (%d of %d cells differ): run "
                 "scripts/screenshot.sh and commit it" %
                 (committed, len(bad), cols * rows))
    print("screenshot: %s matches the demo wall (%d cells differ, at most 2)"
          % (committed, len(bad)))
PY
