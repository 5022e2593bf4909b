#!/usr/bin/python3
"""CPU and memory of a wall: N H.264 cameras (640x360, 15 fps, served by
gst-rtsp-server on loopback) on one 1920x1080 headless screen, all of
them visible, measured over 20 s after a warm-up; and the built-in demo
wall (16 lavfi cameras, generated in-process) the same way.

    bench/wall_cpu.py [N]     (default 9, on a 3x3 layout)

Writes bench/results/wall_cpu.json and prints a Markdown table. VIGIL
names the binary, as for the integration tests.
"""
import json
import math
import os
import platform
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import COLOURS, RtspServer, Vigil, make_clip, wait_for  # noqa

N = int(sys.argv[1]) if len(sys.argv) > 1 else 9
SECONDS = 20


def measure(wall):
    def cpu():
        f = open("/proc/%d/stat" % wall.proc.pid).read().split()
        return (int(f[13]) + int(f[14])) / os.sysconf("SC_CLK_TCK")
    time.sleep(3)  # warm-up
    c0, t0 = cpu(), time.time()
    m0 = json.loads(wall.get("/api/status")[2])["frames_composed"]
    time.sleep(SECONDS)
    c1, t1 = cpu(), time.time()
    m1 = json.loads(wall.get("/api/status")[2])["frames_composed"]
    rss = [int(l.split()[1]) for l in open("/proc/%d/status" % wall.proc.pid)
           if l.startswith("VmHWM")][0] // 1024
    return {"cores": round((c1 - c0) / (t1 - t0), 3), "peak_rss_mb": rss,
            "compositions_per_s": round((m1 - m0) / (t1 - t0), 1)}


grid = math.ceil(math.sqrt(N))
names = list(COLOURS)
cams = {"c%02d" % i: make_clip("c%02d" % i, names[i % len(names)],
                               size="640x360", seconds=8)
        for i in range(N)}
srv = RtspServer(cams)
wall = Vigil("""
wall: {name: bench, screens: [{id: main, size: 1920x1080}]}
alerts: {journal: '@JOURNAL@'}
cameras:
%s
plans: {p: {screens: {main: [{layout: %dx%d, cameras: [%s]}]}}}
""" % ("".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c)) for c in cams),
       grid, grid, ", ".join(cams)))
wait_for(lambda: all(c["state"] == "live"
                     for c in wall.status()["cameras"]), 30, "live")
rtsp = measure(wall)
rtsp["fps_per_camera"] = round(sum(c["fps"] for c in wall.status()["cameras"])
                               / N, 1)
wall.stop()
srv.close()
demo = Vigil(None)
wait_for(lambda: all(c["state"] == "live"
                     for c in demo.status()["cameras"]), 30, "demo live")
dm = measure(demo)
demo.stop()

out = {
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "machine": "%s, %d cores" % (platform.machine(), os.cpu_count()),
    "rtsp_wall": dict(rtsp, cameras=N, stream="H.264 640x360 15 fps RTSP/TCP",
                      screen="1920x1080 headless, %dx%d" % (grid, grid)),
    "demo_wall": dict(dm, cameras=16, stream="lavfi 640x360 15 fps "
                      "(generated in-process)", screen="1920x1080 headless"),
}
os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
with open(os.path.join(HERE, "results", "wall_cpu.json"), "w") as f:
    json.dump(out, f, indent=1)
print("| wall | cameras | cores used | peak RSS | compositions/s |")
print("|---|---|---|---|---|")
for k in ("rtsp_wall", "demo_wall"):
    r = out[k]
    print("| %s | %d | %.2f | %d MB | %.1f |" % (k, r["cameras"], r["cores"],
                                                r["peak_rss_mb"],
                                                r["compositions_per_s"]))
