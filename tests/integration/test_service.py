#!/usr/bin/python3
"""Vigil as a systemd service, with systemd's side played by this test: a
notification socket (NOTIFY_SOCKET) and a watchdog period (WATCHDOG_USEC).
A windowed wall on Xvfb says READY=1 once its picture is up, with a STATUS
line, and pings WATCHDOG=1. When its display server hangs (Xvfb stopped)
the render thread stalls and the pings stop, though the loop thread runs
on; when the display comes back they resume. SIGHUP reloads: a valid
change applies (RELOADING=1, READY=1, journalled), an invalid file is
refused with file:line:column and the wall runs on unchanged. SIGTERM
stops the wall within a second, STOPPING=1, every RTSP stream closed with
a TEARDOWN."""
import os
import signal
import socket
import subprocess
import time

from harness import (RtspServer, Vigil, check, clean_exit, finish,
                     make_clip, spawn, stop_cleanly, wait_for)

CAMS = ["red", "green", "blue"]
srv = RtspServer({c: make_clip(c, c) for c in CAMS})

display = ":%d" % (60 + os.getpid() % 100)
xvfb = spawn(["Xvfb", display, "-screen", "0", "1280x720x24"],
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.environ["DISPLAY"] = display
time.sleep(1.0)

sock_path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                         "vigil-notify-%d.sock" % os.getpid())
if os.path.exists(sock_path):
    os.unlink(sock_path)
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(sock_path)
notify.settimeout(0.1)
os.environ["NOTIFY_SOCKET"] = sock_path
os.environ["WATCHDOG_USEC"] = "2000000"  # WatchdogSec=2

messages = []  # (monotonic time, {key: value})


def receive(seconds):
    """Collect notifications for `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data = notify.recv(4096).decode()
        except socket.timeout:
            continue
        kv = dict(line.split("=", 1) for line in data.split("\n") if line)
        messages.append((time.monotonic(), kv))


def since(t0, key):
    return [kv for t, kv in messages if t >= t0 and key in kv]


CONFIG = """
wall:
  name: service-wall
  screens: [{id: main, size: 640x360, fullscreen: false}]
alerts:
  journal: '@JOURNAL@'
  raise_after: %s
cameras:
%s
plans:
  p:
    screens:
      main: [{layout: 2x2, tiles: [red, green, blue]}]
"""
cams = "".join("  - {id: %s, url: '%s'}\n" % (c, srv.url(c)) for c in CAMS)
t_start = time.monotonic()
wall = Vigil(CONFIG % ("2s", cams), headless=False)
wait_for(lambda: (receive(0.2), since(t_start, "READY"))[1], 15, "READY=1")
ready = since(t_start, "READY")
check(ready and ready[0]["READY"] == "1" and
      "3 cameras" in ready[0].get("STATUS", ""),
      "READY=1 with a status line: %s" % (ready[0] if ready else None))
os.environ.pop("NOTIFY_SOCKET")
os.environ.pop("WATCHDOG_USEC")
check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 15,
               "all live"), "three cameras live")

t0 = time.monotonic()
receive(2.0)
pings = since(t0, "WATCHDOG")
check(len(pings) >= 3, "WATCHDOG=1 pings while the wall runs: %d in 2 s"
      % len(pings))

# ---- the display server hangs: the render thread stalls ----
xvfb.send_signal(signal.SIGSTOP)
receive(1.5)  # a stall is noticed within half the period (1 s)
t_stalled = time.monotonic()
receive(3.0)
during = since(t_stalled, "WATCHDOG")
api_ok = wall.status().get("wall")  # the loop thread runs on
check(not during and api_ok,
      "display server stopped: no ping for 3 s (%d), while the API answers"
      % len(during))
check("watchdog pings withheld" in wall.log(), "the stall is logged")
xvfb.send_signal(signal.SIGCONT)
t_back = time.monotonic()
receive(2.0)
check(len(since(t_back, "WATCHDOG")) >= 2, "the display is back: pings "
      "resume (%d)" % len(since(t_back, "WATCHDOG")))
check("pings resumed" in wall.log(), "and that is logged")


# ---- SIGHUP: a valid change applies, an invalid file is refused ----
def reloads():
    return [e for e in wall.journal_events()
            if e.get("event") == "config_reloaded"]


with open(wall.config, "w") as f:
    f.write((CONFIG % ("3s", cams)).replace("@JOURNAL@", wall.journal))
t0 = time.monotonic()
wall.proc.send_signal(signal.SIGHUP)
receive(1.0)
got = wait_for(reloads, 5, "config_reloaded")
check(got and got[-1].get("changes") == 1 and
      "config reloaded: 1 change(s) applied" in wall.log(),
      "SIGHUP with a valid change: applied and journalled")
check(since(t0, "RELOADING") and since(t0, "READY"),
      "RELOADING=1, then READY=1")
with open(wall.config, "w") as f:
    f.write("wall:\n  screens: [{id: main, size: 640x360\n")
wall.proc.send_signal(signal.SIGHUP)
wait_for(lambda: "the running config stays" in wall.log(), 5, "refused")
log_now = wall.log()
check(os.path.basename(wall.config) + ":3:1: YAML syntax" in
      log_now.split("SIGHUP")[-1] and
      "the running config stays" in log_now,
      "SIGHUP with a broken file: refused with file:line:column")
check(len(reloads()) == 1 and wall.status()["wall"] == "service-wall" and
      wall.proc.poll() is None, "the wall runs on, unchanged")

# ---- SIGTERM: down within a second, every stream closed ----
before = {c: int(srv.command("teardowns", c).split()[-1]) for c in CAMS}
receive(0.1)
t0 = time.monotonic()
wall.proc.send_signal(signal.SIGTERM)
try:
    rc = wall.proc.wait(5)
except subprocess.TimeoutExpired:
    rc = None
took = time.monotonic() - t0
wall.log_file.close()
check(rc is not None and took < 1.0, "SIGTERM: exited in %.2f s" % took)
clean_exit(rc, wall.log(), "the service wall")
receive(0.3)
check(since(t0, "STOPPING"), "STOPPING=1 on the way out")
after = wait_for(lambda: (lambda d: all(d[c] > before[c] for c in CAMS)
                          and d)(
    {c: int(srv.command("teardowns", c).split()[-1]) for c in CAMS}),
    3, "teardowns")
check(bool(after), "every camera's RTSP session was closed with a "
      "TEARDOWN: %s" % after)

# ---- the journal of a config that names none: in the StateDirectory ----
state = os.path.join(os.path.dirname(wall.config), "state")
os.makedirs(state)
os.environ["STATE_DIRECTORY"] = state
quiet = Vigil(CONFIG.replace("  journal: '@JOURNAL@'\n", "") % ("2s", cams))
del os.environ["STATE_DIRECTORY"]
check(wait_for(lambda: os.path.exists(os.path.join(state, "alerts.jsonl")),
               5, "journal") and
      not os.path.exists(os.path.join(os.path.dirname(quiet.config),
                                      "alerts.jsonl")),
      "no alerts.journal and STATE_DIRECTORY set (as the unit's "
      "StateDirectory does): the journal is created there")
stop_cleanly(quiet)
notify.close()
os.unlink(sock_path)
xvfb.terminate()
finish(srv)
