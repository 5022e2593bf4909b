#!/usr/bin/python3
"""Alert sinks that are set up and behave truthfully. A broker that wants
a user name and password gets them from alerts.mqtt.username and
password_file (never from the URL), and every event arrives. A webhook
receiver that refuses one event (400) does not block the queue behind it:
the event is tried 3 times, logged, counted (status and metrics) and
dropped, and the next events arrive. (Bad sink settings are refused by
--check: tests/configs/broken/bad-sources.yaml.)"""
import http.server
import json
import os
import threading

from harness import (Broker, Vigil, check, finish, free_port, wait_for)

TOPIC = "vigil/sinks"
broker = Broker(TOPIC, users={"vigil": "br0ker pass#1"})
posts = []


class Hook(http.server.BaseHTTPRequestHandler):
    """Refuses the first alert it is sent (400), takes the rest."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        posts.append(body)
        first = [p for p in posts if p.get("alert")][:1]
        refuse = body.get("alert") and first and body == first[0]
        self.send_response(400 if refuse else 200)
        self.end_headers()

    def log_message(self, *a):
        pass


hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()
pw_dir = broker.dir
with open(os.path.join(pw_dir, "vigil-password"), "w") as f:
    f.write("br0ker pass#1\n")
os.chmod(os.path.join(pw_dir, "vigil-password"), 0o600)
dead = [free_port(), free_port()]
wall = Vigil("""
wall:
  name: sinks
  screens: [{id: main, size: 320x180}]
alerts:
  journal: '@JOURNAL@'
  systemic: {min: 0}
  mqtt:
    url: 'mqtt://127.0.0.1:%d'
    topic: %s
    username: vigil
    password_file: '%s'
  webhook: {url: 'http://127.0.0.1:%d/hook'}
cameras:
  - {id: a, url: 'rtsp://127.0.0.1:%d/x'}
  - {id: b, url: 'rtsp://127.0.0.1:%d/x'}
plans:
  p:
    screens:
      main: [{layout: 2x2, tiles: [a, b]}]
""" % (broker.port, TOPIC, os.path.join(pw_dir, "vigil-password"),
       hook.server_port, dead[0], dead[1]))
raised = wait_for(lambda: [e for e in wall.journal_events()
                           if e.get("event") == "raised"]
                  if len([e for e in wall.journal_events()
                          if e.get("event") == "raised"]) >= 2 else None,
                  20, "two alerts")
check(raised and len(raised) == 2, "both dead cameras raised alerts")
ids = [e["alert"] for e in raised or []]
# the broker took Vigil's user and password
got = wait_for(lambda: [m for t, m in broker.messages()
                        if t == TOPIC + "/alerts"]
               if len([1 for t, m in broker.messages()
                       if t == TOPIC + "/alerts"]) >= 2 else None, 15, "mqtt")
check(got and {json.loads(m)["alert"] for m in got} >= set(ids),
      "the broker with a password got every alert")
# the webhook: the first alert refused 3 times and dropped, the next one
# delivered all the same
delivered = wait_for(lambda: [p for p in posts if p.get("alert") == ids[1]],
                     30, "second alert posted")
tries = [p for p in posts if p == raised[0]]
check(delivered, "the event after the refused one was delivered")
check(len(tries) == 3, "the refused event was tried 3 times (%d)"
      % len(tries))
st = wall.status()["sinks"]["webhook"]
check(st["dropped"] == 1, "status counts it dropped: %s" % st)
metrics = wall.get("/metrics")[2].decode()
check('vigil_sink_dropped_total{sink="webhook"} 1' in metrics,
      "and so do the metrics")
check("refused an event 3 times" in wall.log(), "and the log says so")
check("br0ker pass#1" not in wall.log(), "the broker's password is not logged")
hook.shutdown()
finish(wall, broker)
