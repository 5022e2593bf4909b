#!/usr/bin/python3
"""Hostile servers never take the wall down. Six cameras point at a server
that misbehaves on purpose (never answers, answers with noise, sends a
header line that never ends, trickles a byte at a time, announces a 2 GB
SDP, resets): each goes down within its connect timeout with a reason,
is retried, and the healthy camera beside them stays live with no alert.
The wall keeps answering, its memory stays bounded, and the password in
one hostile URL shows nowhere."""
import os
import subprocess
import time

from harness import (HERE, RtspServer, Vigil, check, finish, log, make_clip,
                     spawn, wait_for)

PASSWORD = "h0stile-Pa55"
HOSTILE = ["silent", "garbage", "endless", "trickle", "hugesdp", "reset"]
srv = RtspServer({"red": make_clip("red", "red")})
bad = spawn(["/usr/bin/python3", os.path.join(HERE, "hostile_server.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
port = int(bad.stdout.readline().split()[1])
cams = "".join("  - {id: %s, url: 'rtsp://admin:%s@127.0.0.1:%d/%s'}\n"
               % (h, PASSWORD, port, h) for h in HOSTILE)
wall = Vigil("""
wall:
  name: hostile-wall
  screens: [{id: main, size: 640x360}]
alerts:
  journal: '@JOURNAL@'
  systemic: {min: 0}      # six of seven fail on purpose: one alert each
defaults:
  connect_timeout: 2s
cameras:
  - {id: steady, url: '%s'}
%splans:
  p:
    screens:
      main: [{layout: 3x3, tiles: [steady, %s]}]
""" % (srv.url("red"), cams, ", ".join(HOSTILE)))
t0 = time.monotonic()


def rss_mb():
    with open("/proc/%d/status" % wall.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def raised(cam):
    return [e for e in wall.journal_events()
            if e.get("camera") == cam and e.get("event") == "raised"]


check(wait_for(lambda: wall.camera("steady")["state"] == "live", 15,
               "steady live"), "the healthy camera is live")
peak = 0
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    peak = max(peak, rss_mb())
    if all(raised(h) for h in HOSTILE):
        break
    time.sleep(0.2)
for h in HOSTILE:
    ev = raised(h)
    check(ev and ev[0]["condition"] in ("down", "not_found"),
          "%s: down with a reason (%s)" % (h, ev and ev[0]["detail"]))
    cam = wall.camera(h)
    check(cam["state"] in ("down", "connecting"),
          "%s: %s, not live" % (h, cam["state"]))
log("all hostile cameras raised %.1f s after start"
    % (time.monotonic() - t0))

# Keep them at it (retries) for a while: the wall stays up and fed.
frames0 = wall.camera("steady")["frames"]
end = time.monotonic() + 12
while time.monotonic() < end:
    peak = max(peak, rss_mb())
    time.sleep(0.2)
steady = wall.camera("steady")
check(steady["state"] == "live" and steady["frames"] > frames0 + 100,
      "the healthy camera kept streaming (%d frames in 12 s)"
      % (steady["frames"] - frames0))
check(not raised("steady"), "the healthy camera raised nothing")
retried = [h for h in HOSTILE if wall.camera(h)["reconnects"] >= 2]
check(len(retried) == len(HOSTILE), "every hostile camera was retried: %s"
      % {h: wall.camera(h)["reconnects"] for h in HOSTILE})
log("peak RSS %.0f MB" % peak)
check(peak < 400, "memory stayed bounded (peak RSS %.0f MB)" % peak)
check(wall.proc.poll() is None, "the wall is still running")

everything = [wall.log(), open(wall.journal).read(),
              wall.get("/api/status")[2].decode(),
              wall.get("/metrics")[2].decode()]
check(not any(PASSWORD in t for t in everything),
      "the password shows nowhere (log, journal, status, metrics)")
bad.stdin.close()
finish(wall, srv)
