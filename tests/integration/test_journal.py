#!/usr/bin/python3
"""Months unattended. A journal of 100,000 alerts (each raised,
acknowledged, cleared and closed; the last 20 open) starts the wall in
seconds (one linear replay, then it is rotated and checkpointed, and the
next start reads only the checkpoint); /api/alerts answers the newest 50
at once, pages back and forth by cursor and finds a time by binary search,
across the rotated files, exactly as the lines were written. A wall
rotating every few KiB loses no event, and after a SIGKILL its open alert
comes back under its id. Journal files are 0640; a config anyone can read
is named in a warning. (Timings are measured in bench/journal-bench; here
they are asserted loosely.)"""
import calendar
import json
import os
import stat
import sys
import time
import urllib.error
import urllib.parse

from harness import HERE, Vigil, check, finish, free_port, log, wait_for

sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
N = 100000
CAMS = ["cam-%02d" % i for i in range(1, 33)]


def write_journal(path, n):
    # the bench's generator (bench/journal-bench), loaded as a module
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader(
        "journal_bench", os.path.join(HERE, "..", "..", "bench",
                                      "journal-bench"))
    spec = importlib.util.spec_from_loader("journal_bench", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod.write_journal(path, n)


def lines_of(paths):
    out = []
    for p in paths:
        with open(p) as f:
            out += [json.loads(l) for l in f if l.strip()]
    return out


def journal_files(journal):
    d = os.path.dirname(journal)
    base = os.path.basename(journal)
    arch = sorted(f for f in os.listdir(d)
                  if f.startswith(base + ".") and f[len(base) + 1:].isdigit())
    return [os.path.join(d, f) for f in arch] + [journal]


def restored(wall):
    said = [l for l in wall.log().splitlines() if "alert(s) restored" in l]
    return int(said[-1].split(": ")[-1].split()[0]) if said else -1


# ---- a long history ----
# The history's cameras are gone from this config (their alerts are
# restored, and stay open with nobody to clear them); the one camera it has
# is healthy, so the wall writes nothing new while it is read back.
config = """
wall:
  screens: [{id: main, size: 320x180}]
alerts: {journal: '@JOURNAL@', systemic: {min: 0}}
cameras:
  - {id: live, url: 'lavfi:color=c=blue:s=64x36:r=5'}
plans:
  p:
    screens:
      main: [{layout: 1x1, tiles: [live]}]
"""


class LongWall(Vigil):
    """A wall whose journal is written before it first starts."""

    def start(self):
        if not os.path.exists(self.journal):
            self.mid = write_journal(self.journal, N)
            self.original = lines_of([self.journal])
            log("journal: %d lines, %.0f MB" % (
                len(self.original), os.path.getsize(self.journal) / 1e6))
        t0 = time.monotonic()
        Vigil.start(self)
        self.startup = time.monotonic() - t0


wall = LongWall(config)
check(wall.startup < 6, "a 100,000-alert journal: the wall answers after "
      "%.2f s (bench: under 2 s)" % wall.startup)
check(restored(wall) == 20, "the 20 open alerts are restored (%d)"
      % restored(wall))
files = journal_files(wall.journal)
check(len(files) == 2 and os.path.exists(wall.journal + ".index"),
      "the oversized journal was rotated and checkpointed: %s"
      % [os.path.basename(f) for f in files])
modes = {os.path.basename(f): stat.S_IMODE(os.stat(f).st_mode)
         for f in (wall.journal, wall.journal + ".index")}
check(all(m == 0o640 for m in modes.values()),
      "the journal's new files are 0640: %s"
      % {k: oct(v) for k, v in modes.items()})
orig = wall.original


def alerts(query):
    t0 = time.monotonic()
    doc = json.loads(wall.get("/api/alerts?" + query)[2])
    return doc, time.monotonic() - t0


doc, took = alerts("limit=50")
check(took < 1.0 and doc["events"] == orig[-50:],
      "the newest 50 events, exactly as written, in %.0f ms" % (took * 1000))
back, _ = alerts("limit=50&before=" + doc["before"])
check(back["events"] == orig[-100:-50], "a page back by cursor")
check(len(alerts("limit=5000")[0]["events"]) == 1000,
      "limit is capped at 1000")
page, took = alerts("limit=50&since=" + urllib.parse.quote(wall.mid))
i = next(k for k, e in enumerate(orig) if e["ts"] == wall.mid)
check(page["events"] == orig[i:i + 50],
      "since a time mid-journal (binary search): the 50 from there, in "
      "%.0f ms" % (took * 1000))
nxt, _ = alerts("limit=50&after=" + page["after"])
check(nxt["events"] == orig[i + 50:i + 100], "and on by cursor")
try:
    bad = wall.get("/api/alerts?since=")[0]
except urllib.error.HTTPError as e:
    bad = e.code
check(bad == 400, "an empty since= is refused (%s)" % bad)
rc = wall.stop()
check(rc == 0, "clean exit")
t0 = time.monotonic()
Vigil.start(wall)
second = time.monotonic() - t0
check(second < 3 and restored(wall) == 20,
      "the next start reads the checkpoint: %.2f s, 20 restored" % second)
check(wall.stop() == 0, "clean exit")

# ---- rotation every 4 KiB loses nothing ----
dead = free_port()
small = Vigil("""
wall:
  timezone: Asia/Shanghai
  screens: [{id: main, size: 320x180}]
alerts:
  journal: '@JOURNAL@'
  journal_max_size: 4KiB
  journal_keep: 1000
cameras:
  - {id: dead, url: 'rtsp://127.0.0.1:%d/none'}
plans:
  p:
    screens:
      main: [{layout: 1x1, tiles: [dead]}]
""" % dead)
check("readable by every user" in small.log() and small.config in small.log(),
      "a config anyone can read is named in a warning")
raised = wait_for(lambda: [e for e in small.journal_events()
                           if e.get("event") == "raised"], 15, "raised")
aid = raised[0]["alert"] if raised else None
for k in range(200):
    small.post("pause" if k % 2 == 0 else "resume", {})
files = journal_files(small.journal)
written = lines_of(files)
check(len(files) > 4, "the journal rotated %d times" % (len(files) - 1))
got = []
cursor = "since=0"
while True:
    doc = json.loads(small.get("/api/alerts?limit=37&" + cursor)[2])
    got += doc["events"]
    if not doc["events"]:
        break
    cursor = "after=" + doc["after"]
check(got == written, "every event read back across %d files, in order "
      "(%d of %d)" % (len(files), len(got), len(written)))
check(sum(e.get("event") == "override" for e in got) == 200,
      "all 200 operator actions are there")

# ---- since= in a wall eight hours east of this (UTC) machine ----
ev = got[len(got) // 2]
ts = ev["ts"]                                    # e.g. ...T05:12:07.412+08:00
check(ts.endswith("+08:00"), "the journal writes the wall's offset: %s" % ts)
local = ts[:-6]
as_utc = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
    calendar.timegm(time.strptime(local[:19], "%Y-%m-%dT%H:%M:%S")) -
    8 * 3600)) + local[19:] + "Z"


def first_since(value):
    doc = json.loads(small.get("/api/alerts?limit=1&since=" +
                               urllib.parse.quote(value, safe=""))[2])
    return doc["events"][0] if doc["events"] else None


first = next(e for e in got if e["ts"] >= ts)
check(first_since(ts) == first and first_since(as_utc) == first and
      first_since(local) == first,
      "since= with +08:00, as Z, and as a local time in the wall's zone "
      "all find the same event (%s)" % ts)
late = first_since(local + "Z")                  # the old bug: local as UTC
check(late is None or late["ts"] > ts,
      "a local time read as UTC lands 8 h later (%s)"
      % (late["ts"] if late else None))

small.kill()
small.start()
st = small.status()
check(any(a["alert"] == aid for a in st["alerts"]),
      "after a SIGKILL past many rotations, %s is open again under its id"
      % aid)
finish(small)
