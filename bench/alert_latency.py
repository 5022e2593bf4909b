#!/usr/bin/python3
"""Fault-to-alert latency: N stalls (the stream freezes, the connection
stays) and N drops (the server drops the client) of a 15 fps H.264 camera
served by gst-rtsp-server on loopback, each measured from the moment the
fault is injected to the `raised` line's timestamp in the journal.

    bench/alert_latency.py [N]      (default 20)

Writes bench/results/alert_latency.json and prints a Markdown table.
Needs VIGIL (the binary) in the environment, like the integration tests.
"""
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from harness import RtspServer, Vigil, make_clip, wait_for  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
srv = RtspServer({"cam": make_clip("cam", "green")})
wall = Vigil("""
wall: {name: bench, screens: [{id: main, size: 640x360}]}
alerts:
  journal: '@JOURNAL@'
  flap: {count: 0}        # measure raw detection: no flap folding
cameras: [{id: cam, url: '%s'}]
plans: {p: {screens: {main: [{layout: 1x1, tiles: [cam]}]}}}
""" % srv.url("cam"))


def raised():
    return [e for e in wall.journal_events() if e.get("event") == "raised"]


def ts(e):
    return datetime.fromisoformat(e["ts"]).timestamp()


def live():
    return wall.camera("cam")["state"] == "live"


results = {"stall": [], "drop": []}
for kind, down, up in (("stall", "freeze", "thaw"), ("drop", "stop",
                                                      "start")):
    for i in range(N):
        wait_for(live, 40, "live")
        # a steady stream before the fault, long enough (10 s) that the
        # camera's reconnect backoff starts over and any after-effect of
        # the last fault (the test server's stream can stall once more
        # after a thaw) has passed
        time.sleep(10.5)
        wait_for(live, 40, "live")
        n = len(raised())
        t0 = time.time()
        srv.command(down, "cam")
        ev = wait_for(lambda: raised()[n:], 10, kind)
        if ev:
            results[kind].append(ts(ev[0]) - t0)
        srv.command(up, "cam")
    print("# %s: %d faults measured" % (kind, len(results[kind])),
          flush=True)
wall.stop()
srv.close()


def summary(xs):
    xs = sorted(xs)
    return {"n": len(xs), "median_ms": round(statistics.median(xs) * 1000),
            "p95_ms": round(xs[int(0.95 * (len(xs) - 1))] * 1000),
            "worst_ms": round(xs[-1] * 1000)}


out = {
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "machine": "%s, %d cores" % (platform.processor() or platform.machine(),
                                 os.cpu_count()),
    "stream": "H.264 320x240 15 fps, RTSP/TCP on loopback",
    "stall_budget": "default (10 frame intervals = 667 ms)",
    "stall": summary(results["stall"]),
    "drop": summary(results["drop"]),
}
os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
with open(os.path.join(os.path.dirname(__file__), "results",
                       "alert_latency.json"), "w") as f:
    json.dump(out, f, indent=1)
print("| fault | n | median | p95 | worst |\n|---|---|---|---|---|")
for k in ("stall", "drop"):
    s = out[k]
    print("| %s | %d | %d ms | %d ms | %d ms |" % (k, s["n"], s["median_ms"],
                                                   s["p95_ms"],
                                                   s["worst_ms"]))
