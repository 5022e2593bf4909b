#!/usr/bin/python3
"""The cameras people have, by default: an RTSP server that speaks RTP over
UDP only and one that speaks TCP only both come up with no `transport:`
(and the reason says which), a Digest-protected camera whose password has
'@', a space, '#' and '!' in it typed as they are, and the feeds that
arrive through media servers: HLS, SRT and RTMP (ffmpeg serves each on
loopback). A playlist that points a segment at a local file is refused by
the camera's protocol allow-list. The password is found nowhere: not in
the log at -vv, the API, the metrics, the events or the journal."""
import os
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from harness import (RtspServer, Vigil, centre_colour, check, finish,
                     free_port, make_clip, spawn, temp_dir, tile_rects,
                     wait_for, which_colour)

PASSWORD = "p@ss w#rd!"
plain = RtspServer({"udp": make_clip("udp", "orange"),
                    "tcp": make_clip("tcp", "cyan")},
                   udp_only=["udp"], tcp_only=["tcp"])
digest = RtspServer({"private": make_clip("private", "yellow")},
                    auth={"private": "admin:" + PASSWORD}, digest=True)


def ffmpeg_out(clip, *out):
    """ffmpeg sending `clip` in a loop, in real time, to `out`."""
    return spawn(["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1",
                  "-i", clip, "-c", "copy"] + list(out),
                 stdin=subprocess.DEVNULL)


# HLS: live segments on disk, served over HTTP; and a hostile playlist
# whose segment is a local file (a real one, that would play if opened)
hls_dir = temp_dir("vigil-hls-")
local_ts = os.path.join(temp_dir("vigil-local-"), "local.ts")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-i",
                make_clip("local", "white"), "-c", "copy", "-f", "mpegts",
                local_ts], check=True)
with open(os.path.join(hls_dir, "evil.m3u8"), "w") as f:
    f.write("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXTINF:4.0,\nfile://%s\n#EXT-X-ENDLIST\n" % local_ts)
hls = ffmpeg_out(make_clip("hls", "green"), "-f", "hls", "-hls_time", "1",
                 "-hls_list_size", "6", "-hls_flags", "delete_segments",
                 os.path.join(hls_dir, "live.m3u8"))
http_port = free_port()
web = spawn(["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
             str(http_port), "--directory", hls_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
srt_port, rtmp_port = free_port(), free_port()
srt = ffmpeg_out(make_clip("srt", "magenta"), "-f", "mpegts",
                 "srt://127.0.0.1:%d?mode=listener" % srt_port)
rtmp = ffmpeg_out(make_clip("rtmp", "blue"), "-f", "flv", "-listen", "1",
                  "rtmp://127.0.0.1:%d/live/cam" % rtmp_port)
wait_for(lambda: os.path.exists(os.path.join(hls_dir, "live.m3u8")), 10,
         "HLS playlist")

CAMS = {
    "udp": ("orange", plain.url("udp")),
    "tcp": ("cyan", plain.url("tcp")),
    # typed as users type it: no percent-encoding
    "private": ("yellow", "rtsp://admin:%s@127.0.0.1:%d/private"
                % (PASSWORD, digest.port)),
    "hls": ("green", "http://127.0.0.1:%d/live.m3u8" % http_port),
    "srt": ("magenta", "srt://127.0.0.1:%d?mode=caller" % srt_port),
    "rtmp": ("blue", "rtmp://127.0.0.1:%d/live/cam" % rtmp_port),
    "evil": (None, "http://127.0.0.1:%d/evil.m3u8" % http_port),
}
ORDER = ["udp", "tcp", "private", "hls", "srt", "rtmp", "evil"]
config = """
wall:
  screens: [{id: main, size: 960x540}]
alerts: {journal: '@JOURNAL@', systemic: {min: 0}}
cameras:
%splans:
  p:
    screens:
      main: [{layout: 3x3, tiles: [%s]}]
""" % ("".join("  - {id: %s, url: '%s'}\n" % (c, CAMS[c][1]) for c in ORDER),
       ", ".join(ORDER))
wall = Vigil(config, args=["-vv"])
events = []


def reader():
    req = urllib.request.urlopen("http://127.0.0.1:%d/api/events"
                                 % wall.port, timeout=120)
    for raw in req:
        events.append(raw.decode())


threading.Thread(target=reader, daemon=True).start()
good = [c for c in ORDER if CAMS[c][0]]
check(wait_for(lambda: all(wall.camera(c)["state"] == "live" for c in good),
               30, "live"),
      "every camera is live: %s" % {c: wall.camera(c)["state"] for c in ORDER})
check("RTSP over UDP" in wall.camera("udp")["reason"],
      "a UDP-only server, default transport: %s" % wall.camera("udp")["reason"])
check("RTSP over TCP" in wall.camera("tcp")["reason"],
      "a TCP-only server, default transport: %s" % wall.camera("tcp")["reason"])
rects = tile_rects((3, 3), 960, 540)
seen = {}


def colours_right():
    img = wall.snapshot()
    for i, c in enumerate(good):
        seen[c] = which_colour(centre_colour(img, rects[ORDER.index(c)]))
    return all(seen[c] == CAMS[c][0] for c in good)


check(wait_for(colours_right, 10, "colours"),
      "each tile shows its camera: %s" % seen)
# HLS arrives a segment at a time; paced, it is not a stall each time
time.sleep(4)
check(wall.camera("hls")["state"] == "live" and
      not [e for e in wall.journal_events() if e.get("camera") == "hls"],
      "HLS plays steadily (no stall between segments)")
check(wall.camera("evil")["state"] != "live",
      "a playlist pointing at a local file does not open it (%s)"
      % wall.camera("evil")["reason"])
check("not on whitelist" in wall.log(),
      "FFmpeg refused the file protocol: the camera's allow-list")

# the password, raw or encoded, nowhere
enc = urllib.parse.quote(PASSWORD, safe="")
texts = [wall.get(p)[2].decode() for p in ("/api/status", "/api/cameras",
                                           "/metrics", "/api/alerts")]
texts.append("".join(events))
wall.stop_rc = wall.stop()
texts += [wall.log(), open(wall.journal).read()
          if os.path.exists(wall.journal) else ""]
for name, t in zip(["status", "cameras", "metrics", "alerts", "events",
                    "log (-vv)", "journal"], texts):
    check(PASSWORD not in t and enc not in t and "s w#rd" not in t,
          "the password is not in the %s" % name)
check(wall.stop_rc == 0, "vigil exits cleanly on SIGTERM")
for p in (hls, srt, rtmp, web):
    p.terminate()
finish(plain, digest)
