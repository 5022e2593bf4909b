#!/usr/bin/python3
"""A wall that the machine starves sheds load: behind real time.

Vigil runs on one core (taskset) and is given, in every 100 ms, only
CPU time enough for 60% of what it used alone there (SIGSTOP and
SIGCONT), so its own CPU shares stay under the load budget while it
cannot keep up with eight noisy 720p cameras. Its cameras' reading then
lags behind their pace: the load rule counts them behind and sheds,
which the CPU shares alone never did (bench/RESULTS.md: 80 noisy cameras
at 8.6 fps, nothing shed). Given the whole core again, the cameras catch
up.

Why not busy loops beside it on its core: the scheduler gives a wall of
short-running threads more than a busy loop's share, by how much depends
on the kernel and the machine's speed (4 loops, and once 8, left a wall
needing 0.2 of a core all of it), so a test built on them passes on
one machine and fails on the next. The cameras come through relay.py,
which queues what a slow reader has not read: gst-rtsp-server drops data
for a reader that falls behind, which would cap the lag. The server and
the relay run on the other core."""
import os
import re
import signal
import stat
import subprocess
import threading
import time

import harness

from harness import (Relay, RtspServer, Vigil, check, finish, grid_config, log,
                     make_clip, temp_dir, wait_for)

CAMS = ["c%02d" % i for i in range(8)]

clip = make_clip("noisy", "white", size="1280x720", noise=True)
srv = RtspServer({c: clip for c in CAMS})
relay = Relay(srv)
for fixture in (srv, relay):  # every thread of theirs on core 1
    subprocess.run(["taskset", "-a", "-p", "-c", "1", str(fixture.proc.pid)],
                   check=True, stdout=subprocess.DEVNULL)

# vigil on core 0 only: its shares are then of one core
wrap_dir = temp_dir("vigil-behind-")
wrapper = os.path.join(wrap_dir, "vigil-on-core-0")
with open(wrapper, "w") as f:
    f.write('#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' % harness.VIGIL)
os.chmod(wrapper, stat.S_IRWXU)
harness.VIGIL = wrapper

wall = Vigil(grid_config(
    "behind-wall", "".join("  - {id: %s, url: '%s'}\n" % (c, relay.url(c))
                           for c in CAMS), CAMS))

check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 20,
               "all live"), "all cameras live")
time.sleep(3)  # the load is sampled once a second
demand = []
for _ in range(4):
    load = wall.status()["load"]
    check(load["cores"] == 1, "its cores are the ones it may run on (%d)"
          % load["cores"])
    check(load["process"] > 0 and load["shed"] == "none" and
          load["behind"] == 0,
          "alone on its core, it keeps up: %s" % load)
    demand.append(load["process"])
    time.sleep(1)

# in every 100 ms, run time for 60% of what it used alone
need = max(demand)
run_s = 0.1 * 0.6 * need
log("alone it used %.2f of its core: it runs %.0f ms in every 100"
    % (need, run_s * 1000))
starving = threading.Event()
starving.set()


def starve(pid):
    while starving.is_set():
        os.kill(pid, signal.SIGSTOP)
        time.sleep(0.1 - run_s)
        os.kill(pid, signal.SIGCONT)
        time.sleep(run_s)


starver = threading.Thread(target=starve, args=(wall.proc.pid,),
                           daemon=True)
starver.start()
lags = []


def shed():
    st = wall.status()
    lags.append(max(c["lag_ms"] for c in st["cameras"]))
    return st["load"]["shed"] == "keyframes"


check(wait_for(shed, 30, "shedding", interval=0.5),
      "starved, it sheds to keyframes (worst lag seen %d ms)" % max(lags))
# what the shedding was for: the log names the shares and the cameras
steps = re.findall(r"over budget \(85%\): decoding (\d+)% of (\d+) cores, "
                   r"composing (\d+)% of one, the process (\d+)% of all, "
                   r"(\d+) camera\(s\) behind real time", wall.log())
log("shed steps: %s" % steps)
# Every step counts cameras behind, and at least one was the lag rule's
# alone: every share under budget. Not every one: the decode share is the
# slots' wall-clock occupancy, and a decode that SIGSTOP freezes midway
# holds its slot throughout (runs here measured 39-81% at the first step
# and up to 99% at the second).
check(steps and all(int(s[4]) > 0 for s in steps) and
      any(int(s[0]) < 85 and int(s[2]) < 85 and int(s[3]) < 85
          for s in steps),
      "every step was for cameras behind real time, and one with every "
      "share under budget")
m = wall.get("/metrics")[2].decode()
check(re.search(r'vigil_camera_lag_seconds\{camera="c00"\} [0-9.]+', m) and
      "vigil_cameras_behind " in m, "the lag is in /metrics")

# shed, the small tiles decode keyframes only: they catch up
check(wait_for(lambda: wall.status()["load"]["behind"] == 0, 15,
               "caught up"),
      "shed, every camera catches up (behind: 0)")

starving.clear()
starver.join()
os.kill(wall.proc.pid, signal.SIGCONT)
time.sleep(2)
st = wall.status()
check(all(c["state"] == "live" and not c["behind"] for c in st["cameras"]),
      "the core back: all live, none behind")
check(not wall.journal_events(),
      "falling behind is not a camera fault: no alert (%s)"
      % wall.journal_events()[:2])
finish(wall, relay, srv)
