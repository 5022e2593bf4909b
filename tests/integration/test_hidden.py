#!/usr/bin/python3
"""Hidden cameras: read, not decoded, and watched as closely as shown ones.

A hidden camera's reader naps between bursts of reading (RTSP over TCP),
so its packets are seen up to a nap late. With a short stall budget the
nap shortens to a third of it, so a healthy hidden camera is never called
stalled; one that freezes or drops raises its alert as a shown one does,
and clears it when it is back."""
import time

from harness import (RtspServer, Vigil, check, finish, log, make_clip,
                     wait_for)

CAMS = ["red", "green", "blue"]
HIDDEN = ["green", "blue"]
srv = RtspServer({c: make_clip(c, c) for c in CAMS})
wall = Vigil("""
wall:
  name: hidden-wall
  screens: [{id: main, size: 640x360}]
alerts:
  journal: '@JOURNAL@'
  stall_after: 200ms
  flap: {count: 0}
cameras:
%s
plans:
  p:
    screens:
      main:
        - {layout: 1x1, tiles: [red]}
""" % "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c)) for c in CAMS))


def events(cam, event=None):
    return [e for e in wall.journal_events()
            if e["camera"] == cam and (event is None or e["event"] == event)]


check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 15,
               "all live"), "all cameras live")

# ---- healthy and hidden, with a 200 ms stall budget: nothing raised ----
# 200 ms naps would let a hidden camera's newest packet age past 200 ms
# several times a second; the nap is a third of the budget instead.
time.sleep(8)
for cam in HIDDEN:
    st = wall.camera(cam)
    check(not st["decoding"] and st["state"] == "live" and
          st["fps_in"] > 10,
          "%s: hidden, read at the camera's rate, not decoded (%.1f fps in, "
          "decoding %s)" % (cam, st["fps_in"], st["decoding"]))
raised = [(e["camera"], e["condition"]) for e in wall.journal_events()]
check(not raised, "8 s with a 200 ms stall budget: no alert for any "
      "camera, hidden or shown: %s" % raised)


def fault(cam, down, up, conditions):
    srv.command(down, cam)
    ev = wait_for(lambda: events(cam, "raised"), 10, cam + " raised")
    check(bool(ev) and ev[-1]["condition"] in conditions,
          "hidden %s: %s raises %s" % (cam, down,
                                       ev[-1]["condition"] if ev else None))
    srv.command(up, cam)
    check(wait_for(lambda: events(cam, "cleared"), 40, cam + " cleared"),
          "hidden %s: the alert clears when it is back" % cam)


fault("green", "freeze", "thaw", ("stalled",))
fault("blue", "stop", "start", ("down", "not_found", "stalled"))
log("journal: %s" % [(e["camera"], e["event"], e["condition"])
                     for e in wall.journal_events()])
check(not events("red"), "the shown camera raised nothing")
finish(wall, srv)
