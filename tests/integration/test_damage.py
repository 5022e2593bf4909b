#!/usr/bin/python3
"""Streams that arrive but are damaged, told apart from a dead camera:
packets with no keyframe raise `no_keyframe` (the camera is connected and
fed, nothing decodes), frames with corrupt slice data raise
`decode_errors` (pictures still come, patched up by the decoder). Both
clear when the stream is clean again, and a healthy camera beside them
raises nothing."""
from harness import (RtspServer, Vigil, check, finish, log, make_clip,
                     wait_for)

srv = RtspServer({c: make_clip(c, c) for c in ["red", "green", "blue"]})
# Damage from the first client on: "green" never sends a keyframe, "blue"
# sends every frame with its slice data half overwritten.
srv.command("nokey", "green")
srv.command("corrupt", "blue")
wall = Vigil("""
wall:
  name: damage-wall
  screens: [{id: main, size: 640x360}]
alerts:
  journal: '@JOURNAL@'
cameras:
  - {id: steady, url: '%s'}
  - {id: nokey, url: '%s'}
  - {id: noisy, url: '%s'}
plans:
  p:
    screens:
      main: [{layout: 2x2, tiles: [steady, nokey, noisy]}]
""" % (srv.url("red"), srv.url("green"), srv.url("blue")))


def journal(cam, event):
    return [e for e in wall.journal_events()
            if e.get("camera") == cam and e.get("event") == event]


ev = wait_for(lambda: journal("nokey", "raised"), 20, "no_keyframe")
check(ev and ev[0]["condition"] == "no_keyframe",
      "packets without a keyframe raise no_keyframe (%s)"
      % str(ev and (ev[0]["condition"], ev[0]["detail"])))
cam = wall.camera("nokey")
check(cam["state"] == "stalled" and cam["fps"] == 0,
      "its tile is marked, no picture (%s, %s fps)"
      % (cam["state"], cam["fps"]))

ev = wait_for(lambda: journal("noisy", "raised"), 20, "decode_errors")
check(ev and ev[0]["condition"] == "decode_errors",
      "corrupt frames raise decode_errors (%s)"
      % str(ev and (ev[0]["condition"], ev[0]["detail"])))
cam = wall.camera("noisy")
log("noisy: %s, %s decode errors, %s fps" % (cam["state"],
                                             cam["decode_errors"],
                                             cam["fps"]))
check(cam["state"] == "live" and cam["decode_errors"] > 0,
      "the corrupt camera still shows pictures and counts its errors")

srv.command("clean", "green")
srv.command("clean", "blue")
check(wait_for(lambda: journal("nokey", "cleared"), 20, "nokey clears"),
      "no_keyframe clears once keyframes come")
check(wait_for(lambda: journal("noisy", "cleared"), 20, "noisy clears"),
      "decode_errors clears once the frames are clean")
check(wall.camera("nokey")["state"] == "live", "the camera is live again")
check(not journal("steady", "raised"), "the healthy camera raised nothing")
finish(wall, srv)
