#!/usr/bin/python3
"""Six RTSP cameras on a 2x2 wall: every tile shows its own camera's
colour, pages change on time, and the status document says what is
shown."""
import time
from datetime import datetime

from harness import (Vigil, RtspServer, centre_colour, check, finish, log,
                     make_clip, tile_rects, wait_for, which_colour)

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

check(not wall.journal_events(), "no alerts on a healthy wall")
finish(wall, srv)
