#!/usr/bin/python3
"""A truthful reload: every live key applies and is named in the answer,
and a key that needs a restart refuses the whole reload by name, leaving
the running wall as it was. Live keys are checked by what they do on a
real wall: alerts.raise_after (a drop raised later), wall.timezone
(journal and status offsets, and a schedule rule that starts to match),
a camera's connect_timeout (how long a connect to a silent server lasts),
and a layout in use removed (the operator's layout override goes, the
wall shows the new plan's layout, no stale tiles)."""
import json
import os
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from harness import (HERE, RtspServer, Vigil, centre_colour, check, finish,
                     log, make_clip, spawn, tile_rects, wait_for,
                     which_colour)

CAMS = ["red", "green", "blue", "yellow"]
srv = RtspServer({c: make_clip(c, c) for c in CAMS})
bad = spawn(["/usr/bin/python3", os.path.join(HERE, "hostile_server.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
silent_port = int(bad.stdout.readline().split()[1])

# A window of local time around now in Shanghai (UTC+8, no DST): a rule
# with it never matches in UTC and matches at once in Shanghai.
sh_now = datetime.now(timezone.utc) + timedelta(hours=8)
window = "%s-%s" % ((sh_now - timedelta(minutes=30)).strftime("%H:%M"),
                    (sh_now + timedelta(minutes=30)).strftime("%H:%M"))

TEMPLATE = """
wall:
  name: reload-wall
  timezone: {tz}
  screens: [{{id: main, size: 640x360}}]
alerts:
  journal: '@JOURNAL@'
  raise_after: {raise_after}
  systemic: {{min: 0}}
cameras:
{cams}  - {{id: mute, url: 'rtsp://127.0.0.1:{port}/silent',
     connect_timeout: {timeout}}}
layouts:
  - {{name: wide, grid: 2x1}}
{extra_layout}plans:
  day:
    dwell: 1h
    screens:
      main: [{{layout: {layout}, tiles: [{tiles}]}}]
  night:
    dwell: 1h
    screens:
      main: [{{layout: 1x1, tiles: [blue]}}]
schedule:
  - plan: night
    when: {{time: '{window}'}}
  - plan: day
"""
CAM_LINES = "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c))
                    for c in CAMS)


def config(tz="UTC", raise_after="0s", timeout="5s", layout="2x2",
           extra=True):
    return TEMPLATE.format(
        tz=tz, raise_after=raise_after, cams=CAM_LINES, port=silent_port,
        timeout=timeout, window=window, layout=layout,
        tiles="red, green" if layout == "wide" else "red, green, blue, yellow",
        extra_layout="  - {name: tall, grid: 1x2}\n" if extra else "")


wall = Vigil(config())


def write(text):
    with open(wall.config, "w") as f:
        f.write(text.replace("@JOURNAL@", wall.journal))


def reload():
    req = urllib.request.Request(
        "http://127.0.0.1:%d/api/reload" % wall.port, data=b"{}",
        method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def connect_seconds():
    """How long the next connect of `mute` (to a server that never
    answers) lasts, from its stream entering connecting to leaving it."""
    st = lambda: wall.camera("mute")["streams"]["main"]["state"]
    wait_for(lambda: st() == "down", 30, "mute between connects")
    wait_for(lambda: st() == "connecting", 40, "mute connecting", 0.02)
    t0 = time.monotonic()
    wait_for(lambda: st() != "connecting", 30, "mute gives up", 0.02)
    return time.monotonic() - t0


check(wait_for(lambda: all(wall.camera(c)["state"] == "live" for c in CAMS),
               20, "live"), "the cameras are live")
st = wall.status()
check(st["plan"] == "day" and st["time"].endswith("+00:00"),
      "in UTC the day plan runs (%s, %s)" % (st["plan"], st["time"]))

# ---- an operator's layout, about to be removed ----
check(wall.post("layout", {"screen": "main", "layout": "tall"}) == 200 and
      wall.status()["screens"][0]["layout"] == "tall",
      "operator's layout override 'tall'")

# ---- a restart-only key refuses the whole reload, by name ----
write(config(raise_after="4s").replace("size: 640x360", "size: 800x600"))
code, doc = reload()
check(code == 409 and "wall.screens[main].size" in doc.get("changed", []),
      "a screen size change is refused by name: %s %s" % (code, doc))
check("alerts.raise_after" not in doc.get("changed", []),
      "only the restart-only key is named")
check(wall.status()["screens"][0]["layout"] == "tall",
      "the running wall is unchanged (override still in force)")

# ---- connect_timeout: measured before and after ----
before = connect_seconds()
check(4.0 < before < 7.5, "a connect to a silent server lasts its 5 s "
      "timeout (%.1f s)" % before)

# ---- every live key at once ----
write(config(tz="Asia/Shanghai", raise_after="4s", timeout="1s",
             layout="wide", extra=False))
code, doc = reload()
applied = doc.get("applied", [])
log("applied: %s" % applied)
check(code == 200, "the reload applies (%s %s)" % (code, doc))
for key in ("alerts.raise_after", "wall.timezone",
            "cameras[mute].connect_timeout", "layouts", "plans"):
    check(key in applied, "the answer names %s" % key)

# wall.timezone: times in the wall's new offset, and the rule that only
# matches in Shanghai now picks the night plan
st = wall.status()
check(st["time"].endswith("+08:00"), "status time in +08:00 (%s)"
      % st["time"])
check(wait_for(lambda: wall.status()["plan"] == "night", 5, "night"),
      "the schedule is evaluated in the new zone: night plan")
ev = [e for e in wall.journal_events() if e["event"] == "config_reloaded"]
check(ev and ev[-1]["ts"].endswith("+08:00"),
      "the journal's new lines carry +08:00 (%s)" % (ev and ev[-1]["ts"]))
pc = [e for e in wall.journal_events() if e["event"] == "plan_changed"]
check(pc and pc[-1]["plan"] == "night" and pc[-1]["from"] == "day",
      "plan_changed day -> night journalled")

# the layout in use was removed: the override is gone, no stale tiles
check(wall.post("plan", {"plan": "day"}) == 200, "operator: day plan")
sc = wall.status()["screens"][0]
check(sc["layout"] == "wide" and not wall.status()["overrides"]["layouts"],
      "the removed layout's override is gone; the plan's 'wide' shows "
      "(%s)" % sc["layout"])
rects = tile_rects((2, 1), 640, 360)
seen = wait_for(lambda: [which_colour(centre_colour(wall.snapshot(), r))
                         for r in rects] == ["red", "green"] or None, 5,
                "wide tiles")
check(seen, "the snapshot shows red | green in the new layout")
check(wall.post("layout", {"screen": "main", "layout": "tall"}) == 404,
      "the removed layout is unknown now")

# connect_timeout: the next connect gives up after 1 s
after = connect_seconds()
check(after < 2.5, "after the reload a connect gives up after 1 s "
      "(%.1f s)" % after)

# alerts.raise_after: a drop is raised only after 4 s
t0 = time.time()
srv.command("stop", "green")
raised = lambda: [e for e in wall.journal_events()
                  if e.get("camera") == "green" and e["event"] == "raised"]
time.sleep(2.5)
check(not raised(), "2.5 s after the drop: not raised yet (raise_after 4s)")
ev = wait_for(raised, 10, "green raised")
check(bool(ev), "the drop is raised after the debounce")
srv.command("start", "green")

# a broken file: refused, the running config stays
write(config().replace("dwell: 1h", "dwell: forever"))
code, doc = reload()
check(code == 400 and doc.get("errors"), "an invalid config is refused")
check(wall.status()["time"].endswith("+08:00"),
      "and the running config stays (still +08:00)")
finish(wall, srv)
