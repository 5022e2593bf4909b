#!/usr/bin/python3
"""Keys and clicks on a real wall window (Xvfb, xdotool): Right and Left
step the pages, Space pauses and the status line says so, 3 shows tile 3
full screen and 3 again or Esc goes back, a click shows the clicked tile
full screen and a second click goes back, F2 switches to the second plan
and F2 again returns to the schedule, A acknowledges the newest alert,
H shows the help overlay. Every key is journalled."""
import os
import subprocess
import time

from harness import (Vigil, check, finish, free_port, log, spawn, wait_for)

display = ":%d" % (90 + os.getpid() % 100)
xvfb = spawn(["Xvfb", display, "-screen", "0", "1920x1080x24"],
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.environ["DISPLAY"] = display
time.sleep(1.0)
COLOURS = ["red", "green", "blue", "yellow", "magenta", "cyan"]
cams = "".join("  - {id: c%d, url: 'lavfi:color=c=%s:s=320x180:r=15'}\n"
               % (i + 1, c) for i, c in enumerate(COLOURS))
wall = Vigil("""
wall:
  name: keys-wall
  screens: [{id: main, size: 960x540, fullscreen: false}]
alerts:
  journal: '@JOURNAL@'
cameras:
%s  - {id: dead, url: 'rtsp://127.0.0.1:%d/none'}
plans:
  day:
    dwell: 10m
    screens:
      main: [{layout: 2x2, cameras: [c1, c2, c3, c4, c5, c6, dead]}]
  night:
    screens:
      main: [{layout: 1x1, tiles: [c6]}]
schedule:
  - plan: day
""" % (cams, free_port()), headless=False)
wid = wait_for(lambda: subprocess.run(
    ["xdotool", "search", "--name", "Vigil"], capture_output=True,
    text=True).stdout.split(), 10, "the wall window")
check(bool(wid), "the wall opens a window")
wid = wid[0] if wid else "0"
subprocess.run(["xdotool", "windowactivate", "--sync", wid],
               capture_output=True)


def key(k):
    subprocess.run(["xdotool", "key", "--window", wid, k], check=True)


def click(x, y):
    subprocess.run(["xdotool", "mousemove", "--window", wid, str(x), str(y),
                    "click", "1"], check=True)


def screen():
    return wall.status()["screens"][0]


def status_line_pixels():
    """Pixels of the status line's amber text in the bottom strip."""
    img = wall.snapshot()
    w, h = img.size
    strip = img.crop((w // 2, h - h // 12, w, h)).getdata()
    return sum(1 for r, g, b in strip if r > 200 and 170 < g < 240 and b < 110)


def journal(event):
    return [e for e in wall.journal_events() if e.get("event") == event]


check(wait_for(lambda: screen()["pages"] == 2, 5, "two pages"),
      "the day plan has two pages")
p0 = screen()["page"]  # pages are counted on the wall clock
key("Right")
check(wait_for(lambda: screen()["page"] == 1 - p0, 3, "next"),
      "Right: next page")
key("Left")
check(wait_for(lambda: screen()["page"] == p0, 3, "prev"),
      "Left: previous page")

plain = status_line_pixels()
key("space")
check(wait_for(lambda: "paused" in wall.status()["overrides"], 3, "pause"),
      "Space: paused")
shown = wait_for(lambda: status_line_pixels() > plain + 50 or None, 3,
                 "status line")
check(shown, "the status line shows the pause (%s amber pixels, %d before)"
      % (shown and status_line_pixels(), plain))

key("3")
check(wait_for(lambda: screen()["fullscreen"] and
               screen()["layout"] == "1x1", 3, "full"),
      "3: tile 3 full screen")
key("3")
check(wait_for(lambda: not screen()["fullscreen"], 3, "back"),
      "3 again: back to the page")
key("3")
wait_for(lambda: screen()["fullscreen"], 3, "full")
key("Escape")
check(wait_for(lambda: not screen()["fullscreen"], 3, "back"),
      "Esc: back to the page")
first = screen()["tiles"][0]["camera"]
click(100, 100)
check(wait_for(lambda: screen()["fullscreen"] and
               screen()["tiles"][0]["camera"] == first, 3, "click"),
      "a click: that tile full screen")
click(100, 100)
check(wait_for(lambda: not screen()["fullscreen"], 3, "click back"),
      "a second click: back to the page")

key("F2")
check(wait_for(lambda: wall.status()["overrides"].get("plan", {})
               .get("plan") == "night", 3, "F2"), "F2: the second plan")
key("F2")
check(wait_for(lambda: "plan" not in wall.status()["overrides"], 3,
               "F2 again"), "F2 again: back to the schedule")

raised = wait_for(lambda: [e for e in journal("raised")
                           if e.get("camera") == "dead"], 10, "dead raised")
check(raised, "the dead camera's alert is raised")
key("a")
acked = wait_for(lambda: journal("acknowledged"), 3, "ack")
check(acked and raised and acked[0]["alert"] == raised[0]["alert"] and
      acked[0]["by"] == "wall", "A: the newest alert acknowledged, by the "
      "wall (%s)" % acked)

before = wall.snapshot()
key("h")
time.sleep(0.5)
after = wall.snapshot()
diff = sum(1 for a, b in zip(before.getdata(), after.getdata()) if a != b)
check(diff > 5000, "H: the help overlay appears (%d pixels changed)" % diff)
key("h")
time.sleep(0.5)
gone = wall.snapshot()
left = sum(1 for a, b in zip(before.getdata(), gone.getdata()) if a != b)
check(left < diff / 4, "H again: the help overlay is gone (%d pixels still "
      "differ, against %d with it)" % (left, diff))
key("space")
check(wait_for(lambda: "paused" not in wall.status()["overrides"], 3,
               "resume"), "Space again: resumed")
check(wait_for(lambda: status_line_pixels() <= plain + 50, 3, "no line"),
      "the status line is gone with the pause")
ops = [e["action"] for e in journal("override")]
log("journalled: %s" % ops)
check(ops[:2] == ["next", "prev"] and ops.count("fullscreen") == 6 and
      "pause" in ops and "resume" in ops and ops.count("plan") == 2,
      "every key journalled as an override")
finish(wall)
