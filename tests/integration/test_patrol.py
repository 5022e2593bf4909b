#!/usr/bin/python3
"""A holiday plan that starts a few seconds after start-up: the eve offset
(from_eve) puts its start at the next whole minute today, because the
holiday itself is tomorrow. The wall switches plan at that second without
a restart (status, journal, snapshot colours), and operator overrides
(pause, next page, pin, plan) show in the status with their ends and
expire by themselves."""
import time
from datetime import datetime, timedelta, timezone

from harness import (Vigil, RtspServer, centre_colour, check, finish, log,
                     make_clip, tile_rects, wait_for, which_colour)

DAY = ["red", "green", "blue", "yellow"]
HOLIDAY = ["magenta", "cyan", "orange", "white"]
srv = RtspServer({c: make_clip(c, c) for c in DAY + HOLIDAY})

# Start when the next minute is 8-20 s away (and not at midnight), so the
# holiday eve begins a few seconds after the wall is up.
while True:
    now = datetime.now(timezone.utc)
    if 40 <= now.second <= 50 and not (now.hour == 23 and now.minute == 59):
        break
    time.sleep(0.2)
switch = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
tomorrow = (switch + timedelta(days=1)).date()
log("holiday %s, eve from %s UTC" % (tomorrow, switch.strftime("%H:%M")))

cams = "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c))
               for c in DAY + HOLIDAY)
wall = Vigil("""
wall:
  name: patrol-wall
  timezone: UTC
  screens: [{id: main, size: 640x360}]
alerts: {journal: '@JOURNAL@'}
cameras:
%s
plans:
  day:
    dwell: 4s
    screens:
      main:
        - {layout: 2x2, tiles: [red, green, blue, yellow]}
        - {layout: 2x2, tiles: [yellow, blue, green, red]}
  holiday:
    screens:
      main: [{layout: 2x2, tiles: [magenta, cyan, orange, white]}]
calendars:
  test-holidays:
    dates: [%s]
schedule:
  - plan: holiday
    when: {calendar: test-holidays, from_eve: "%s"}
  - plan: day
""" % (cams, tomorrow.isoformat(), switch.strftime("%H:%M")))
rects = tile_rects((2, 2), 640, 360)


def colours():
    img = wall.snapshot()
    return [which_colour(centre_colour(img, r)) for r in rects]


check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 15,
               "all live"), "all cameras live")
st = wall.status()
check(st["plan"] == "day" and st["rule"] == 2, "day plan before the eve")
check(colours() in (DAY, DAY[::-1]), "day cameras on the wall")

# ---- the switch, at the second ----
seen = wait_for(lambda: wall.status()["plan"] == "holiday", 30,
                "holiday plan", interval=0.02)
t_seen = datetime.now(timezone.utc)
lag = (t_seen - switch).total_seconds()
log("plan switch seen %.3f s after %s" % (lag, switch.time()))
check(seen and 0 <= lag < 1.0, "holiday plan within 1 s of the eve time")
st = wall.status()
check(st["rule"] == 1, "rule 1 (the calendar) chose it")
check(datetime.fromisoformat(st["plan_since"]) == switch,
      "plan_since is exactly the eve time: %s" % st["plan_since"])
check(wait_for(lambda: colours() == HOLIDAY, 3, "holiday colours"),
      "the snapshot shows the holiday cameras")
changed = [e for e in wall.journal_events()
           if e.get("event") == "plan_changed"]
check(len(changed) == 1 and changed[0]["plan"] == "holiday" and
      changed[0]["from"] == "day" and changed[0]["by"] == "schedule",
      "journal: one plan_changed day -> holiday: %s" % changed)

# ---- overrides ----
post = wall.post
check(post("plan", {"plan": "day", "for_s": 3}) == 200, "plan override ok")
ov = wall.status()["overrides"]
check(ov.get("plan", {}).get("plan") == "day" and ov["plan"]["until"],
      "status shows the plan override and its end: %s" % ov.get("plan"))
check(wait_for(lambda: colours() in (DAY, DAY[::-1]), 3, "day colours"),
      "the operator's plan is on the wall")
back = wait_for(lambda: wall.status()["plan"] == "holiday", 5,
                "override expiry")
check(back, "the plan override expires and the schedule returns")
check(not wall.status()["overrides"].get("plan"), "override gone")

check(post("pin", {"screen": "main", "tile": 2, "camera": "red",
                   "for_s": 2}) == 200, "pin ok")
check(wait_for(lambda: colours()[2] == "red", 3, "pin"),
      "pinned camera in tile 2")
check(wall.status()["overrides"]["pins"][0]["camera"] == "red",
      "status lists the pin")
check(wait_for(lambda: colours()[2] == "orange", 5, "unpin"),
      "the pin expires")

check(post("pause", {}) == 200, "pause ok")
check("paused" in wall.status()["overrides"], "status shows the pause")
check(post("resume", {}) == 200 and
      "paused" not in wall.status()["overrides"], "resume clears it")
check(post("plan", {"plan": "nope"}) == 404, "unknown plan: 404")
check(post("pin", {"screen": "main", "tile": 9, "camera": "red"}) == 400,
      "tile out of range: 400")
check(post("explode", {}) == 404, "unknown command: 404")
finish(wall, srv)
