#!/usr/bin/python3
"""The control API on a wall of real RTSP cameras: every call and its
effect (status, snapshot colours), the event stream in order, metrics,
errors; a non-loopback listen that needs a token (401 without or with a
wrong one, never logged); oversized and trickled requests; and camera
passwords found nowhere: responses, metrics, events, log."""
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

from harness import (RtspServer, VIGIL, Vigil, centre_colour, check,
                     clean_exit, finish, free_port, log, make_clip,
                     stop_cleanly, tile_rects, wait_for, which_colour)

PASSWORD = "Pa55-w0rd-secret"
CAMS = ["red", "green", "blue", "yellow", "magenta", "cyan"]
srv = RtspServer({c: make_clip(c, c) for c in CAMS})
private = RtspServer({"private": make_clip("private", "white")},
                     auth={"private": "admin:" + PASSWORD})
cams = "".join("  - {id: %s, url: '%s', groups: [all]}\n" % (c, srv.url(c))
               for c in CAMS)
cams += "  - {id: private, url: '%s'}\n" % private.url(
    "private", "admin:" + PASSWORD)
config = """
wall:
  screens: [{id: main, size: 640x360}]
alerts: {journal: '@JOURNAL@'}
cameras:
%s
plans:
  p:
    dwell: 1h
    screens:
      main: [{layout: 2x2, cameras: 'group:all'}]
  other:
    screens:
      main: [{layout: 1x1, tiles: [private]}]
""" % cams
wall = Vigil(config)
check(wait_for(lambda: all(c["state"] == "live"
                           for c in wall.status()["cameras"]), 20, "live"),
      "all cameras live")

# ---- the event stream, read in a thread ----
events = []


def reader():
    req = urllib.request.urlopen("http://127.0.0.1:%d/api/events"
                                 % wall.port, timeout=60)
    name = None
    for raw in req:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))


threading.Thread(target=reader, daemon=True).start()
time.sleep(0.5)
rects = tile_rects((2, 2), 640, 360)


def colours():
    img = wall.snapshot()
    return [which_colour(centre_colour(img, r)) for r in rects]


def page():
    return wall.status()["screens"][0]["page"]


# ---- reads ----
for path in ("/api/status", "/api/cameras", "/api/layouts", "/api/plans",
             "/api/alerts"):
    st, ctype, body = wall.get(path)
    check(st == 200 and ctype == "application/json" and json.loads(body),
          "GET %s" % path)
layouts = {l["name"] for l in json.loads(wall.get("/api/layouts")[2])}
check({"1x1", "4x4", "1+5", "3+4"} <= layouts, "layouts listed")

# ---- actions and their effect ----
check(wall.post("page", {"screen": "main", "page": 1}) == 200 and
      page() == 1, "go to page 2")
check(wait_for(lambda: colours() == ["magenta", "cyan", None, None], 3,
               "page 2 colours"), "page 2 on the wall")
check(wall.post("prev", {}) == 200 and page() == 0, "previous page")
check(wall.post("next", {"screen": "main"}) == 200 and page() == 1,
      "next page")
check(wall.post("page", {"screen": "main", "page": 0}) == 200, "page 1")
check(wall.post("fullscreen", {"screen": "main", "tile": 2}) == 200,
      "tile 2 full screen")
# The next composition shows it; the snapshot may come a frame before it.
seen = []
check(wall.status()["screens"][0]["layout"] == "1x1" and
      wait_for(lambda: seen.append(centre_colour(
          wall.snapshot(), (0, 0, 640, 360))) or
          which_colour(seen[-1]) == "blue", 3, "full screen"),
      "blue fills the screen (%s)" % (seen[-1:],))
check(wall.post("fullscreen", {"screen": "main", "tile": None}) == 200 and
      wall.status()["screens"][0]["layout"] == "2x2", "back from full screen")
check(wall.post("layout", {"screen": "main", "layout": "1x1",
                           "for_s": 30}) == 200 and
      wall.status()["screens"][0]["layout"] == "1x1", "layout 1x1")
check(wall.post("layout", {"screen": "main", "layout": None}) == 200,
      "layout back")
check(wall.post("pin", {"screen": "main", "tile": 3, "camera": "red"}) == 200
      and wait_for(lambda: colours()[3] == "red", 3, "pin"), "pin red")
check(wall.post("pin", {"screen": "main", "tile": 3, "camera": None}) == 200,
      "unpin")
check(wall.post("pause", {"for_s": 60}) == 200 and
      wall.status()["overrides"]["paused"]["until"], "pause with expiry")
check(wall.post("resume", {}) == 200, "resume")
check(wall.post("plan", {"plan": "other", "for_s": 60}) == 200 and
      wall.status()["plan"] == "other", "switch plan")
seen = []
check(wait_for(lambda: seen.append(centre_colour(
    wall.snapshot(), (0, 0, 640, 360))) or which_colour(seen[-1]) == "white",
    5, "other plan"), "the other plan's camera fills the wall (%s)"
    % (seen[-1:],))
check(wall.post("schedule", {}) == 200 and wall.status()["plan"] == "p",
      "back to the schedule")

# ---- reload: validated, running config kept on error ----
with open(wall.config) as f:
    good = f.read()
with open(wall.config, "w") as f:
    f.write(good.replace("dwell: 1h", "dwell: forever"))
st = wall.post("reload", {})
_, _, body = wall.get("/api/status")
check(st == 400, "a broken config is refused on reload (400)")
req = urllib.request.Request("http://127.0.0.1:%d/api/reload" % wall.port,
                             data=b"{}", method="POST")
try:
    urllib.request.urlopen(req)
    errors = []
except urllib.error.HTTPError as e:
    errors = json.loads(e.read())["errors"]
check(any(x.startswith(wall.config + ":16:12: dwell: 'forever' is not")
          for x in errors),
      "reload errors name file:line:column: %s" % errors)
with open(wall.config, "w") as f:
    f.write(good.replace("dwell: 1h", "dwell: 30m"))
check(wall.post("reload", {}) == 200, "a valid config reloads")
with open(wall.config, "w") as f:
    f.write(good.replace("size: 640x360", "size: 800x600"))
check(wall.post("reload", {}) == 409, "a screen change needs a restart")
with open(wall.config, "w") as f:
    f.write(good)

# ---- errors ----
check(wall.post("nope", {}) == 404, "unknown command 404")
check(wall.post("pin", {"screen": "nope", "tile": 0}) == 404,
      "unknown screen 404")
try:
    urllib.request.urlopen("http://127.0.0.1:%d/api/nothing" % wall.port)
    code = 200
except urllib.error.HTTPError as e:
    code = e.code
    doc = json.loads(e.read())
check(code == 404 and doc.get("error"), "unknown route: JSON 404")
req = urllib.request.Request("http://127.0.0.1:%d/api/pause" % wall.port,
                             data=b"[not json", method="POST")
try:
    urllib.request.urlopen(req)
    code = 200
except urllib.error.HTTPError as e:
    code = e.code
check(code == 400, "bad body: 400")

# ---- truthful answers: methods, argument types, for_s ----
def raw(method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (wall.port, path),
                                 data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


check(raw("HEAD", "/api/status") == 405 and raw("PUT", "/api/pause") == 405
      and raw("DELETE", "/api/status") == 405 and raw("HEAD", "/") == 405,
      "HEAD, PUT and DELETE answer 405")
for body, what in ((b"[]", "an array"), (b"3", "a number"),
                   (b'{"screen": 5}', "a number for a screen"),
                   (b'{"tile": "x", "screen": "main"}', "a string for a tile"),
                   (b'{"for_s": 0}', "for_s 0"), (b'{"for_s": -5}', "for_s < 0"),
                   (b'{"for_s": 1e300}', "for_s 1e300"),
                   (b'{"for_s": 40000000}', "for_s over a year"),
                   (b'{"for_s": "soon"}', "for_s a string")):
    cmd = "/api/pin" if b"tile" in body else "/api/pause"
    check(raw("POST", cmd, body) == 400, "%s answers 400" % what)
check(not wall.status()["overrides"].get("paused"),
      "and none of them paused the wall")

# ---- limits: connections, oversized and trickled requests ----
idle = []
for _ in range(260):
    idle.append(socket.create_connection(("127.0.0.1", wall.port)))
time.sleep(0.5)
try:
    code = raw("GET", "/api/status")
except (ConnectionError, OSError):
    code = None
check(code == 503, "past 256 connections: 503 (%s)" % code)
for sock in idle:
    sock.close()
check(wait_for(lambda: raw("GET", "/api/status") == 200, 5, "room again"),
      "when they close, requests are answered again")
s = socket.create_connection(("127.0.0.1", wall.port))
s.sendall(b"POST /api/pause HTTP/1.1\r\nHost: x\r\nContent-Length: 100000"
          b"\r\n\r\n" + b"x" * 40000)
reply = s.recv(200)
check(reply.startswith(b"HTTP/1.1 413"), "oversized request: 413")
s.close()
s = socket.create_connection(("127.0.0.1", wall.port))
t0 = time.time()
s.settimeout(20)
try:
    for ch in b"GET /api/status HTTP/1.1\r\n":
        s.sendall(bytes([ch]))
        time.sleep(0.5)
    closed = s.recv(10) == b""
except (BrokenPipeError, ConnectionResetError):
    closed = True
check(closed and time.time() - t0 < 16,
      "a trickling client is cut off (%.1f s)" % (time.time() - t0))
s.close()

# ---- metrics ----
_, ctype, body = wall.get("/metrics")
m = body.decode()
check(ctype.startswith("text/plain") and
      'vigil_camera_up{camera="red"} 1' in m and
      "vigil_camera_frames_decoded_total" in m and
      "vigil_camera_bytes_total" in m and "vigil_screen_frames_total" in m
      and "process_cpu_seconds_total" in m and
      'vigil_camera_frames_shown_total{camera="red"} 0' not in m and
      'vigil_camera_frames_shown_total{camera="red"}' in m and
      "process_resident_memory_bytes" in m, "Prometheus metrics")
vals = wall.metrics()
# the heap in use is real (a wall's decoders hold megabytes) and inside RSS
# (a sanitizer's allocator has none to give: the wall then leaves them out)
sanitized = "asan" in os.environ.get("VIGIL", "")
check((sanitized and "vigil_heap_bytes" not in vals) or
      1e6 < vals.get("vigil_heap_bytes", 0) <
      vals["process_resident_memory_bytes"] and
      vals.get("vigil_heap_free_bytes", -1) >= 0,
      "heap figures: %s in use, %s kept free, RSS %s"
      % (vals.get("vigil_heap_bytes"), vals.get("vigil_heap_free_bytes"),
         vals["process_resident_memory_bytes"]))

# ---- events arrived, in order ----
names = [n for n, _ in events]
pages = [d["page"] for n, d in events if n == "page"]
log("events: %d (%s)" % (len(events), sorted(set(names))))
check("page" in names and "override" in names and "plan_changed" in names,
      "page, override and plan events streamed")
actions = [d["action"] for n, d in events if n == "override"]
check(actions[:4] == ["page", "prev", "next", "page"],
      "overrides streamed in order: %s" % actions[:6])

# ---- the CLI drives the same API ----
ctl = [VIGIL, "ctl", "--url", "http://127.0.0.1:%d" % wall.port]
r = subprocess.run(ctl + ["status"], capture_output=True, text=True)
check(r.returncode == 0 and "camera red" in r.stdout and "plan p" in r.stdout,
      "vigil ctl status")
before = page()
r = subprocess.run(ctl + ["next", "main"], capture_output=True, text=True)
check(r.returncode == 0 and page() != before, "vigil ctl next")
r = subprocess.run(ctl + ["plan", "nope"], capture_output=True, text=True)
check(r.returncode == 1 and "unknown plan" in r.stderr,
      "vigil ctl plan nope: exit 1 with the error")
for args in (["pause", "30"], ["resume"], ["pin", "main", "0", "red", "5"],
             ["layout", "main", "1x1"], ["layout", "main", "-"],
             ["schedule"], ["reload"]):
    r = subprocess.run(ctl + args, capture_output=True, text=True)
    check(r.returncode == 0, "vigil ctl %s" % " ".join(args))

# ---- secrets ----
everything = [wall.get(p)[2].decode() for p in
              ("/api/status", "/api/cameras", "/metrics",
               "/api/alerts")] + [json.dumps(events)]
stop_cleanly(wall)
everything.append(wall.log())
everything.append(open(wall.journal).read())
check(all(PASSWORD not in x for x in everything),
      "the camera password is in no response, metric, event or log")

# ---- a non-loopback listen needs a token ----
token_file = os.path.join(wall.dir, "token")
with open(token_file, "w") as f:
    f.write("t0ken-0123456789abcdef\n")
cfg_open = config.replace("alerts:",
                          "control: {listen: '0.0.0.0:1'}\nalerts:")
path = os.path.join(wall.dir, "open.yaml")
with open(path, "w") as f:
    f.write(cfg_open.replace("@JOURNAL@", wall.journal))
r = subprocess.run([VIGIL, path, "--headless"], capture_output=True,
                   text=True, timeout=20)
check(r.returncode != 0 and "token_file" in r.stderr,
      "no token on a non-loopback address: refuses to start")
port = free_port()
with open(path, "w") as f:
    f.write(config.replace("@JOURNAL@", wall.journal).replace(
        "alerts:", "control: {token_file: '%s'}\nalerts:" % token_file))
proc = subprocess.Popen([VIGIL, path, "--headless", "--listen",
                         "0.0.0.0:%d" % port], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True)


def code_of(headers, query=""):
    req = urllib.request.Request("http://127.0.0.1:%d/api/status%s"
                                 % (port, query), headers=headers)
    try:
        return urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError):
        return None


wait_for(lambda: code_of({}) is not None, 10, "secured wall")
check(code_of({}) == 401, "no token: 401")
check(code_of({"Authorization": "Bearer wrong-token-xyz"}) == 401,
      "wrong token: 401")
check(code_of({"Authorization": "Bearer t0ken-0123456789abcdef"}) == 200,
      "right token: 200")
check(code_of({}, "?access_token=t0ken-0123456789abcdef") == 401,
      "the token in the URL is not accepted: 401")
proc.terminate()
out = proc.communicate(timeout=10)[0]
clean_exit(proc.returncode, out, "the secured wall")
check("401" in out and "t0ken-0123456789abcdef" not in out and
      "wrong-token-xyz" not in out, "401s logged without the token")
finish(srv, private)
