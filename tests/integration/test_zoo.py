#!/usr/bin/python3
"""A camera zoo: one wall, the cameras the way real ones misbehave.

gst-rtsp-server serves what it can do itself (parameter sets only in the
SDP, H.265, timestamps near the wrap, a resolution change, an 8K picture,
Digest); relay.py in front of it plays the rest (a session timeout that
wants keepalives, GET_PARAMETER answered 454, an SPS without its PPS in
the SDP, a reboot that refuses connections for 30 s and comes back with a
new SSRC, sequence numbers and timestamps from 0, a camera that accepts
TCP and never answers). In every case: the other cameras keep rendering,
the camera's state and alert are right, and it comes back by itself when
the fault ends, on the first reconnect after it (within one back-off
step)."""
import os
import subprocess
import time
from datetime import datetime

from harness import (CLIPS_DIR, Relay, RtspServer, Vigil, check, finish,
                     grid_config, log, make_clip, wait_for)

SESSION_TIMEOUT = 12  # s: keepalives every 6 s (FFmpeg sends at half)
REBOOT_S = 30


def make_switch_clip(name, colour, sizes=("320x240", "640x360")):
    """A clip whose resolution changes half way (new SPS in-band), as a
    camera does when its stream profile is changed."""
    path = os.path.join(CLIPS_DIR, "%s-%s-switch.h264.mkv" % (name, colour))
    if os.path.exists(path):
        return path
    parts = []
    for size in sizes:
        raw = make_clip(name, colour, size=size, seconds=2)
        es = raw + ".es.h264"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", raw, "-c",
                        "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264",
                        es], check=True)
        parts.append(es)
    cat = path + ".cat.h264"
    with open(cat, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                out.write(f.read())
    tmp = path + ".tmp.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-r", "15", "-i", cat,
                    "-c", "copy", tmp], check=True)
    os.rename(tmp, path)
    return path


WRAP_AT = (1 << 32) - 90000 * 3  # the RTP clock wraps 3 s into a session
gst = RtspServer(
    {"ref": make_clip("ref", "white"),
     "sdponly": make_clip("sdponly", "red"),
     "hevcsdp": make_clip("hevcsdp", "green", codec="hevc"),
     "wrap": make_clip("wrap", "blue"),
     "boot": make_clip("boot", "yellow"),
     "switch": make_switch_clip("switch", "magenta"),
     "eightk": make_clip("eightk", "cyan", size="7680x4320", fps=2,
                         seconds=2),
     "keep": make_clip("keep", "orange"),
     "gp454": make_clip("gp454", "red"),
     "spsonly": make_clip("spsonly", "green")},
    extra=["--config-interval", "sdponly=0",
           "--config-interval", "hevcsdp=0",
           "--rtp-offset", "wrap=%d" % WRAP_AT, "--unshared", "wrap",
           "--rtp-offset", "boot=0", "--unshared", "boot"])
digest = RtspServer({"digest": make_clip("digest", "blue")},
                    auth={"digest": "admin:Zoo-Pass1"}, digest=True)
boot = Relay(gst)
keep = Relay(gst, ["--session-timeout", str(SESSION_TIMEOUT)])
gp454 = Relay(gst, ["--session-timeout", str(SESSION_TIMEOUT), "--gp454"])
spsonly = Relay(gst, ["--sdp-sps-only"])
silent = Relay(gst)
silent.command("blackhole")

urls = {
    "ref": gst.url("ref"), "sdponly": gst.url("sdponly"),
    "hevcsdp": gst.url("hevcsdp"), "wrap": gst.url("wrap"),
    "boot": boot.url("boot"), "switch": gst.url("switch"),
    "eightk": gst.url("eightk"), "keep": keep.url("keep"),
    "gp454": gp454.url("gp454"), "spsonly": spsonly.url("spsonly"),
    "silent": silent.url("ref"), "digest": digest.url("digest",
                                                      "admin:Zoo-Pass1"),
}
IDS = list(urls)
cams = "".join("  - {id: %s, url: '%s', connect_timeout: 3s}\n" % kv
               for kv in urls.items())
wall = Vigil(grid_config("zoo", cams, IDS))


def cams_by_id():
    return {c["id"]: c for c in wall.status()["cameras"]}


def journal(cam=None):
    return [e for e in wall.journal_events()
            if cam is None or e["camera"] == cam]


def ts(e):
    return datetime.fromisoformat(e["ts"]).timestamp()


working = [c for c in IDS if c != "silent"]
live = wait_for(lambda: all(cams_by_id()[c]["state"] == "live"
                            for c in working), 40, "the zoo live")
st = cams_by_id()
check(bool(live), "every camera but the silent one is live: %s"
      % {c: st[c]["state"] for c in IDS})
t_live = time.time()

# the reboot: reset every connection, refuse new ones for 30 s
boot_before = boot.stats()
boot.command("refuse %d" % REBOOT_S)
t_refuse = time.time()

# ---- while the camera reboots: what is true of the others ----
first = cams_by_id()
sizes = set()
deadline = time.time() + 8
while time.time() < deadline:
    c = cams_by_id()["switch"]
    sizes.add((c["width"], c["height"]))
    time.sleep(0.2)
check({(320, 240), (640, 360)} <= sizes,
      "switch: the status follows the resolution change (saw %s)"
      % sorted(sizes))

st = cams_by_id()
for cam, codec in (("sdponly", "h264"), ("hevcsdp", "hevc"),
                   ("spsonly", "h264"), ("digest", "h264"),
                   ("switch", "h264")):
    c = st[cam]
    check(c["state"] == "live" and c["codec"] == codec and
          c["frames_shown"] > first[cam]["frames_shown"] + 50 and
          c["decode_errors"] == 0,
          "%s: live %s, pictures shown (%d -> %d), no decode error (%d)"
          % (cam, codec, first[cam]["frames_shown"], c["frames_shown"],
             c["decode_errors"]))
e8 = st["eightk"]
check(e8["state"] == "live" and (e8["width"], e8["height"]) ==
      (7680, 4320) and e8["frames_shown"] > first["eightk"]["frames_shown"],
      "eightk: a 7680x4320 picture is decoded and shown (%sx%s, %d frames)"
      % (e8["width"], e8["height"], e8["frames_shown"]))
w = st["wrap"]
check(time.time() - t_live > 5 and w["state"] == "live" and
      w["reconnects"] == 0 and
      w["frames_shown"] > first["wrap"]["frames_shown"] + 50,
      "wrap: pictures keep coming across the RTP timestamp wrap "
      "(%d frames, %d reconnects)" % (w["frames_shown"], w["reconnects"]))
sil = [e for e in journal("silent") if e["event"] == "raised"]
check(len(sil) == 1 and sil[0]["condition"] == "down" and
      "timed out" in sil[0].get("detail", ""),
      "silent: a camera that accepts and never answers is down: %s"
      % [(e["condition"], e.get("detail")) for e in sil])

# ---- the session timeout, over more than two timeouts ----
wait_for(lambda: time.time() - t_live > 2.5 * SESSION_TIMEOUT,
         3 * SESSION_TIMEOUT, "two session timeouts")
ks, gs = keep.stats(), gp454.stats()
st = cams_by_id()
check(ks["session_drops"] == 0 and ks["keepalives"] >= 3 and
      ks["connections"] == 1 and st["keep"]["reconnects"] == 0,
      "keep: keepalives hold the session (%d sent, %d drops, %d "
      "connections)" % (ks["keepalives"], ks["session_drops"],
                        ks["connections"]))
g = st["gp454"]
log("gp454: %d keepalives, %d sessions dropped, %d connections, "
    "%d reconnects" % (gs["keepalives"], gs["session_drops"],
                       gs["connections"], g["reconnects"]))
check(g["state"] == "live" and (gs["session_drops"] == 0 or
                                g["reconnects"] >= gs["session_drops"]),
      "gp454: a camera that answers GET_PARAMETER with 454 is kept "
      "(kept alive, or reconnected after each dropped session)")
check(not journal("gp454"),
      "gp454: ... quietly: no alert (%s)" % journal("gp454"))

# ---- the reboot ends ----
back = wait_for(lambda: cams_by_id()["boot"]["state"] == "live",
                REBOOT_S + 40, "boot back")
t_back = time.time()
bs = boot.stats()
check(bool(back), "boot: back by itself %.1f s after it accepts again"
      % (t_back - (t_refuse + REBOOT_S)))
check(bs["connections"] == boot_before["connections"] + 1,
      "boot: on the first reconnect after the reboot (%d connections "
      "before, %d after)" % (boot_before["connections"],
                             bs["connections"]))
check(len(bs["ssrcs"]) >= 2 and bs["ssrcs"][-1] != bs["ssrcs"][0],
      "boot: the rebooted camera has a new SSRC (%s)" % bs["ssrcs"])
ev = [(e["event"], e["condition"]) for e in journal("boot")]
check(ev == [("raised", "down"), ("cleared", "down")] or
      wait_for(lambda: [(e["event"], e["condition"])
                        for e in journal("boot")] ==
               [("raised", "down"), ("cleared", "down")], 5, "cleared"),
      "boot: one alert, down, raised and cleared (%s)" % ev)
raised = [e for e in journal("boot") if e["event"] == "raised"]
if raised:
    log("boot: down raised %.2f s after the reboot" % (ts(raised[0]) -
                                                      t_refuse))
b0 = cams_by_id()["boot"]["frames_shown"]
time.sleep(2)
check(cams_by_id()["boot"]["frames_shown"] > b0 + 15,
      "boot: pictures flow with timestamps from 0 again")

# ---- the silent camera starts answering ----
before = silent.stats()["connections"]
silent.command("clear")
t_clear = time.time()
back = wait_for(lambda: cams_by_id()["silent"]["state"] == "live", 40,
                "silent back")
check(bool(back) and silent.stats()["connections"] == before + 1,
      "silent: back %.1f s after it answers, on the first reconnect "
      "(%d connections)" % (time.time() - t_clear,
                            silent.stats()["connections"] - before))
cleared = [e for e in journal("silent") if e["event"] == "cleared"]
check(wait_for(lambda: [e for e in journal("silent")
                        if e["event"] == "cleared"], 5, "silent cleared"),
      "silent: its alert clears")

# ---- nobody else noticed ----
others = [e for e in journal() if e["camera"] not in ("boot", "silent")]
check(not others, "no alert for any other camera: %s"
      % [(e["camera"], e["event"], e["condition"]) for e in others])
# (gp454 is reconnected every 12 s: wait out a reconnect in flight)
wait_for(lambda: all(c["state"] == "live" for c in cams_by_id().values()),
         5, "all live")
st = cams_by_id()
check(all(st[c]["state"] == "live" for c in IDS),
      "every camera is live at the end: %s"
      % {c: st[c]["state"] for c in IDS if st[c]["state"] != "live"})
finish(wall, boot, keep, gp454, spsonly, silent, digest, gst)
