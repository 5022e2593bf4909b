#!/usr/bin/python3
"""Six RTSP cameras on a 2x2 wall: every tile shows its own camera's
colour, pages change on time, and the status document says what is
shown."""
import time
from datetime import datetime

import re

from harness import (Vigil, RtspServer, centre_colour, check, finish, log,
                     make_clip, stop_cleanly, tile_rects, wait_for,
                     which_colour)

CAMS = ["red", "green", "blue", "yellow", "magenta", "cyan"]
DWELL_MS = 4000

srv = RtspServer({c: make_clip(c, c) for c in CAMS})
cams = "".join("  - {id: %s, name: Cam %s, url: '%s', groups: [all]}\n"
               % (c, c, srv.url(c)) for c in CAMS)
wall = Vigil("""
wall:
  name: test-wall
  screens: [{id: main, size: 640x360}]
alerts: {journal: '@JOURNAL@'}
cameras:
%s
plans:
  p:
    dwell: %dms
    screens:
      main:
        - {layout: 2x2, cameras: 'group:all'}
""" % (cams, DWELL_MS))

live = wait_for(lambda: all(c["state"] == "live"
                            for c in wall.status()["cameras"]), 15,
                "all cameras live")
check(live, "all 6 cameras live over RTSP")


def page_now():
    s = wall.status()["screens"][0]
    return s["page"], [t["camera"] for t in s["tiles"]]


st = wall.status()["screens"][0]
check(st["pages"] == 2, "6 cameras on a 2x2 layout make 2 pages (got %s)"
      % st["pages"])
check(st["layout"] == "2x2", "layout reported as 2x2")

# Each page, twice over: the tiles show the colours of the cameras the
# status says they show. Snapshots are taken mid-page.
rects = tile_rects((2, 2), 640, 360)
seen_pages = set()
for _ in range(4):
    page, tiles = page_now()
    img = wall.snapshot("main")
    page2, tiles2 = page_now()
    if page2 != page:
        continue
    seen_pages.add(page)
    for i, cam in enumerate(tiles):
        got = which_colour(centre_colour(img, rects[i]))
        if cam is None:
            check(got is None, "page %d tile %d is blank" % (page, i))
        else:
            check(got == cam, "page %d tile %d shows %s (saw %s)"
                  % (page, i, cam, got))
    time.sleep(DWELL_MS / 1000.0)
check(seen_pages == {0, 1}, "both pages were shown (%s)" % seen_pages)

# Pages change on time: the page flips within 300 ms of next_change.
scr = wall.status()["screens"][0]
start_page = scr["page"]
flip = wait_for(lambda: page_now()[0] != start_page, DWELL_MS / 1000 + 2,
                "page flip", interval=0.02)
flip_ms = int(time.time() * 1000)
check(flip, "the page flips")
# next_change is RFC 3339 with ms; compare against our own clock
nc = datetime.fromisoformat(scr["next_change"]).timestamp() * 1000
log("page flip seen %d ms after next_change" % (flip_ms - nc))
check(-50 <= flip_ms - nc <= 300, "flip within 300 ms of next_change")
scr2 = wall.status()["screens"][0]
pst = datetime.fromisoformat(scr2["page_started"]).timestamp() * 1000
check(abs(pst - nc) < 1, "the new page started exactly at next_change")

# First snapshot after a boundary: every tile already shows its new camera
# live (the next page's cameras pre-roll a second before the switch).
scr = wall.status()["screens"][0]
start_page = scr["page"]
wait_for(lambda: page_now()[0] != start_page, DWELL_MS / 1000 + 2, "flip",
         interval=0.01)
img = wall.snapshot()
page, tiles = page_now()
got = [which_colour(centre_colour(img, r)) for r in rects]
check(got == tiles, "first snapshot after the switch shows page %d's "
      "cameras: %s" % (page, got))
composed = int(img.info.get("vigil:composed_us", 0))
check(abs(time.time() * 1e6 - composed) < 5e6,
      "the snapshot says when it was composed (%d us ago)"
      % (time.time() * 1e6 - composed))

# The renderer records each page switch (how long until every tile showed
# a fresh picture of its new camera): values, not their size, are checked.
sw = wall.status()["screens"][0]["page_switch_ms"]
check(len(sw) >= 2 and all(x >= 0 for x in sw),
      "page switches are recorded: %s ms" % sw)

# Decode only what is seen: the hidden page's cameras are read, not decoded
# (watched early in a page, but not at its very start: the next page's
# cameras pre-roll, decoding, a second before it shows, and the last
# page's may finish a picture just after the switch)
def early_in_page(s):
    now = time.time()
    return (now - datetime.fromisoformat(s["page_started"]).timestamp() >
            0.5 and
            datetime.fromisoformat(s["next_change"]).timestamp() - now > 2.0)


wait_for(lambda: early_in_page(wall.status()["screens"][0]),
         DWELL_MS / 1000 + 2, "early in a page")
page, tiles = page_now()
hidden = [c for c in CAMS if c not in tiles]
before = {c: wall.camera(c)["frames"] for c in hidden}
time.sleep(0.8)
st = {c: wall.camera(c) for c in hidden}
check(all(not st[c]["decoding"] and st[c]["frames"] == before[c]
          and st[c]["state"] == "live" for c in hidden),
      "hidden cameras %s stay live, not decoded (frame counters still): %s"
      % (hidden, [(c, st[c]["state"], st[c]["decoding"],
                   st[c]["frames"] - before[c]) for c in hidden]))
shown = [c for c in tiles if c]
check(all(wall.camera(c)["decoding"] for c in shown),
      "shown cameras %s are decoded" % shown)
# Capture stamps from the server's RTCP sender reports reach the wall:
# every shown camera has a glass-to-glass figure (its size is bench's).
g2g = {c: wall.camera(c)["glass_to_glass_ms"] for c in shown}
check(all(g and g["n"] > 0 and g["p50"] >= 0 for g in g2g.values()),
      "glass to glass measured for every shown camera: %s" % g2g)
check(not wall.journal_events(), "no alerts on a healthy wall")

# A hidden camera is still watched: its stall raises an alert.
victim = hidden[0]
srv.command("freeze", victim)
ev = wait_for(lambda: [e for e in wall.journal_events()
                       if e.get("camera") == victim and
                       e["event"] == "raised"], 5, "hidden stall")
check(ev and ev[0]["condition"] == "stalled",
      "a hidden camera's stall raises an alert: %s" % (ev and ev[0]))
srv.command("thaw", victim)

# A restart resumes on the page the wall would be showing: pages are
# counted on the wall clock, not from start-up. Crash it (SIGKILL) early
# in a page and start it again within that page.
wait_for(lambda: (lambda s: s["page_started"] and
                  datetime.fromisoformat(s["next_change"]).timestamp() -
                  time.time() > 2.5)(wall.status()["screens"][0]), 5,
         "early in a page")
before = wall.status()["screens"][0]
wall.kill()
wall.start()
after = wall.status()["screens"][0]
check((after["page"], after["page_started"], after["next_change"]) ==
      (before["page"], before["page_started"], before["next_change"]),
      "a restart resumes on the same page, same start and end (%s %s -> "
      "%s %s)" % (before["page"], before["page_started"], after["page"],
                  after["page_started"]))
stop_cleanly(wall)

# Compositions follow the fastest camera on screen: a 30 fps camera is
# shown at 30 a second, not at the wall's default 25.
srv2 = RtspServer({"fast": make_clip("fast", "white", fps=30),
                   "slow": make_clip("slow", "red")})
wall2 = Vigil("""
wall: {name: rate-wall, screens: [{id: main, size: 640x360}]}
alerts: {journal: '@JOURNAL@'}
cameras:
  - {id: fast, url: '%s'}
  - {id: slow, url: '%s'}
plans: {p: {screens: {main: [{layout: 2x2, tiles: [fast, slow]}]}}}
""" % (srv2.url("fast"), srv2.url("slow")))
check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall2.status()["cameras"]), 15,
               "live"), "a 30 fps and a 15 fps camera live")
time.sleep(2)


def counts():
    m = wall2.get("/metrics")[2].decode()
    comps = int(re.search(r'vigil_screen_frames_total\{screen="main"\} '
                          r'(\d+)', m).group(1))
    return time.monotonic(), comps, wall2.camera("fast")["frames_shown"]


t0, c0, s0 = counts()
time.sleep(6)
t1, c1, s1 = counts()
comps, shown = (c1 - c0) / (t1 - t0), (s1 - s0) / (t1 - t0)
check(27 < shown <= 31 and 27 < comps <= 31,
      "composed at the fast camera's rate: %.1f compositions and %.1f of "
      "its pictures shown a second" % (comps, shown))
finish(wall2, srv2, srv)
