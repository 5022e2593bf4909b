#!/usr/bin/python3
"""Keys and clicks on a real wall window (Xvfb, xdotool): Right moves to
the next page, Space pauses, 3 shows tile 3 full screen and Esc goes back,
a click shows the clicked tile full screen, F1 switches to plan 1, H shows
the help overlay; the status line tells what is in force."""
import os
import subprocess
import time

from harness import (Vigil, check, finish, log, spawn, wait_for)

display = ":%d" % (90 + os.getpid() % 100)
xvfb = spawn(["Xvfb", display, "-screen", "0", "1920x1080x24"],
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.environ["DISPLAY"] = display
time.sleep(1.0)
wall = Vigil(None, headless=False)  # the demo wall, in a window
wid = wait_for(lambda: subprocess.run(
    ["xdotool", "search", "--name", "Vigil"], capture_output=True,
    text=True).stdout.split(), 10, "the wall window")
check(bool(wid), "the wall opens a window")
wid = wid[0] if wid else "0"
subprocess.run(["xdotool", "windowactivate", "--sync", wid],
               capture_output=True)


def key(k):
    subprocess.run(["xdotool", "key", "--window", wid, k], check=True)


def screen():
    return wall.status()["screens"][0]


p0 = screen()["page"]
key("Right")
check(wait_for(lambda: screen()["page"] == (p0 + 1) % 4, 3, "next"),
      "Right: next page")
key("space")
check(wait_for(lambda: "paused" in wall.status()["overrides"], 3, "pause"),
      "Space: paused")
key("3")
check(wait_for(lambda: screen()["fullscreen"] and
               screen()["layout"] == "1x1", 3, "full"),
      "3: tile 3 full screen")
key("Escape")
check(wait_for(lambda: not screen()["fullscreen"], 3, "back"),
      "Esc: back to the page")
subprocess.run(["xdotool", "mousemove", "--window", wid, "100", "100",
                "click", "1"], check=True)
check(wait_for(lambda: screen()["fullscreen"], 3, "click"),
      "a click: that tile full screen")
key("F1")
check(wait_for(lambda: wall.status()["overrides"].get("plan", {})
               .get("plan") == "demo", 3, "F1"), "F1: plan 1")
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
ops = [e["action"] for e in wall.journal_events()
       if e.get("event") == "override"]
log("journalled: %s" % ops)
check(ops[:5] == ["next", "pause", "fullscreen", "fullscreen",
                  "fullscreen"], "every key journalled as an override")
finish(wall)
