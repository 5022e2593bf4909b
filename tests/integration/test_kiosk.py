#!/usr/bin/python3
"""The wall as a kiosk, on real display servers, checked by screenshots
the display server itself takes (not the wall's own snapshot):

- X11 (Xvfb): the screen's window opens on the display it names (by the
  name the wall logs); a grab of the X screen shows the right camera in
  each tile; the mouse pointer is hidden (`cursor: hidden`: a grab that
  draws the pointer shows none), shown after a reload to `cursor: shown`,
  and with `auto` shown while the mouse moves, hidden 3 s after; a screen
  naming a display that is not there keeps its window hidden (so it
  covers no other screen) and says so.
- Wayland (weston, kiosk-shell, pixman renderer; nested in Xvfb, since
  weston 10's headless backend has no seat and SDL 2.26 crashes in its
  Wayland init without one): `video_driver: wayland` opens the wall there
  and weston's own screenshot shows the right cameras."""
import os
import signal
import subprocess
import tempfile
import time

from PIL import Image

from harness import (COLOURS, Vigil, centre_colour, check, finish, near, spawn,
                     stop_cleanly, temp_dir, tile_rects, wait_for)

ORDER = ["red", "green", "blue", "yellow"]


def cams():
    return "".join(
        "  - {id: %s, url: 'lavfi:color=c=0x%02X%02X%02X:s=320x180:r=10'}\n"
        % ((c,) + COLOURS[c]) for c in ORDER)


def config(extra_wall, screen_extra=""):
    return """
wall:
  name: kiosk-wall
  labels: false
%s
  screens: [{id: main, size: 640x360, fullscreen: false%s}]
alerts:
  journal: '@JOURNAL@'
cameras:
%s
plans:
  p:
    screens:
      main: [{layout: 2x2, tiles: [red, green, blue, yellow]}]
""" % (extra_wall, screen_extra, cams())


def tiles_right(img, x0, y0, w, h, what):
    got = []
    for rect, want in zip(tile_rects((2, 2), w, h), ORDER):
        x, y, rw, rh = rect
        c = centre_colour(img, (x0 + x, y0 + y, rw, rh))
        got.append(c)
        if not near(c, COLOURS[want], 45):
            check(False, "%s: tile %s shows %s" % (what, want, c))
            return False
    check(True, "%s: each tile shows its camera %s" % (what, got))
    return True


def start_x(display):
    x = spawn(["Xvfb", display, "-screen", "0", "1280x720x24"],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return x


# ---------------- X11 ----------------
display = ":%d" % (20 + os.getpid() % 40)
xvfb = start_x(display)
os.environ["DISPLAY"] = display


def grab(mouse=False):
    out = os.path.join(tempfile.gettempdir(), "vigil-grab-%d.png"
                       % os.getpid())
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab",
                    "-draw_mouse", "1" if mouse else "0", "-video_size",
                    "1280x720", "-i", display, "-frames:v", "1", out],
                   check=True)
    img = Image.open(out).convert("RGB")
    os.unlink(out)
    return img


def window_geometry():
    ids = subprocess.run(["xdotool", "search", "--name", "Vigil"],
                         capture_output=True, text=True).stdout.split()
    if not ids:
        return None
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", ids[0]],
                         capture_output=True, text=True).stdout
    g = dict(l.split("=") for l in out.split())
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def window_geometry_visible():
    return subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                           "Vigil"], capture_output=True,
                          text=True).stdout.split()


wall = Vigil(config("  cursor: hidden", ", display: screen"),
             headless=False)
geo = wait_for(window_geometry, 10, "the wall window")
check(bool(geo), "the wall opens its window: %s" % (geo,))
check("display 0 'screen'" in wall.log() and
      "screen main: window on display 0" in wall.log(),
      "the displays are logged and the screen's window is on the one it "
      "names ('screen')")
check("video driver x11; screen saver off" in wall.log(),
      "on X11, with SDL's screen saver inhibited (SDL says it is off)")
wait_for(lambda: all(c["state"] == "live" for c in wall.status()["cameras"]),
         10, "live")
time.sleep(0.5)
gx, gy, gw, gh = geo
tiles_right(grab(), gx, gy, gw, gh, "X11 screenshot")

# the pointer over the red tile, in a flat colour
px, py = gx + gw // 4, gy + gh // 4
subprocess.run(["xdotool", "mousemove", str(px), str(py)], check=True)
time.sleep(0.5)


def pointer_pixels(img):
    """Pixels around the pointer that are not the red tile's."""
    box = img.crop((px - 2, py - 2, px + 20, py + 26))
    return sum(1 for c in box.getdata() if not near(c, COLOURS["red"], 45))


hidden = pointer_pixels(grab(mouse=True))
check(hidden == 0, "cursor: hidden: no pointer in a grab that draws it "
      "(%d pixels)" % hidden)
with open(wall.config, "w") as f:
    f.write(config("  cursor: shown", ", display: screen").replace(
        "@JOURNAL@", wall.journal))
wall.proc.send_signal(signal.SIGHUP)
shown = wait_for(lambda: pointer_pixels(grab(mouse=True)) > 20, 5,
                 "the pointer")
check(shown, "reloaded to cursor: shown, the pointer is drawn (%d pixels)"
      % pointer_pixels(grab(mouse=True)))
with open(wall.config, "w") as f:
    f.write(config("  cursor: auto", ", display: screen").replace(
        "@JOURNAL@", wall.journal))
wall.proc.send_signal(signal.SIGHUP)
time.sleep(4.0)
still = pointer_pixels(grab(mouse=True))
subprocess.run(["xdotool", "mousemove", str(px + 3), str(py + 3)], check=True)
px, py = px + 3, py + 3
moving = wait_for(lambda: pointer_pixels(grab(mouse=True)) > 20, 3,
                  "pointer after motion")
gone = wait_for(lambda: pointer_pixels(grab(mouse=True)) == 0, 6,
                "pointer hidden again")
check(still == 0 and moving and gone,
      "cursor: auto: hidden while still (%d), shown when the mouse moves, "
      "hidden again 3 s later" % still)
stop_cleanly(wall)

lost = Vigil(config("", ", display: HDMI-9"), headless=False)
check("display HDMI-9 is not there: its window stays hidden" in
      lost.log() and not window_geometry_visible() and
      lost.status()["wall"] == "kiosk-wall",
      "a screen naming a display that is not there: the wall runs, its "
      "window stays hidden (over no other screen's display) and it says so")
stop_cleanly(lost)

# ---------------- Wayland ----------------
run_dir = temp_dir("vigil-xdg-")
os.chmod(run_dir, 0o700)
sock = "wayland-vigil-%d" % os.getpid()
env = dict(os.environ, XDG_RUNTIME_DIR=run_dir)
weston = spawn(["weston", "--backend=x11-backend.so",
                "--shell=kiosk-shell.so", "--use-pixman", "--width=1280",
                "--height=720", "--socket=" + sock, "--idle-time=0",
                "--debug", "--no-config"], env=env,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
up = wait_for(lambda: os.path.exists(os.path.join(run_dir, sock)), 10,
              "weston")
check(up, "weston runs (x11 backend, kiosk-shell)")
os.environ["XDG_RUNTIME_DIR"] = run_dir
os.environ["WAYLAND_DISPLAY"] = sock
del os.environ["DISPLAY"]
wl = Vigil(config("  video_driver: wayland"), headless=False)
check("video driver wayland" in wl.log(), "the wall runs on Wayland")
wait_for(lambda: all(c["state"] == "live" for c in wl.status()["cameras"]),
         10, "live")
time.sleep(1.0)
shots = os.path.join(run_dir, "shots")
os.makedirs(shots)
subprocess.run(["weston-screenshooter"], cwd=shots, timeout=10)
pngs = [f for f in os.listdir(shots) if f.endswith(".png")]
check(bool(pngs), "weston took a screenshot")
if pngs:
    img = Image.open(os.path.join(shots, pngs[0])).convert("RGB")
    w, h = img.size
    # kiosk-shell shows the window full screen: the 640x360 composition
    # fills the output
    tiles_right(img, 0, 0, w, h, "Wayland screenshot (%dx%d)" % (w, h))
stop_cleanly(wl)
weston.terminate()
weston.wait()
xvfb.terminate()
finish()
