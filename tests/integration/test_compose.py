#!/usr/bin/python3
"""Pictures composed the same way on every render path: the software
canvas (swscale converts each decoded picture straight into its tile),
the GPU renderer (SDL's OpenGL renderer scaling the pictures' textures)
headless through EGL with SDL's offscreen driver (and its GLES2 renderer
there) and in a window, all on Mesa's llvmpipe here, and a software window (the canvas put on the screen,
read back off the X display). On each, every tile shows its own camera
(colour), at the place and scale the wall's fit says (the edges of the
picture, the bars beside it, a frame-counter barcode read through the same
mapping), for each fit and for pictures wider, narrower and larger than
their tiles; colours with their stream's matrix, said or implied; a
camera that stalls is dimmed alike; with overlays up (a stalled tile's
seconds, the alert banner) live tiles move, the banner blended once."""
import os
import subprocess
import time

from PIL import Image

from harness import (COLOURS, RtspServer, Vigil, check, finish, log,
                     make_clip, near, read_barcode, spawn, tile_picture,
                     tile_rects, wait_for)

# camera: (colour, size); the tiles are 638x358 inside their border. The
# 720p camera's YUV is BT.709, as an HD camera's is, and like the others
# its stream does not say so: shown with BT.601, its magenta would be 26
# levels off. The 640x360 one is BT.709 too and says so, against what its
# size implies (SDL's own guess would put its red 18 levels off).
CAMS = {"wide": ("red", "640x360"), "four3": ("green", "480x360"),
        "tall": ("blue", "360x640"), "big": ("magenta", "1280x720")}
BG = (14, 14, 16)  # a tile's background
srv = RtspServer({c: make_clip(c, col, size=size, barcode=True,
                               bt709=c in ("big", "wide"),
                               tagged=c == "wide")
                  for c, (col, size) in CAMS.items()})
rects = tile_rects((2, 2), 1280, 720)


def wall_with(fit, headless, renderer):
    return Vigil("""
wall: {name: compose, fit: %s, labels: false, renderer: %s,
       screens: [{id: main, size: 1280x720}]}
alerts: {journal: '@JOURNAL@'}
cameras:
%s
plans: {p: {screens: {main: [{layout: 2x2, tiles: [%s]}]}}}
""" % (fit, renderer, "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c))
                              for c in CAMS), ", ".join(CAMS)),
                 headless=headless)


def inside(dst, k):
    """Points k pixels inside the middle of each edge of dst."""
    x, y, w, h = dst
    return [(x + k, y + h // 2), (x + w - 1 - k, y + h // 2),
            (x + w // 2, y + k), (x + w // 2, y + h - 1 - k)]


def live(wall):
    return all(c["state"] == "live" for c in wall.status()["cameras"])


# path: (headless, renderer, SDL's render driver); auto takes the canvas
# here, where OpenGL is Mesa's llvmpipe; GLES2 is what Wayland, KMSDRM and
# ARM walls get
PATHS = {"canvas": (True, "auto", None), "gpu headless": (True, "gpu", None),
         "gles2 headless": (True, "gpu", "opengles2"),
         "opengl window": (False, "gpu", None),
         "software window": (False, "auto", None)}


def check_fit(path, fit):
    headless, renderer, driver = PATHS[path]
    if driver:
        os.environ["SDL_RENDER_DRIVER"] = driver
    try:
        wall = wall_with(fit, headless, renderer)
    finally:
        os.environ.pop("SDL_RENDER_DRIVER", None)
    wait_for(lambda: live(wall), 30, "live")
    what = "%s, %s" % (path, fit)
    img = None
    # a few compositions, so every tile has a picture
    for _ in range(10):
        img = wall.snapshot()
        if all(img.getpixel((r[0] + r[2] // 2, r[1] + r[3] // 2)) != BG
               for r in rects):
            break
    for t, (cam, (col, size)) in enumerate(CAMS.items()):
        sw, sh = map(int, size.split("x"))
        pic = tile_picture(rects[t], fit, sw, sh)
        dst = pic[0]
        got = [img.getpixel(p) for p in inside(dst, 3)]
        check(all(near(c, COLOURS[col], 45) for c in got),
              "%s, %s: the picture's colour reaches its edges %s (%s)"
              % (what, cam, dst, got))
        # the colour itself, away from the name, counter and edges: the
        # matrix its size implies (BT.709 above 576 lines), on every path
        mid = img.getpixel((dst[0] + dst[2] // 4, dst[1] + dst[3] * 3 // 4))
        check(near(mid, COLOURS[col], 14), "%s, %s: the colour is %s (%s)"
              % (what, cam, COLOURS[col], mid))
        box = tile_picture(rects[t], "stretch", sw, sh)[0]
        if dst != box:
            out = [img.getpixel(p) for p in inside(dst, -1)
                   if box[0] <= p[0] < box[0] + box[2] and
                   box[1] <= p[1] < box[1] + box[3]]
            check(out and all(near(c, BG, 12) for c in out),
                  "%s, %s: bars beside the picture (%s)" % (what, cam, out))
        # the counter's squares, read through the fit's mapping (fill may
        # crop them off)
        if pic[1][1] == 0:
            n = read_barcode(img, pic, sw)
            check(n is not None, "%s, %s: the frame counter reads (%s)"
                  % (what, cam, n))
    return wall


def check_dim(path, wall):
    """A stalled camera's last picture stays up, dimmed."""
    srv.command("freeze", "wide")
    ok = wait_for(lambda: wall.camera("wide")["state"] != "live", 10,
                  "stalled")
    check(ok, "%s: the frozen camera is no longer live" % path)
    wall.snapshot()
    img = wall.snapshot()
    dst = tile_picture(rects[0], "stretch", 640, 360)[0]
    p = (dst[0] + dst[2] // 4, dst[1] + dst[3] * 3 // 4)
    dim = tuple(v * 70 // 255 for v in COLOURS["red"])
    check(near(img.getpixel(p), dim, 20),
          "%s: the stalled picture is dimmed (%s, about %s)"
          % (path, img.getpixel(p), dim))
    check(near(img.getpixel((rects[1][0] + 200, rects[1][1] + 180)),
               COLOURS["green"], 45), "%s: a live camera beside it is not"
          % path)
    check_overlays(path, wall)
    srv.command("thaw", "wide")


def crop_differs(a, b, box):
    return a.crop(box).tobytes() != b.crop(box).tobytes()


def check_overlays(path, wall):
    """With overlays up (the stalled tiles' NO SIGNAL and "for N s",
    the alert banner across the top), where only what changed is drawn
    again (what that saves is in bench/RESULTS.md): the live tiles still
    show new pictures, those under the banner too, the stalled tiles'
    seconds move, and the banner is blended over the tiles once, not
    again over itself composition after composition."""
    ok = wait_for(lambda: wall.status().get("alerts"), 15, "an alert")
    check(ok, "%s: the stalled camera's alert is open" % path)
    # a second one, away from the banner: its tile is drawn again only
    # for its seconds
    srv.command("freeze", "tall")
    ok = wait_for(lambda: wall.camera("tall")["state"] != "live", 10,
                  "stalled")
    check(ok, "%s: the second frozen camera is no longer live" % path)
    time.sleep(0.5)
    a = wall.snapshot()
    time.sleep(1.6)
    b = wall.snapshot()
    pic = tile_picture(rects[3], "stretch", 1280, 720)
    na, nb = read_barcode(a, pic, 1280), read_barcode(b, pic, 1280)
    check(na is not None and nb is not None and na != nb,
          "%s, overlays up: a live tile shows new pictures (%s, %s)"
          % (path, na, nb))
    x, y = rects[1][0], rects[1][1]
    # four3's frame counter (drawn at 8, 32 in its picture), just below
    # the banner, in a tile the banner lies over
    check(crop_differs(a, b, (x + 8, y + 34, x + 90, y + 52)),
          "%s, overlays up: a tile under the banner shows new pictures"
          % path)
    for t in (0, 2):
        x0, y0, w0, h0 = rects[t]
        check(crop_differs(a, b, (x0 + w0 // 4, y0 + h0 // 2 + 8,
                                  x0 + w0 * 3 // 4, y0 + h0 // 2 + 36)),
              "%s: the stalled tile %d's seconds move" % (path, t))
    # the banner (170, 20, 20 at 200 of 255) over four3's green and over
    # the black border between the tiles, right of its text
    for img in (a, b):
        over = img.getpixel((x + rects[1][2] - 20, 3))
        border = img.getpixel((x, 3))
        check(near(over, (140, 59, 29), 14) and near(border, (133, 16, 16),
                                                     14),
              "%s: the banner is blended once (%s over green, %s over the "
              "border)" % (path, over, border))
    srv.command("thaw", "tall")
    wait_for(lambda: wall.camera("tall")["state"] == "live", 15, "live")


def check_path(path):
    for fit in ("letterbox", "fill"):
        check_fit(path, fit).stop()
    wall = check_fit(path, "stretch")
    check_dim(path, wall)
    return wall


def uses(wall, renderer):
    return ("%s renderer" % renderer) in wall.log() and (
        ("software canvas" in wall.log()) == (renderer == "software"))


wall = check_path("canvas")
check(uses(wall, "software"), "headless, auto: a software canvas (OpenGL "
      "here is llvmpipe)")
wall.stop()

# the GPU path headless: SDL's offscreen driver, OpenGL over EGL
wall = check_path("gpu headless")
check(uses(wall, "opengl"), "headless, gpu: SDL's OpenGL renderer "
      "through EGL")
wall.stop()

# the same through SDL's GLES2 renderer (its snapshots read back a
# target of GL's own byte order: another one came back red for blue)
wall = check_path("gles2 headless")
check(uses(wall, "opengles2"), "headless, gpu, SDL_RENDER_DRIVER="
      "opengles2: SDL's GLES2 renderer through EGL")
wall.stop()

# in windows, on llvmpipe under Xvfb
display = ":%d" % (90 + os.getpid() % 100)
xvfb = spawn(["Xvfb", display, "-screen", "0", "1280x720x24", "-nolisten",
              "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.environ["DISPLAY"] = display
wait_for(lambda: os.path.exists("/tmp/.X11-unix/X" + display[1:]), 10,
         "Xvfb")
wall = check_path("opengl window")
check(uses(wall, "opengl"), "a window, gpu: SDL's OpenGL renderer")
wall.stop()

# auto in a window on llvmpipe: the canvas, put on the screen through the
# window surface, only what each composition drew
wall = check_path("software window")
check(uses(wall, "software"), "a window, auto: a software canvas")
time.sleep(0.5)
grab = os.path.join(wall.dir, "screen.png")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "x11grab",
                "-video_size", "1280x720", "-i", display, "-frames:v", "1",
                grab], check=True)
screen = Image.open(grab).convert("RGB")
for t, (cam, (col, size)) in enumerate(CAMS.items()):
    x, y, w, h = rects[t]
    got = screen.getpixel((x + w // 4, y + h * 3 // 4))
    check(near(got, COLOURS[col], 45), "on the screen itself, tile %d is %s "
          "(%s)" % (t, cam, got))
log("done")
finish()
