#!/usr/bin/python3
"""`meson install` into a temporary DESTDIR, then the installed program
runs with the source and build trees hidden (a private mount namespace
binds an empty directory over them): it finds its layouts, web console
and examples, validates the shipped examples, runs the demo wall headless
and serves the console. In the same namespace the installed prefix is
bound where it was configured to be, so the unit is checked with
`systemd-analyze verify` (no warning) and `systemd-analyze security`
(exposure level), and the man pages with man. The binary holds no path
into the source tree. Needs root (unshare, mount), as CI has."""
import glob
import json
import os
import signal
import subprocess
import urllib.request

from harness import check, finish, free_port, log, spawn, temp_dir, wait_for

BUILD = os.environ["BUILD_ROOT"]
SOURCE = os.path.realpath(os.environ["SOURCE_ROOT"])
opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
    ["meson", "introspect", BUILD, "--buildoptions"], capture_output=True,
    text=True, check=True).stdout)}
prefix = opts["prefix"]

dest = temp_dir("vigil-destdir-")
r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest,
                    "--no-rebuild", "--quiet"], capture_output=True,
                   text=True)
check(r.returncode == 0, "meson install --destdir: %s" % r.stderr[-300:])
root = dest + prefix
files = sorted(os.path.relpath(p, root) for p in
               glob.glob(root + "/**", recursive=True) if os.path.isfile(p))
data = opts["datadir"] + "/vigil/"
want = (["%s/vigil" % opts["bindir"],
         "%s/man1/vigil.1" % opts["mandir"],
         "%s/man5/vigil.yaml.5" % opts["mandir"],
         "lib/sysusers.d/vigil.conf", "lib/tmpfiles.d/vigil.conf",
         data + "web/index.html", data + "web/app.js", data + "web/style.css",
         data + "examples/first-wall.yaml",
         data + "examples/control-room.yaml"] +
        [data + "layouts/" + os.path.basename(p) for p in
         glob.glob(os.path.join(SOURCE, "layouts", "*.yaml"))])
missing = [f for f in want if f not in files]
check(not missing and any(f.endswith("systemd/system/vigil.service")
                          for f in files),
      "installed: the program, %d layouts, the console, examples, two man "
      "pages, the unit, sysusers and tmpfiles (%d files; missing %s)"
      % (len(glob.glob(os.path.join(SOURCE, "layouts", "*.yaml"))),
         len(files), missing))
check(not any("uninstalled" in f for f in files),
      "the build tree's marker is not installed")
exe = os.path.join(root, opts["bindir"], "vigil")
rodata = subprocess.run(["readelf", "-p", ".rodata", exe],
                        capture_output=True).stdout.decode("utf-8", "replace")
check(SOURCE not in rodata and (prefix + "/" + opts["datadir"]) in rodata,
      "the program's strings hold the install's datadir and no path into "
      "the source tree")
unit = [f for f in files if f.endswith("systemd/system/vigil.service")][0]

# ---- in a namespace: the trees hidden, the prefix where it belongs ----
empty = temp_dir("vigil-empty-")
run_dir = temp_dir("vigil-installed-")
hide = [SOURCE] + ([os.path.realpath(BUILD)]
                   if not os.path.realpath(BUILD).startswith(SOURCE + "/")
                   else [])
binds = "".join("mount --bind %s %s && " % (empty, d) for d in hide)
# /usr is the system itself: there only the relocated tree is run
at_prefix = prefix not in ("/", "/usr")
if at_prefix:
    binds = "mount --bind %s %s && %s" % (root, prefix, binds)
installed = os.path.join(prefix, opts["bindir"], "vigil") if at_prefix \
    else exe


def in_ns(script, **kw):
    return subprocess.run(["unshare", "-m", "--propagation", "private",
                           "sh", "-c", binds + script], **kw)


r = in_ns("ls -A %s | wc -l" % SOURCE, capture_output=True, text=True)
check(r.returncode == 0 and r.stdout.strip() == "0",
      "the source tree is hidden in the namespace (%s)"
      % (r.stderr.strip() or r.stdout.strip()))
r = in_ns("%s --version" % installed, capture_output=True, text=True)
check(r.returncode == 0 and r.stdout.startswith("vigil ") and
      all(n in r.stdout for n in ("FFmpeg", "SDL", "libuv", "libyuv")),
      "vigil --version: %s" % r.stdout.replace("\n", "; "))
ex = os.path.join(prefix if at_prefix else root, data, "examples")
r = in_ns("%s --check %s/first-wall.yaml && %s --check %s/control-room.yaml"
          % (installed, ex, installed, ex), capture_output=True, text=True)
check(r.returncode == 0, "the shipped examples pass --check with their "
      "layouts from the install: %s" % (r.stdout + r.stderr).strip())
if at_prefix:
    r = in_ns("systemd-analyze verify %s/%s" % (prefix, unit),
              capture_output=True, text=True)
    check(r.returncode == 0 and not r.stderr.strip() and
          not r.stdout.strip(),
          "systemd-analyze verify: no error, no warning %s"
          % (r.stderr.strip() or ""))
    r = in_ns("systemd-analyze security --offline=yes %s/%s | tail -1"
              % (prefix, unit), capture_output=True, text=True)
    level = r.stdout.split("vigil.service:")[-1].split()
    check(r.returncode == 0 and level and float(level[0]) <= 3.0,
          "systemd-analyze security: exposure %s (at most 3.0)"
          % " ".join(level[:2]))
    r = in_ns("MANWIDTH=120 man vigil.yaml 2>&1 | grep -c video_driver; "
              "MANWIDTH=120 man vigil 2>&1 | grep -c SIGHUP",
              capture_output=True, text=True)
    counts = r.stdout.split()
    check(len(counts) == 2 and all(int(c) > 0 for c in counts),
          "man vigil.yaml and man vigil find the installed pages")
else:
    log("prefix %s: the unit and man pages are not checked at the prefix"
        % prefix)

port = free_port()
wall = spawn(["unshare", "-m", "--propagation", "private", "sh", "-c",
              binds + "cd %s && exec %s --headless --listen 127.0.0.1:%d"
              % (run_dir, installed, port)],
             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def get(path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=5) as resp:
        return resp.status, resp.read()


st = wait_for(lambda: json.loads(get("/api/status")[1]), 20, "demo wall")
check(st and len(st["cameras"]) == 16 and
      st["screens"][0]["layout"] in ("4x4", "1+5"),
      "the installed demo wall runs, its layouts from the install (%s)"
      % (st and st["screens"][0]["layout"]))
code, page = get("/")
check(code == 200 and b"<html" in page.lower() and get("/app.js")[0] == 200,
      "it serves the web console from the install")
wall.send_signal(signal.SIGTERM)
out = wall.communicate(timeout=10)[0]
check(wall.returncode == 0, "and stops cleanly (%s)" % wall.returncode)
check(SOURCE not in out, "its log never names the source tree")
finish()
