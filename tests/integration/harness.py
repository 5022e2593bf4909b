"""Integration test harness: real RTSP server, real vigil, real HTTP.

Each test script is its own process (meson runs it with a timeout). It
builds its clips once (cached in the build tree), starts the RTSP server
fixture and vigil as child processes, and talks to vigil only through
its public surfaces: the HTTP API, the snapshot PNG and the journal.

Run with Debian's /usr/bin/python3 (Pillow from python3-pil decodes the
snapshots). Environment: VIGIL (the binary), CLIPS_DIR (clip cache).
"""
import atexit
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.environ.get("VIGIL", "vigil")
CLIPS_DIR = os.environ.get("CLIPS_DIR", os.path.join(tempfile.gettempdir(),
                                                     "vigil-clips"))
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Flat, well separated colours; a tile is recognised by its centre colour.
COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 200, 60),
    "blue": (40, 70, 230),
    "yellow": (235, 220, 40),
    "magenta": (210, 40, 200),
    "cyan": (40, 210, 220),
    "orange": (240, 140, 20),
    "white": (235, 235, 235),
}

failures = []
passes = []
_children = []
_temp_dirs = []


def temp_dir(prefix):
    """A new directory under the system's temporary one, removed by
    finish() when every check passed (kept, and named, when one failed:
    the walls' logs are in them)."""
    d = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.append(d)
    return d


def release_temp_dirs(keep):
    """The temp_dir()s: named when keep (something failed: the walls'
    logs are in them), else removed once every child is gone."""
    if keep:
        if _temp_dirs:
            print("# logs kept in " + " ".join(_temp_dirs))
        return
    _reap()  # nothing still writing into them
    for d in _temp_dirs:
        shutil.rmtree(d, ignore_errors=True)
    del _temp_dirs[:]


def spawn(args, **kw):
    """Popen that is killed when the test exits, however it exits."""
    p = subprocess.Popen(args, **kw)
    _children.append(p)
    return p


@atexit.register
def _reap():
    for p in _children:
        if p.poll() is None:
            p.kill()
        p.wait()


def check(cond, what):
    """Record an expectation; a failed one does not stop the test, which
    fails at the end (finish)."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    (passes if cond else failures).append(what)
    return cond


SANITIZER_REPORTS = ("runtime error:", "ERROR: AddressSanitizer",
                     "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer")


def clean_exit(rc, output, what="vigil"):
    """A wall stopped by SIGTERM exits 0, with no sanitizer report."""
    report = [l for l in output.splitlines()
              if any(s in l for s in SANITIZER_REPORTS)]
    return check(rc == 0 and not report,
                 "%s exits cleanly on SIGTERM (status %s%s)"
                 % (what, rc, ", " + report[0] if report else ""))


def stop_cleanly(wall):
    """Stop a wall in the middle of a test, with finish()'s check."""
    return clean_exit(wall.stop(), wall.log())


def finish(*closables):
    """Stop everything; a wall must exit 0 on SIGTERM with no sanitizer
    report in its log (under build-asan, every test checks that)."""
    for c in closables:
        if isinstance(c, Vigil):
            stop_cleanly(c)
        else:
            c.close()
    release_temp_dirs(keep=bool(failures))
    print("%d passed, %d failed" % (len(passes), len(failures)))
    sys.exit(1 if failures else 0)


def log(msg):
    print("# " + msg, flush=True)


# ---- clips ----

BARCODE_BITS = 8


def barcode_boxes(width):
    """Where make_clip(barcode=True) draws bit k of the frame index: a
    square (x, y, side) along the top right of a picture `width` wide,
    least significant bit rightmost."""
    side = max(8, width // 24)
    return [(width - (k + 2) * side, side, side)
            for k in range(BARCODE_BITS)]


def make_clip(name, colour, codec="h264", size="320x240", fps=15,
              seconds=4, barcode=False, noise=False, bt709=False,
              tagged=False):
    """Encode a short looping clip once: flat colour, the camera's name
    and a frame counter (with barcode, also as white and black squares a
    machine can read: see barcode_boxes; with noise, grain that changes
    every frame, which costs a decoder about what a real scene does).
    Its YUV is BT.601 (ffmpeg's own default), or with bt709 BT.709, as an
    HD camera's is; the stream does not say which (many cameras do not),
    or with tagged it does. Returns the path."""
    os.makedirs(CLIPS_DIR, exist_ok=True)
    path = os.path.join(CLIPS_DIR, "%s-%s-%s-%d-%d%s%s%s%s-1s.%s.mkv"
                        % (name, colour, size, fps, seconds,
                           "-bc%d" % barcode_boxes(int(size.split("x")[0]))
                           [0][2] if barcode else "",
                           "-noise" if noise else "",
                           "-709" if bt709 else "",
                           "t" if bt709 and tagged else "", codec))
    if os.path.exists(path):
        return path
    r, g, b = COLOURS[colour]
    src = ("color=c=0x%02x%02x%02x:s=%s:r=%d,%s"
           "drawtext=fontfile=%s:text=%s:fontsize=20:fontcolor=black:"
           "x=8:y=8,drawtext=fontfile=%s:text=%%{n}:fontsize=20:"
           "fontcolor=black:x=8:y=32" % (r, g, b, size, fps,
                                         "format=rgb24," if bt709 else "",
                                         FONT, name, FONT))
    if noise:
        src += ",noise=alls=24:allf=t"
    if barcode:
        for k, (x, y, side) in enumerate(
                barcode_boxes(int(size.split("x")[0]))):
            src += (",drawbox=x=%d:y=%d:w=%d:h=%d:t=fill:color=black,"
                    "drawbox=x=%d:y=%d:w=%d:h=%d:t=fill:color=white:"
                    "enable='gte(mod(n\\,%d)\\,%d)'"
                    % (x, y, side, side, x, y, side, side, 2 << k, 1 << k))
    if bt709:
        # drawn in RGB, converted once at the end
        src += ",scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    enc = {
        # one slice per picture (zerolatency slices by thread): the
        # server's payloader repeats SPS and PPS before every slice of a
        # keyframe, which FFmpeg's parser splits into two pictures
        # (docs/reliability.md)
        "h264": ["-c:v", "libx264", "-preset", "ultrafast", "-tune",
                 "zerolatency", "-threads", "1", "-g", str(fps), "-bf", "0",
                 "-pix_fmt", "yuv420p"],
        "hevc": ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                 "keyint=%d:bframes=0:log-level=error" % fps, "-pix_fmt",
                 "yuv420p"],
        "mjpeg": ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p",
                  # RTP/JPEG (RFC 2435) carries no Huffman tables: the
                  # standard ones are assumed
                  "-huffman", "default"],
    }[codec]
    if bt709 and tagged:
        enc += ["-colorspace", "bt709", "-color_primaries", "bt709",
                "-color_trc", "bt709"]
    if noise:
        # at a camera's bit rate (0.2 bit a pixel: 2.8 Mbit/s at 720p15)
        w, h = map(int, size.split("x"))
        rate = "%dk" % (w * h * fps * 0.2 / 1000)
        enc += ["-b:v", rate, "-maxrate", rate, "-bufsize", rate]
    tmp = path + ".tmp.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", src,
                    "-t", str(seconds)] + enc + [tmp], check=True)
    os.rename(tmp, path)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- fixtures that take commands ----

class Fixture:
    """A child that prints "READY <port>" once listening, then answers
    each command line on stdin with "OK ..." (or an error), and exits when
    stdin closes."""

    def __init__(self, args, what):
        self.what = what
        self.proc = spawn(args, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            raise RuntimeError("%s did not start: %r" % (what, line))
        self.port = int(line[1])

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if not reply.startswith("OK"):
            raise RuntimeError("%s: %s" % (self.what, reply))
        return reply

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RtspServer(Fixture):
    """gst-rtsp-server on loopback serving {mount: clip}."""

    def __init__(self, mounts, udp_only=(), auth=None, send_log=None,
                 tcp_only=(), digest=False, extra=()):
        """extra: more of rtsp_server.py's options, as a list."""
        args = ["/usr/bin/python3", os.path.join(HERE, "rtsp_server.py"),
                "--port", "0"] + list(extra)
        for m in tcp_only:
            args += ["--tcp-only", m]
        if digest:
            args += ["--digest"]
        if send_log:
            args += ["--send-log", send_log]
        for m in udp_only:
            args += ["--udp-only", m]
        for m, cred in (auth or {}).items():
            args += ["--auth", "%s=%s" % (m, cred)]
        args += ["%s=%s" % kv for kv in mounts.items()]
        Fixture.__init__(self, args, "RTSP server")

    def url(self, mount, cred=None):
        auth = cred + "@" if cred else ""
        return "rtsp://%s127.0.0.1:%d/%s" % (auth, self.port, mount)

    def command(self, verb, mount):
        return self.ask("%s %s" % (verb, mount))


class Relay(Fixture):
    """relay.py in front of an RtspServer: the wall connects here, and
    faults are injected with command() (see relay.py)."""

    def __init__(self, server, options=()):
        Fixture.__init__(self, [sys.executable,
                                os.path.join(HERE, "relay.py"),
                                "--upstream", "127.0.0.1:%d" % server.port]
                         + list(options), "relay")

    def url(self, mount):
        return "rtsp://127.0.0.1:%d/%s" % (self.port, mount)

    def command(self, line):
        return self.ask(line)

    def stats(self):
        return json.loads(self.command("stats").split(" ", 2)[2])


# ---- MQTT broker ----

class Broker:
    """mosquitto on loopback with persistence, so a subscriber's session
    survives a broker restart; and a mosquitto_sub that records every
    message ("topic payload" lines) under a persistent session."""

    def __init__(self, topic, users=None):
        """users {name: password}: the broker wants one of them (the
        recorder signs in as the first)."""
        self.dir = temp_dir("vigil-mqtt-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        auth = "allow_anonymous true\n"
        self.users = users or {}
        if users:
            pw = os.path.join(self.dir, "passwd")
            for u, p in users.items():
                subprocess.run(["mosquitto_passwd", "-b"] +
                               ([] if os.path.exists(pw) else ["-c"]) +
                               [pw, u, p], check=True,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            # mosquitto drops root for its own user: let it read them
            os.chmod(self.dir, 0o755)
            os.chmod(pw, 0o644)
            auth = "allow_anonymous false\npassword_file %s\n" % pw
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\n%s"
                    "persistence true\npersistence_location %s/\n"
                    % (self.port, auth, self.dir))
        self.proc = None
        self.start()
        self.out_path = os.path.join(self.dir, "sub.out")
        self.out = open(self.out_path, "w")
        self.sub = spawn(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port),
             "-t", topic + "/#", "-v", "-q", "1", "-c", "-i",
             "vigil-test-sub"] + (["-u", list(self.users)[0], "-P",
                                   list(self.users.values())[0]]
                                  if self.users else []),
            stdout=self.out, stderr=subprocess.DEVNULL)

    def start(self):
        self.proc = spawn(["mosquitto", "-c", self.conf],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def messages(self):
        """[(topic, payload)] received so far."""
        self.out.flush()
        with open(self.out_path) as f:
            return [tuple(line.rstrip("\n").split(" ", 1))
                    for line in f if " " in line]

    def close(self):
        self.sub.terminate()
        self.sub.wait(5)
        self.out.close()
        if self.proc.poll() is None:
            self.stop()


# ---- vigil ----

class Vigil:
    """vigil --headless on a generated config; talks HTTP to it."""

    def __init__(self, config_text, name="wall", headless=True, args=(),
                 listen="127.0.0.1", token=None):
        """config_text None runs the built-in demo wall; headless=False
        opens windows on $DISPLAY; args go on vigil's command line. With a
        token, every request sends it as a bearer token."""
        self.headless = headless
        self.extra_args = list(args)
        self.listen_host = listen
        self.token = token
        self.dir = temp_dir("vigil-test-")
        self.port = free_port()
        self.journal = os.path.join(self.dir, "alerts.jsonl")
        self.config = None
        if config_text is None:
            self.journal = os.path.join(self.dir, "vigil-demo-alerts.jsonl")
        else:
            self.config = os.path.join(self.dir, name + ".yaml")
            with open(self.config, "w") as f:
                f.write(config_text.replace("@JOURNAL@", self.journal))
        self.log_path = os.path.join(self.dir, "vigil.log")
        self.start()

    def start(self):
        self.log_file = open(self.log_path, "a")
        args = [VIGIL] + ([self.config] if self.config else [])
        self.proc = spawn(
            args + self.extra_args +
            (["--headless"] if self.headless else []) +
            ["--listen", "%s:%d" % (self.listen_host, self.port)],
            stdout=self.log_file, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vigil exited: " + self.log())
            try:
                self.status()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise RuntimeError("vigil did not answer: " + self.log())

    def headers(self):
        return {"Authorization": "Bearer " + self.token} if self.token else {}

    def get(self, path, timeout=5):
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.port, path),
            headers=self.headers())
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read()

    def post(self, command, args):
        """POST /api/<command> with a JSON body; returns the HTTP status."""
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/%s" % (self.port, command),
            data=json.dumps(args).encode(), method="POST",
            headers=dict(self.headers(), **{"Content-Type":
                                            "application/json"}))
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def status(self):
        return json.loads(self.get("/api/status")[2])

    def metrics(self):
        """GET /metrics as {name with its labels: value}."""
        out = {}
        for line in self.get("/metrics")[2].decode().splitlines():
            f = line.rsplit(None, 1)
            if len(f) == 2 and not line.startswith("#"):
                out[f[0]] = float(f[1])
        return out

    def snapshot(self, screen="main"):
        _, ctype, body = self.get("/api/snapshot.png?screen=" + screen)
        assert ctype == "image/png", ctype
        return Image.open(io.BytesIO(body)).convert("RGB")

    def camera(self, cam_id):
        for c in self.status()["cameras"]:
            if c["id"] == cam_id:
                return c
        raise KeyError(cam_id)

    def journal_events(self):
        if not os.path.exists(self.journal):
            return []
        with open(self.journal) as f:
            return [json.loads(line) for line in f if line.strip()]

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        """SIGKILL: a crash, no goodbye."""
        self.proc.kill()
        self.proc.wait()
        self.log_file.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


def grid_config(name, cameras, tiles, layout="4x4", size="1280x720"):
    """A one-screen wall's config: cameras is their YAML list (one
    "  - {...}" line each), tiles the ids shown, in order."""
    return """
wall:
  name: %s
  screens: [{id: main, size: %s}]
alerts:
  journal: '@JOURNAL@'
cameras:
%s
plans:
  p:
    screens:
      main:
        - {layout: %s, tiles: [%s]}
""" % (name, size, cameras, layout, ", ".join(tiles))


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it returns a truthy value or timeout passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
        except (urllib.error.URLError, ConnectionError, KeyError):
            last = None
        if last:
            return last
        time.sleep(interval)
    log("timed out after %.1f s waiting for %s" % (timeout, what))
    return last


# ---- pictures ----

def tile_rects(layout_grid, width, height):
    """Pixel rectangles of a plain CxR grid, as vigil lays it out."""
    cols, rows = layout_grid

    def edge(k, n, length):
        return (k * length + n // 2) // n

    rects = []
    for i in range(cols * rows):
        c, r = i % cols, i // cols
        x0, x1 = edge(c, cols, width), edge(c + 1, cols, width)
        y0, y1 = edge(r, rows, height), edge(r + 1, rows, height)
        rects.append((x0, y0, x1 - x0, y1 - y0))
    return rects


def centre_colour(img, rect):
    """Median colour of a patch at the tile's centre (labels and the frame
    counter sit in the corners)."""
    x, y, w, h = rect
    patch = img.crop((x + w // 2 - 10, y + h // 2 - 10, x + w // 2 + 10,
                      y + h // 2 + 10))
    px = sorted(patch.getdata(), key=sum)
    return px[len(px) // 2]


def near_size(have, want):
    """layout_near_size(): within 1%, or 2 pixels."""
    return abs(have - want) <= max(want // 100, 2)


def fit_rect(fit, src_w, src_h, box):
    """Where a src_w x src_h picture goes in box (x, y, w, h) and which
    part of it shows, as Vigil's layout_fit_rect() places it: (dst, src)
    rectangles."""
    x, y, w, h = box
    dst, src = (x, y, w, h), (0, 0, src_w, src_h)
    lhs, rhs = src_w * h, w * src_h
    if fit == "stretch" or lhs == rhs:
        return dst, src
    if fit == "letterbox":
        if lhs > rhs:
            dh = w * src_h // src_w
            got = (x, y + (h - dh) // 2, w, dh), src
        else:
            dw = h * src_w // src_h
            got = (x + (w - dw) // 2, y, dw, h), src
    elif lhs > rhs:
        sw = src_h * w // h
        got = dst, ((src_w - sw) // 2, 0, sw, src_h)
    else:
        sh = src_w * h // w
        got = dst, (0, (src_h - sh) // 2, src_w, sh)
    # aspect ratios within a percent: the whole picture fills the box
    (_, _, gw, gh), (_, _, cw, ch) = got
    if (near_size(gw, w) and near_size(gh, h) and near_size(cw, src_w)
            and near_size(ch, src_h)):
        return dst, src
    return got


def tile_picture(rect, fit, src_w, src_h):
    """The fitted picture of a tile: its (dst, src) rectangles, the tile
    less its 1-pixel border."""
    x, y, w, h = rect
    return fit_rect(fit, src_w, src_h, (x + 1, y + 1, w - 2, h - 2))


def read_barcode(img, picture, src_w):
    """The frame index drawn by make_clip(barcode=True), read from a tile
    of a snapshot whose picture tile_picture() placed, or None when a
    square is neither clearly white nor black or lies outside the part
    shown."""
    (dx, dy, dw, dh), (sx, sy, sw, sh) = picture
    n = 0
    for bit, (bx, by, side) in enumerate(barcode_boxes(src_w)):
        cx, cy = bx + side / 2, by + side / 2
        if not (sx <= cx < sx + sw and sy <= cy < sy + sh):
            return None
        px = img.getpixel((int(dx + (cx - sx) * dw / sw),
                           int(dy + (cy - sy) * dh / sh)))
        lum = sum(px) / 3
        if 70 < lum < 185:
            return None
        n |= (lum >= 185) << bit
    return n


def near(c1, c2, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))


def which_colour(c):
    for name, ref in COLOURS.items():
        if near(c, ref):
            return name
    return None
