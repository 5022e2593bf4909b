#!/usr/bin/python3
"""The stream that fits the tile, and load shedding.

A camera with `sub` decodes its substream in a small tile and its main
stream full screen; the switch never shows a black tile (the old picture
stays until the new stream has one); a dead substream falls back to the
main stream without an alert. The clips tell the streams apart by colour:
main is blue at 1280x720, sub is red at 640x360.

Under overload (a decode budget far below what four cameras cost) the wall
sheds: small tiles go to keyframes only, counted in /api/status and
/metrics, and no camera is called stalled for it."""
import time

from harness import (RtspServer, Vigil, centre_colour, check, finish, log,
                     make_clip, stop_cleanly, tile_rects, wait_for,
                     which_colour)

srv = RtspServer({
    "duo": make_clip("duo", "blue", size="1280x720"),
    "duo-sub": make_clip("duo-sub", "red", size="640x360"),
    "solo": make_clip("solo", "green"),
})
wall = Vigil("""
wall:
  name: streams-wall
  screens: [{id: main, size: 1280x720}]
alerts:
  journal: '@JOURNAL@'
cameras:
  - {id: duo, url: '%s', sub: '%s'}
  - {id: solo, url: '%s'}
plans:
  p:
    screens:
      main:
        - {layout: 4x4, tiles: [duo, solo]}
""" % (srv.url("duo"), srv.url("duo-sub"), srv.url("solo")))

grid = tile_rects((4, 4), 1280, 720)
whole = (0, 0, 1280, 720)


def duo():
    return wall.camera("duo")


def colour(rect):
    return which_colour(centre_colour(wall.snapshot(), rect))


check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 15,
               "all live"), "all cameras live")

# ---- a 4x4 tile (320x180) takes the 360-line substream ----
check(wait_for(lambda: duo()["stream"] == "sub" and colour(grid[0]) == "red",
               5, "sub in the grid"),
      "a 4x4 tile decodes the substream (red): %s" % duo()["stream"])
d = duo()
check(d["streams"]["sub"]["decoding"] and
      not d["streams"]["main"]["decoding"] and
      d["streams"]["main"]["state"] == "live",
      "only the substream is decoded; the main stream stays connected: %s"
      % d["streams"])

# ---- full screen (720 lines) takes the main stream, with no black gap --
check(wall.post("fullscreen", {"screen": "main", "tile": 0}) == 200,
      "tile 0 full screen")
seen = []
t_end = time.monotonic() + 4
while time.monotonic() < t_end:
    seen.append(colour(whole))
    if seen[-1] == "blue" and len(seen) > 3:
        break
log("full screen colours: %s" % seen)
check(seen and seen[-1] == "blue", "full screen shows the main stream")
check(all(c in ("red", "blue") for c in seen),
      "the switch never shows a blank picture: %s" % seen)
# Within a few seconds: on a slow machine (the TSan wall on CI) the main
# stream's first catch-up is sometimes followed by a second one (the
# camera turned off and on again, cause not found yet: see issue 11).
d = wait_for(lambda: (lambda c: c if c["stream"] == "main" and
                      c["streams"]["main"]["decoding"] else None)(duo()), 3,
             "main decoding") or duo()
log("duo: %s" % d)
check(d["stream"] == "main" and d["width"] == 1280 and
      d["streams"]["main"]["decoding"],
      "status: main stream, 1280 wide, decoding")
check(wait_for(lambda: not duo()["streams"]["sub"]["decoding"], 3,
               "sub stops"), "the substream stops decoding")
cores = wall.status()["load"]["cores"]
check(d["streams"]["main"]["threads"] == min(cores, 4) and
      duo()["streams"]["sub"]["threads"] == 1,
      "one large picture: frame threads (%d on %d cores); else one thread"
      % (d["streams"]["main"]["threads"], cores))

check(wall.post("fullscreen", {"screen": "main", "tile": None}) == 200,
      "back to the grid")
check(wait_for(lambda: duo()["stream"] == "sub" and colour(grid[0]) == "red",
               5, "sub again"), "back in the grid: the substream again")

# ---- a dead substream: the grid tile falls back to the main stream ----
srv.command("stop", "duo-sub")
check(wait_for(lambda: duo()["stream"] == "main" and
               colour(grid[0]) == "blue", 15, "fallback"),
      "substream gone: the tile shows the main stream")
log("duo: %s; its events: %s" % (duo(), [
    e for e in wall.journal_events() if e.get("camera") == "duo"]))
check(duo()["state"] == "live" and not [
    e for e in wall.journal_events() if e.get("camera") == "duo"],
      "the camera stays live and raises no alert")
srv.command("start", "duo-sub")
check(wait_for(lambda: duo()["stream"] == "sub", 40, "sub back"),
      "substream back: the tile returns to it")
stop_cleanly(wall)

# ---- overload: shed to keyframes only, counted, no false stalls ----
CAMS = ["red", "green", "blue", "yellow"]
srv2 = RtspServer({c: make_clip(c, c) for c in CAMS})
wall = Vigil("""
wall:
  name: shed-wall
  screens: [{id: main, size: 640x360}]
alerts:
  journal: '@JOURNAL@'
performance:
  load_budget: 0.0001
cameras:
%s
plans:
  p:
    screens:
      main:
        - {layout: 2x2, tiles: [red, green, blue, yellow]}
""" % "".join("  - {id: %s, url: '%s'}\n" % (c, srv2.url(c)) for c in CAMS))

check(wait_for(lambda: wall.status()["load"]["shed"] == "keyframes", 20,
               "shedding"), "over budget: small tiles shed to keyframes")
load = wall.status()["load"]
log("load: %s" % load)
check(load["shed_events"] == 2 and load["shed_since"],
      "two shed steps (pre-roll, then keyframes), with the time")
f0 = wall.status()["load"]["shed_frames"]
shown0 = {c: wall.camera(c)["frames_shown"] for c in CAMS}
time.sleep(3)
st = wall.status()
check(st["load"]["shed_frames"] > f0 + 4 * 20,
      "shed frames counted: %d -> %d" % (f0, st["load"]["shed_frames"]))
check(all(c["state"] == "live" for c in st["cameras"]) and
      not wall.journal_events(),
      "keyframes only is not a stall: all live, no alert")
check(all(wall.camera(c)["frames_shown"] > shown0[c] for c in CAMS),
      "every tile still moves (a keyframe a second)")
_, _, body = wall.get("/metrics")
metrics = body.decode()
check("vigil_shed_level 2" in metrics and
      'vigil_camera_frames_shed_total{camera="red"}' in metrics,
      "shedding is in /metrics")
img = wall.snapshot()
got = [which_colour(centre_colour(img, r))
       for r in tile_rects((2, 2), 640, 360)]
check(got == CAMS, "the shed wall still shows every camera: %s" % got)
finish(wall, srv2, srv)
