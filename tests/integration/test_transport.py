#!/usr/bin/python3
"""RTSP transports and codecs: a UDP-only server path (461 on TCP) works
with `transport: udp` and with `auto` (TCP first, then UDP); H.265 and
MJPEG streams decode; NV12 pictures (what GPUs decode to) go up as NV12
textures; a camera behind basic auth works with credentials in its URL,
and the password never shows in the log, the status or the journal."""
import os

from harness import (COLOURS, Vigil, RtspServer, centre_colour, check,
                     finish, make_clip, tile_rects, wait_for, which_colour)

PASSWORD = "s3cr3t-Pa55"
srv = RtspServer({
    "udponly": make_clip("udponly", "orange"),
    "hevc": make_clip("hevc", "magenta", codec="hevc"),
    "mjpeg": make_clip("mjpeg", "cyan", codec="mjpeg"),
}, udp_only=["udponly"])
private = RtspServer({"private": make_clip("private", "yellow")},
                     auth={"private": "admin:" + PASSWORD})

wall = Vigil("""
wall:
  screens: [{id: main, size: 640x360}]
alerts: {journal: '@JOURNAL@'}
cameras:
  - {id: udp-explicit, url: '%s', transport: udp}
  - {id: udp-auto, url: '%s', transport: auto}
  - {id: tcp-refused, url: '%s', transport: tcp}
  - {id: hevc, url: '%s', hwaccel: cuda}
  - {id: mjpeg, url: '%s'}
  - {id: private, url: '%s'}
  # NV12 at (about) its tile's size, so it is not scaled on the way
  - {id: nv12, url: 'lavfi:color=c=0x%02x%02x%02x:s=212x120:r=15,format=nv12'}
plans:
  p:
    screens:
      main:
        - layout: 3x3
          tiles: [udp-explicit, udp-auto, tcp-refused, hevc, mjpeg, private,
                  nv12]
""" % ((srv.url("udponly"), srv.url("udponly"), srv.url("udponly"),
        srv.url("hevc"), srv.url("mjpeg"),
        private.url("private", "admin:" + PASSWORD)) + COLOURS["green"]))

want = {"udp-explicit": "orange", "udp-auto": "orange", "hevc": "magenta",
        "mjpeg": "cyan", "private": "yellow", "nv12": "green"}
live = wait_for(lambda: all(wall.camera(c)["state"] == "live"
                            for c in want), 20, "cameras live")
for c in want:
    st = wall.camera(c)
    check(st["state"] == "live", "%s is live (%s: %s, codec %s)"
          % (c, st["state"], st["reason"], st["codec"]))
check(wall.camera("hevc")["codec"] == "hevc", "H.265 decoded")
# hwaccel cuda: on the GPU where there is one, else software, cleanly;
# the picture is checked either way (below)
has_cuda = any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl"))
check(wall.camera("hevc")["hwaccel"] == ("cuda" if has_cuda else "none"),
      "hwaccel: cuda %s (%s)" % ("decodes on the GPU" if has_cuda else
                                 "without a device decodes in software",
                                 wall.camera("hevc")["hwaccel"]))
check(wall.camera("mjpeg")["codec"] == "mjpeg", "MJPEG decoded")

refused = wait_for(lambda: wall.camera("tcp-refused")["state"] == "down",
                   15, "tcp-refused down")
check(refused, "TCP-only camera on a UDP-only path is down: %s"
      % wall.camera("tcp-refused")["reason"])

img = wall.snapshot()
rects = tile_rects((3, 3), 640, 360)
order = ["udp-explicit", "udp-auto", "tcp-refused", "hevc", "mjpeg",
         "private", "nv12"]
for i, cam in enumerate(order):
    if cam in want:
        got = which_colour(centre_colour(img, rects[i]))
        check(got == want[cam], "tile %d (%s) shows %s (saw %s)"
              % (i, cam, want[cam], got))

# Credentials: never in the log, the status or the journal.
status_text = wall.get("/api/status")[2].decode()
wall.stop()
check(PASSWORD not in wall.log(), "password absent from the log")
check(PASSWORD not in status_text, "password absent from /api/status")
journal = open(wall.journal).read() if wall.journal_events() else ""
check(PASSWORD not in journal, "password absent from the journal")
finish(wall, srv, private)
