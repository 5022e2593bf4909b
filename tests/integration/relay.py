#!/usr/bin/python3
"""An impairing RTSP relay between cameras and the wall, on loopback.

    relay.py --upstream 127.0.0.1:8554 [--port 0] [--session-timeout S]
             [--gp454] [--sdp-sps-only]

The wall connects to the relay as if it were the camera; the relay
connects to the real server (gst-rtsp-server) for each client and passes
the RTSP conversation through, message by message: requests and replies
(head and body) and, over TCP, the interleaved RTP/RTCP frames. For RTP
over UDP it rewrites the ports in SETUP's Transport header so that every
datagram passes through sockets of its own. That is where the faults go:

    loss P        drop each RTP/RTCP packet with probability P (over TCP
                  a whole interleaved frame, as a camera whose send buffer
                  is full does)
    delay MS J    delay each packet by MS +- J ms (uniform); over UDP the
                  packets reorder as they will, over TCP order is kept
    reorder P     hold a datagram with probability P and send it after
                  the next one (UDP)
    stall         pass nothing more from the camera (the TCP connection
                  stays open and holds what comes; UDP datagrams are lost)
    unstall       release what TCP held and pass again
    reset         reset every connection (TCP RST both ways)
    refuse S      a reboot: reset every connection and refuse new ones
                  (connection refused) for S seconds, then accept again
    blackhole     accept connections but never answer them (until clear)
    clear         end every fault above
    stats         answer "OK stats {json}": connections accepted, faults
                  in force, packets passed and dropped, RTP SSRCs seen in
                  order of appearance, keepalives (GET_PARAMETER/OPTIONS
                  after PLAY), sessions the camera dropped, which side
                  ended each connection (closed_by: wall, camera, session)
                  and when the camera did (camera_closes, Unix time)

Camera quirks, fixed for the relay's life:
    --session-timeout S   SETUP's reply announces ;timeout=S and a session
                          that sends no keepalive request for S seconds is
                          dropped (the connection closed), as cameras do
    --gp454               GET_PARAMETER is answered 454 Session Not Found
                          by the relay and does not keep the session alive
                          (OPTIONS does)
    --sdp-sps-only        DESCRIBE's SDP keeps only the first parameter set
                          of sprop-parameter-sets (an SPS without its PPS)

Once listening it prints "READY <port>"; commands come one per line on
stdin, each answered "OK <command>"; it exits when stdin closes.
Everything is Python's standard library (asyncio).
"""
import argparse
import asyncio
import json
import random
import re
import socket
import struct
import sys
import threading
import time


class Faults:
    def __init__(self):
        self.clear()

    def clear(self):
        self.loss = 0.0
        self.delay_ms = 0.0
        self.jitter_ms = 0.0
        self.reorder = 0.0
        self.stalled = False
        self.blackhole = False

    def as_dict(self):
        return {k: v for k, v in vars(self).items()}


class Relay:
    def __init__(self, args, loop):
        self.loop = loop
        host, port = args.upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.session_timeout = args.session_timeout
        self.gp454 = args.gp454
        self.sdp_sps_only = args.sdp_sps_only
        self.faults = Faults()
        self.rng = random.Random(7)
        self.conns = set()
        self.server = None
        self.port = args.port
        self.stats = {"connections": 0, "passed": 0, "dropped": 0,
                      "ssrcs": [], "keepalives": 0, "session_drops": 0,
                      "refused_until": 0, "closed_by": {},
                      "camera_closes": []}
        self.held = []  # (send callable) held while stalled

    async def listen(self):
        self.server = await asyncio.start_server(self.on_client,
                                                 "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    def close_listener(self):
        if self.server is not None:
            self.server.close()
            self.server = None

    # ---- packets through the faults ----

    def note_rtp(self, data):
        """Remember each new SSRC (an RTP packet: version 2, not RTCP)."""
        if len(data) >= 12 and data[0] >> 6 == 2 and not \
                200 <= data[1] <= 204:
            ssrc = struct.unpack("!I", data[8:12])[0]
            if ssrc not in self.stats["ssrcs"]:
                self.stats["ssrcs"].append(ssrc)

    def impair(self, send, ordered_state=None, media=True):
        """Pass one unit (a callable that sends it) through the faults.
        ordered_state: a dict holding the last send time of an ordered
        stream (TCP), None for datagrams."""
        f = self.faults
        if media and f.loss and self.rng.random() < f.loss:
            self.stats["dropped"] += 1
            return
        if f.stalled:
            if ordered_state is None:  # a datagram: lost
                self.stats["dropped"] += 1
            else:  # TCP: held in the connection until it moves again
                self.held.append(send)
            return
        self.stats["passed"] += 1
        delay = 0.0
        if f.delay_ms or f.jitter_ms:
            delay = (f.delay_ms + self.rng.uniform(-f.jitter_ms,
                                                   f.jitter_ms)) / 1000
        now = self.loop.time()
        at = now + max(0.0, delay)
        if ordered_state is not None:
            # a FIFO drained in order (timers due at the same time may
            # run in any order)
            queue = ordered_state.setdefault("queue", [])
            at = max(at, queue[-1][0] if queue else 0.0)
            queue.append((at, send))
            if len(queue) == 1:
                self.loop.call_at(at, self.drain, queue)
            return
        if f.reorder and self.rng.random() < f.reorder:
            at += 0.03  # after the next datagram or two
        if at <= now:
            send()
        else:
            self.loop.call_at(at, send)

    def drain(self, queue):
        now = self.loop.time()
        while queue and queue[0][0] <= now:
            queue.pop(0)[1]()
        if queue:
            self.loop.call_at(queue[0][0], self.drain, queue)

    def unstall(self):
        self.faults.stalled = False
        held, self.held = self.held, []
        for send in held:
            send()

    # ---- connections ----

    async def on_client(self, reader, writer):
        if self.faults.blackhole:
            self.stats["connections"] += 1
            conn = Connection(self, reader, writer, None, None)
            self.conns.add(conn)
            try:
                while await reader.read(4096):
                    pass
            finally:
                conn.close()
            return
        self.stats["connections"] += 1
        try:
            ur, uw = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        conn = Connection(self, reader, writer, ur, uw)
        self.conns.add(conn)
        await conn.run()

    def reset_all(self):
        for c in list(self.conns):
            c.reset()

    async def refuse(self, seconds):
        self.close_listener()
        self.reset_all()
        self.stats["refused_until"] = time.time() + seconds
        await asyncio.sleep(seconds)
        await self.listen()


def parse_head(head):
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append([k.strip(), v.strip()])
    return lines[0], headers


def build_head(first, headers):
    return (first + "\r\n" + "".join("%s: %s\r\n" % (k, v)
                                     for k, v in headers) + "\r\n")


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def set_header(headers, name, value):
    for kv in headers:
        if kv[0].lower() == name.lower():
            kv[1] = value
            return
    headers.append([name, value])


async def read_message(reader):
    """('$', channel, payload) or ('rtsp', head, body), None at EOF."""
    first = await reader.readexactly(1)
    if first == b"$":
        hdr = await reader.readexactly(3)
        channel, size = hdr[0], struct.unpack("!H", hdr[1:3])[0]
        return ("$", channel, await reader.readexactly(size))
    head = first + await reader.readuntil(b"\r\n\r\n")
    head = head.decode("latin-1")
    m = re.search(r"\r\nContent-Length:\s*(\d+)", head, re.I)
    body = await reader.readexactly(int(m.group(1))) if m else b""
    return ("rtsp", head[:-4], body)


def interleaved(msg):
    """A ('$', channel, payload) message as bytes on the wire."""
    return b"$" + bytes([msg[1]]) + struct.pack("!H", len(msg[2])) + msg[2]


class Connection:
    """One wall connection and its upstream twin."""

    def __init__(self, relay, reader, writer, ureader, uwriter):
        self.relay = relay
        self.r, self.w = reader, writer
        self.ur, self.uw = ureader, uwriter
        self.ordered = {}
        self.udp = []  # sockets of this connection's UDP tracks
        self.last_keepalive = None  # set at PLAY
        self.pending_setup = {}  # CSeq -> (client rtp, rtcp ports, socks)
        self.closed = False

    async def run(self):
        tasks = [asyncio.ensure_future(self.from_wall()),
                 asyncio.ensure_future(self.from_camera())]
        if self.relay.session_timeout:
            tasks.append(asyncio.ensure_future(self.watch_session()))
        try:
            done, _ = await asyncio.wait(tasks,
                                         return_when=asyncio.FIRST_COMPLETED)
            side = ("wall" if tasks[0] in done else
                    "camera" if tasks[1] in done else "session")
            for t in done:
                if t.exception() is not None:
                    side += ":" + type(t.exception()).__name__
            by = self.relay.stats["closed_by"]
            by[side] = by.get(side, 0) + 1
            if side.startswith("camera"):
                self.relay.stats["camera_closes"].append(time.time())
        finally:
            for t in tasks:
                t.cancel()
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.relay.conns.discard(self)
        for s in self.udp:
            self.relay.loop.remove_reader(s.fileno())
            s.close()
        for w in (self.w, self.uw):
            if w is not None:
                try:
                    w.close()
                except OSError:
                    pass

    def reset(self):
        for w in (self.w, self.uw):
            if w is None:
                continue
            sock = w.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                except OSError:
                    pass
        self.close()

    async def watch_session(self):
        t = self.relay.session_timeout
        while True:
            await asyncio.sleep(0.2)
            if self.last_keepalive is not None and \
                    time.monotonic() - self.last_keepalive > t:
                self.relay.stats["session_drops"] += 1
                return

    def to_wall(self, data):
        if not self.closed:
            self.w.write(data)

    def to_camera(self, data):
        if not self.closed:
            self.uw.write(data)

    async def from_wall(self):
        try:
            while True:
                msg = await read_message(self.r)
                if msg[0] == "$":
                    self.to_camera(interleaved(msg))
                    continue
                self.request(msg[1], msg[2])
        except (asyncio.IncompleteReadError, ConnectionError,
                asyncio.LimitOverrunError):
            return

    def request(self, head, body):
        first, headers = parse_head(head)
        method = first.split(" ", 1)[0]
        if method in ("GET_PARAMETER", "OPTIONS") and \
                self.last_keepalive is not None:
            self.relay.stats["keepalives"] += 1
            if method == "GET_PARAMETER" and self.relay.gp454:
                reply = build_head("RTSP/1.0 454 Session Not Found",
                                   [["CSeq", header(headers, "CSeq") or "0"]])
                self.to_wall(reply.encode())
                return
            self.last_keepalive = time.monotonic()
        if method == "PLAY":
            self.last_keepalive = time.monotonic()
        transport = header(headers, "Transport")
        if method == "SETUP" and transport and "client_port=" in transport:
            m = re.search(r"client_port=(\d+)-(\d+)", transport)
            wall_ports = (int(m.group(1)), int(m.group(2)))
            socks = [self.udp_socket() for _ in range(4)]
            # socks: 0/1 face the wall (as the server's ports), 2/3 face
            # the camera (as the client's ports)
            cam_ports = "%d-%d" % (socks[2].getsockname()[1],
                                   socks[3].getsockname()[1])
            set_header(headers, "Transport",
                       transport.replace(m.group(0),
                                         "client_port=" + cam_ports))
            self.pending_setup[header(headers, "CSeq")] = (wall_ports, socks)
        self.to_camera(build_head(first, headers).encode() + body)

    def udp_socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        self.udp.append(s)
        return s

    async def from_camera(self):
        try:
            while True:
                msg = await read_message(self.ur)
                if msg[0] == "$":
                    frame = interleaved(msg)
                    self.relay.note_rtp(msg[2])
                    self.relay.impair(lambda f=frame: self.to_wall(f),
                                      self.ordered)
                    continue
                data = self.reply(msg[1], msg[2])
                # replies go in order with the media (a stalled TCP
                # connection holds them too)
                self.relay.impair(lambda d=data: self.to_wall(d),
                                  self.ordered, media=False)
        except (asyncio.IncompleteReadError, ConnectionError,
                asyncio.LimitOverrunError):
            return

    def reply(self, head, body):
        first, headers = parse_head(head)
        cseq = header(headers, "CSeq")
        session = header(headers, "Session")
        if session and self.relay.session_timeout:
            sid = session.split(";", 1)[0]
            set_header(headers, "Session", "%s;timeout=%d"
                       % (sid, self.relay.session_timeout))
        if self.relay.sdp_sps_only and body.startswith(b"v=0"):
            body = re.sub(rb"sprop-parameter-sets=([^,;\r\n]+),[^;\r\n]+",
                          rb"sprop-parameter-sets=\1", body)
            set_header(headers, "Content-Length", str(len(body)))
        setup = self.pending_setup.pop(cseq, None)
        transport = header(headers, "Transport")
        if setup and transport:
            wall_ports, socks = setup
            m = re.search(r"server_port=(\d+)-(\d+)", transport)
            if m:
                cam_ports = (int(m.group(1)), int(m.group(2)))
                self.bridge(socks, wall_ports, cam_ports)
                mine = "server_port=%d-%d" % (socks[0].getsockname()[1],
                                              socks[1].getsockname()[1])
                t = transport.replace(m.group(0), mine)
                t = re.sub(r"client_port=\d+-\d+", "client_port=%d-%d"
                           % wall_ports, t)
                set_header(headers, "Transport", t)
        return build_head(first, headers).encode() + body

    def bridge(self, socks, wall_ports, cam_ports):
        """Datagrams between the wall's ports and the camera's, through
        the faults (camera to wall) or straight (wall to camera: RTCP
        receiver reports, NAT punches)."""
        loop = self.relay.loop
        for k in (0, 1):
            wall_side, cam_side = socks[k], socks[2 + k]
            wall_addr = ("127.0.0.1", wall_ports[k])
            cam_addr = ("127.0.0.1", cam_ports[k])

            def from_cam(src=cam_side, dst=wall_side, addr=wall_addr):
                try:
                    data = src.recv(65536)
                except OSError:
                    return
                self.relay.note_rtp(data)

                def send(d=data):
                    if not self.closed:
                        try:
                            dst.sendto(d, addr)
                        except OSError:
                            pass
                self.relay.impair(send)

            def from_wall(src=wall_side, dst=cam_side, addr=cam_addr):
                try:
                    data = src.recv(65536)
                    dst.sendto(data, addr)
                except OSError:
                    pass
            loop.add_reader(cam_side.fileno(), from_cam)
            loop.add_reader(wall_side.fileno(), from_wall)


def command(relay, line):
    words = line.split()
    verb, rest = words[0], words[1:]
    f = relay.faults
    if verb == "loss":
        f.loss = float(rest[0])
    elif verb == "delay":
        f.delay_ms, f.jitter_ms = float(rest[0]), float(rest[1])
    elif verb == "reorder":
        f.reorder = float(rest[0])
    elif verb == "stall":
        f.stalled = True
    elif verb == "unstall":
        relay.unstall()
    elif verb == "reset":
        relay.reset_all()
    elif verb == "refuse":
        asyncio.ensure_future(relay.refuse(float(rest[0])))
    elif verb == "blackhole":
        f.blackhole = True
    elif verb == "clear":
        f.clear()
        relay.unstall()
    elif verb == "stats":
        st = dict(relay.stats, faults=f.as_dict(), open=len(relay.conns))
        return "OK stats " + json.dumps(st)
    else:
        return "ERR " + line
    return "OK " + line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--session-timeout", type=int, default=0)
    ap.add_argument("--gp454", action="store_true")
    ap.add_argument("--sdp-sps-only", action="store_true")
    args = ap.parse_args()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    relay = Relay(args, loop)
    loop.run_until_complete(relay.listen())
    print("READY", relay.port, flush=True)

    def reader():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            fut = asyncio.run_coroutine_threadsafe(
                _run(relay, line), loop)
            print(fut.result(), flush=True)
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=reader, daemon=True).start()
    loop.run_forever()


async def _run(relay, line):
    return command(relay, line)


if __name__ == "__main__":
    main()
