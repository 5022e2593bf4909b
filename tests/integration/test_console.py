#!/usr/bin/python3
"""The web console end to end in Debian's headless chromium, on a wall that
listens on 0.0.0.0 and so needs its token: the console's files load
without it, the console asks for the token once (a wrong one is refused),
a kiosk link http://HOST:PORT/#token=TOKEN signs in without the form and
wipes the token from the address bar; after that every API call, the
event stream and the previews work on an HttpOnly session cookie, and the
token is in no request URL. Then: the page lists the cameras, "Page >"
changes the wall (seen in a snapshot), and "Ack" acknowledges an alert
(seen in the journal)."""
import json
import os
import subprocess

from harness import (HERE, RtspServer, Vigil, centre_colour, check, finish,
                     free_port, log, make_clip, temp_dir, tile_rects,
                     wait_for, which_colour)

CAMS = ["red", "green", "blue", "yellow", "magenta", "cyan"]
TOKEN = "c0ns0le-t0ken-0123456789"
srv = RtspServer({c: make_clip(c, c) for c in CAMS})
token_dir = temp_dir("vigil-console-")
token_file = os.path.join(token_dir, "token")
with open(token_file, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(token_file, 0o600)
cams = "".join("  - {id: %s, url: '%s', groups: [all]}\n" % (c, srv.url(c))
               for c in CAMS)
wall = Vigil("""
wall:
  screens: [{id: main, size: 640x360}]
control: {token_file: '%s'}
alerts: {journal: '@JOURNAL@'}
cameras:
%s  - {id: dead, url: 'rtsp://127.0.0.1:%d/none'}
plans:
  p:
    dwell: 1h
    screens:
      main: [{layout: 2x2, cameras: 'group:all'}]
""" % (token_file, cams, free_port()), listen="0.0.0.0", token=TOKEN)
check(wait_for(lambda: sum(c["state"] == "live"
                           for c in wall.status()["cameras"]) == 6, 15,
               "live"), "six cameras live, one dead")
wait_for(lambda: wall.status()["alerts"], 10, "an alert")

browser_dir = os.path.join(HERE, "..", "browser")
shot = os.path.join(wall.dir, "console.png")
out = subprocess.run(["node", os.path.join(browser_dir, "console.mjs"),
                      "http://127.0.0.1:%d/" % wall.port, shot, TOKEN],
                     capture_output=True, text=True, timeout=120)
log("browser: %s %s" % (out.stdout.strip(), out.stderr.strip()[-500:]))
seen = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout else {}
check("error" not in seen, "no browser error: %s" % seen.get("error"))
check(seen.get("static_without_token") == 200 and
      seen.get("api_without_token") == 401,
      "the console's files load without the token, the API does not "
      "(%s, %s)" % (seen.get("static_without_token"),
                    seen.get("api_without_token")))
check(seen.get("signin_form"), "the console asks for the token")
check(seen.get("wrong_token_refused"), "a wrong token is refused")
check(seen.get("cookie_http_only"),
      "the session cookie is HttpOnly (not readable by scripts)")
check(seen.get("kiosk_signed_in") and seen.get("kiosk_hash") == "",
      "a kiosk link signs in without the form and leaves no token in the "
      "address bar (hash now %r)" % seen.get("kiosk_hash"))
check(seen.get("urls_seen", 0) > 10 and seen.get("token_in_url") == 0,
      "the token is in none of the %d request URLs"
      % seen.get("urls_seen", 0))
check(seen.get("cameras") == CAMS + ["dead"],
      "the console lists every camera: %s" % seen.get("cameras"))
check(seen.get("live") == 6, "six shown live")
check(seen.get("page_before") != seen.get("page_after"),
      "Page > moved the wall from page %s to %s"
      % (seen.get("page_before"), seen.get("page_after")))
after = seen.get("page_after", -1)
check("page %d of 2" % (after + 1) in (seen.get("caption") or ""),
      "the caption followed the event stream: %s" % seen.get("caption"))
want = [CAMS[:4], CAMS[4:] + [None, None]][after] if after in (0, 1) else []


def wall_tiles():
    img = wall.snapshot()
    return [which_colour(centre_colour(img, r))
            for r in tile_rects((2, 2), 640, 360)]


# The page event can come a composition before the picture does.
got = []
wait_for(lambda: got.append(wall_tiles()) or got[-1] == want, 3, "page")
got = got[-1] if got else None
check(got == want, "the wall's snapshot shows page %d: %s" % (after + 1,
                                                             got))
acked = [e for e in wall.journal_events()
         if e.get("event") == "acknowledged"]
check(seen.get("ack_shown") and acked and acked[0]["alert"] ==
      seen.get("acked") and acked[0]["by"] == "console",
      "Ack in the console acknowledged %s in the journal" % seen.get("acked"))
check(os.path.getsize(shot) > 10000, "screenshot taken (%s)" % shot)
check(TOKEN not in wall.log(), "the token is not in the log")
finish(wall, srv)
