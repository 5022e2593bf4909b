#!/usr/bin/python3
"""The README's demo: vigil with no config runs 16 synthetic cameras on a
4x4 / 1+5 patrol; camera 16 drops out every 30 s and comes back, so its
alert is raised and cleared in the journal."""
from harness import (Vigil, centre_colour, check, finish, log, tile_rects,
                     wait_for)

wall = Vigil(None)
live = wait_for(lambda: sum(c["state"] == "live"
                            for c in wall.status()["cameras"]) == 16, 20,
                "16 live")
check(live, "16 demo cameras live")
st = wall.status()
check(st["plan"] == "demo", "demo plan running")
scr = st["screens"][0]
check(scr["pages"] == 4, "4x4 page plus three 1+5 pages (%d pages)"
      % scr["pages"])

# The 4x4 page comes round within one 40 s cycle.
on_grid = wait_for(lambda: wall.status()["screens"][0]["layout"] == "4x4",
                   42, "the 4x4 page")
check(on_grid, "the patrol reaches the 4x4 page")


def distinct_tiles():
    img = wall.snapshot()
    return len({centre_colour(img, r)
                for r in tile_rects((4, 4), 1920, 1080)})


# the status turns to the new page as soon as it is decided; the picture
# follows with the next composition (and its cameras' first frames)
n = wait_for(lambda: distinct_tiles() == 16 or None, 3, "the 4x4 picture")
check(n, "16 distinct tiles on the 4x4 page (%d)" % distinct_tiles())

raised = wait_for(lambda: [e for e in wall.journal_events()
                           if e["camera"] == "cam-16" and
                           e["event"] == "raised"], 40, "cam-16 drop")
check(bool(raised), "cam-16 drops out and its alert is raised")
if raised:
    log("cam-16: %s" % raised[0]["detail"])
cleared = wait_for(lambda: [e for e in wall.journal_events()
                            if e["camera"] == "cam-16" and
                            e["event"] == "cleared"], 20, "cam-16 back")
check(bool(cleared), "cam-16 returns and its alert clears")
others = [e for e in wall.journal_events() if e["camera"] != "cam-16"]
check(not others, "no other camera raised an alert: %s" % others)
finish(wall)
