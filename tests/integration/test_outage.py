#!/usr/bin/python3
"""A camera that dies or freezes: the alert is raised in the journal, the
tile keeps its last picture dimmed under NO SIGNAL, nothing reflows; when
the camera returns the alert clears and the picture comes back."""
import time
from datetime import datetime

from harness import (Vigil, RtspServer, centre_colour, check, finish, log,
                     make_clip, near, tile_rects, wait_for, which_colour,
                     COLOURS)

CAMS = ["red", "green", "blue", "yellow"]
srv = RtspServer({c: make_clip(c, c) for c in CAMS})
cams = "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c)) for c in CAMS)
wall = Vigil("""
wall:
  name: outage-wall
  screens: [{id: main, size: 640x360}]
alerts:
  journal: '@JOURNAL@'
  stall_after: 1s
cameras:
%s
plans:
  p:
    screens:
      main:
        - {layout: 2x2, tiles: [red, green, blue, yellow]}
""" % cams)
rects = tile_rects((2, 2), 640, 360)

check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 15,
               "all live"), "all cameras live")


def events(cam, event):
    return [e for e in wall.journal_events()
            if e["camera"] == cam and e["event"] == event]


def ts_ms(e):
    return datetime.fromisoformat(e["ts"]).timestamp() * 1000


def tile_is_dimmed(img, i, colour):
    c = centre_colour(img, rects[i])
    ref = COLOURS[colour]
    # dimmed to ~27% brightness: darker than a third of the original
    return sum(c) < sum(ref) / 2 and not near(c, ref)


def outage(kind, verb_down, verb_up, cam, tile, want_conditions):
    t_fault = time.time() * 1000
    srv.command(verb_down, cam)
    raised = wait_for(lambda: events(cam, "raised"), 10, cam + " raised")
    check(bool(raised), "%s: an alert is raised for %s" % (kind, cam))
    if not raised:
        return
    ev = raised[-1]
    check(ev["condition"] in want_conditions,
          "%s: condition %s is one of %s" % (kind, ev["condition"],
                                             want_conditions))
    check(ev["wall"] == "outage-wall" and ev["alert"].startswith("A-"),
          "%s: journal line names the wall and a stable alert id" % kind)
    log("%s: fault to raised %.0f ms" % (kind, ts_ms(ev) - t_fault))
    st = wall.camera(cam)
    check(st["state"] in ("stalled", "down"),
          "%s: status shows %s as %s" % (kind, cam, st["state"]))
    alerts = wall.status()["alerts"]
    check(any(a["camera"] == cam and a["alert"] == ev["alert"]
              for a in alerts), "%s: /api/status lists the open alert" % kind)
    img = wall.snapshot()
    check(tile_is_dimmed(img, tile, cam),
          "%s: tile %d keeps the last picture, dimmed (saw %s)"
          % (kind, tile, centre_colour(img, rects[tile])))
    # the NO SIGNAL caption is drawn in red-orange above the centre
    x, y, w, h = rects[tile]
    box = img.crop((x, y + h // 4, x + w, y + h // 2))
    reds = sum(1 for p in box.getdata()
               if p[0] > 200 and p[1] < 120 and p[2] < 100)
    check(reds > 50, "%s: NO SIGNAL caption on the tile (%d px)"
          % (kind, reds))
    others = [which_colour(centre_colour(img, rects[i])) for i in range(4)]
    check([o for i, o in enumerate(others) if i != tile] ==
          [c for c in CAMS if c != cam],
          "%s: the other tiles are untouched, nothing reflowed" % kind)

    srv.command(verb_up, cam)
    cleared = wait_for(lambda: events(cam, "cleared"), 40, cam + " cleared")
    check(bool(cleared), "%s: the alert clears when %s returns" % (kind,
                                                                   cam))
    if cleared:
        check(cleared[-1]["alert"] == ev["alert"],
              "%s: cleared carries the same alert id" % kind)
        check(cleared[-1].get("duration_s", 0) > 0,
              "%s: cleared says how long it lasted" % kind)
    back = wait_for(lambda: which_colour(centre_colour(wall.snapshot(),
                                                       rects[tile])) == cam,
                    10, cam + " picture back")
    check(bool(back), "%s: the picture of %s is back" % (kind, cam))


outage("stop", "stop", "start", "green", 1, ("down", "stalled"))
outage("freeze", "freeze", "thaw", "blue", 2, ("stalled",))

states = [e["event"] for e in wall.journal_events()]
check(states == ["raised", "cleared", "raised", "cleared"],
      "journal holds exactly raised/cleared per outage: %s" % states)
finish(wall, srv)
