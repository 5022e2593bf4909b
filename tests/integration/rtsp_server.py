#!/usr/bin/python3
"""RTSP test server: GStreamer's gst-rtsp-server on loopback.

Serves pre-encoded clips without re-encoding, looped, one mount per
camera:

    rtsp_server.py --port 0 cam-a=clips/a.h264.mkv cam-b=clips/b.hevc.mkv

A clip is a Matroska file named NAME.CODEC.mkv, CODEC one of h264, hevc,
mjpeg.
Options:
    --udp-only NAME     this mount refuses RTSP over TCP (461), as some
                        servers do
    --tcp-only NAME     this mount refuses RTP over UDP (461), as servers
                        behind NAT and many NVRs do
    --auth NAME=USER:PASS  this mount requires basic authentication (a
                        server with one needs it on every mount)
    --digest            authentication is Digest (RFC 2617), not basic
    --config-interval NAME=N  the payloader's config-interval for this
                        mount (default -1: SPS/PPS in-band before every
                        keyframe; 0: only in the SDP)
    --rtp-offset NAME=TS  the first RTP timestamp (default random): near
                        2^32 the timestamps wrap soon after a connect
    --unshared NAME     every client gets a pipeline of its own, so a
                        reconnect starts over with a new SSRC, new
                        sequence numbers and the first timestamp again
    --send-log FILE     append "MOUNT N WALL_US" for each frame sent: its
                        index in the clip and when it leaves (for
                        glass-to-glass latency with frame-counter clips)

Once listening it prints "READY <port>" on stdout. It then reads commands,
one per line, on stdin, and answers "OK <command>" after each:

    stop NAME     remove the mount and drop its clients (the camera dies;
                  reconnects get 404 until start)
    start NAME    serve the mount again
    freeze NAME   drop the mount's frames at a valve: clients stay
                  connected but receive no video (a frozen camera; one
                  that reconnects finds it frozen too)
    thaw NAME     let them through again
    nokey NAME    drop the mount's keyframes (H.264/H.265): packets keep
                  coming, but a client that connects from now on never
                  gets a picture it can decode
    corrupt NAME  overwrite the second half of every frame's slice data
                  with noise (the headers stay intact, the pictures do
                  not decode cleanly)
    clean NAME    end nokey and corrupt
    teardowns NAME  answer "OK teardowns NAME N": the RTSP TEARDOWNs
                  clients have sent for the mount

It exits when stdin closes, so a test that dies takes it along.
Run with Debian's /usr/bin/python3 (it has the GObject bindings).
"""
import argparse
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# Clips are Matroska files holding the camera's elementary stream, so
# every frame has a timestamp; segment seeks loop them without re-encoding
# (see on_media). identity syncs each frame to the clock before the
# valve, so a frozen camera still runs in real time and resumes at the
# present when thawed (unpaced, the clip would race ahead while frozen).
PIPELINES = {
    "h264": "filesrc location={f} ! matroskademux ! h264parse name=parse ! "
            "identity sync=true ! valve name=valve drop-mode=forward-sticky-events ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "hevc": "filesrc location={f} ! matroskademux ! h265parse name=parse ! "
            "identity sync=true ! valve name=valve drop-mode=forward-sticky-events ! rtph265pay name=pay0 pt=96 config-interval=-1",
    "mjpeg": "filesrc location={f} ! matroskademux ! jpegparse name=parse ! "
             "identity sync=true ! valve name=valve drop-mode=forward-sticky-events ! rtpjpegpay name=pay0 pt=26",
}


def codec_of(path):
    """The codec is the clip name's second extension: a.h264.mkv."""
    parts = path.rsplit("/", 1)[-1].split(".")
    return parts[-2] if len(parts) >= 3 else "h264"


class Server:
    def __init__(self, args):
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(args.port))
        self.mounts = self.server.get_mount_points()
        self.factories = {}
        self.medias = {}
        self.damage = {}  # mount -> "nokey" | "corrupt"
        self.frozen = set()
        self.send_log = open(args.send_log, "a") if args.send_log else None
        self.send_lock = threading.Lock()
        auth_for = dict(a.split("=", 1) for a in args.auth)
        if auth_for:
            # With an auth object on the server every mount needs
            # credentials (gst-rtsp-server answers 404, not 401, to an
            # anonymous client refused one mount): serve authenticated
            # mounts from a server of their own.
            auth = GstRtspServer.RTSPAuth()
            if args.digest:
                auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            self.server.set_auth(auth)
        interval = dict(a.split("=", 1) for a in args.config_interval)
        offset = dict(a.split("=", 1) for a in args.rtp_offset)
        for spec in args.mounts:
            name, path = spec.split("=", 1)
            f = GstRtspServer.RTSPMediaFactory()
            launch = PIPELINES[codec_of(path)].format(f=path)
            if name in interval:
                launch = launch.replace("config-interval=-1",
                                        "config-interval=" + interval[name])
            if name in offset:
                launch += " timestamp-offset=" + offset[name]
            f.set_launch("( " + launch + " )")
            # One pipeline per mount shared by its clients, like a camera.
            f.set_shared(name not in args.unshared)
            f.set_eos_shutdown(False)
            if name in args.udp_only:
                f.set_protocols(GstRtsp.RTSPLowerTrans.UDP)
            if name in args.tcp_only:
                f.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
            if name in auth_for:
                user, pw = auth_for[name].split(":", 1)
                token = GstRtspServer.RTSPToken()
                token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE,
                                 name)
                if args.digest:
                    auth.add_digest(user, pw, token)
                else:
                    basic = GstRtspServer.RTSPAuth.make_basic(user, pw)
                    auth.add_basic(basic, token)
                perms = GstRtspServer.RTSPPermissions()
                perms.add_permission_for_role(
                    name, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
                perms.add_permission_for_role(
                    name, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                    True)
                f.set_permissions(perms)
            f.connect("media-configure", self.on_media, name)
            self.factories[name] = f
            self.mounts.add_factory("/" + name, f)
        self.teardowns = {}  # mount -> TEARDOWN requests seen
        self.server.connect("client-connected", self.on_client)
        self.server.attach(None)

    def on_client(self, server, client):
        def on_teardown(c, ctx):
            path = ctx.uri.abspath if ctx.uri is not None else ""
            name = path.strip("/").split("/")[0]
            self.teardowns[name] = self.teardowns.get(name, 0) + 1
        client.connect("teardown-request", on_teardown)

    def on_media(self, factory, media, name):
        """Loop the clip seamlessly: once the media plays, a segment seek
        to the start; from then on the demuxer ends each pass with
        SEGMENT_DONE instead of EOS, answered by another segment seek.
        None of them flushes, so timestamps run on without a gap."""
        self.medias[name] = media
        bin_ = media.get_element()
        if name in self.frozen:
            bin_.get_by_name("valve").set_property("drop", True)
        state = {"looping": False}
        if self.send_log:
            self.log_sends(bin_, name)
        self.add_damage(bin_, name)

        def seek():
            pipeline = bin_.get_parent()
            if pipeline is not None:
                pipeline.seek(1.0, Gst.Format.TIME, Gst.SeekFlags.SEGMENT,
                              Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1)

        def seek_soon(delay=0.0):
            # A non-flushing seek waits for the streaming thread, which
            # may be pacing a frame: never on the main loop, which serves
            # every RTSP client.
            t = threading.Timer(delay, seek)
            t.daemon = True
            t.start()

        def on_state(m, new_state):
            if new_state == Gst.State.PLAYING and not state["looping"]:
                state["looping"] = True
                pipeline = bin_.get_parent()
                bus = pipeline.get_bus()
                bus.enable_sync_message_emission()
                bus.connect("sync-message::segment-done",
                            lambda b, msg: seek_soon())
                # after the server's own PLAY handling has settled
                seek_soon(0.5)

        media.connect("new-state", on_state)
        media.connect("unprepared", lambda m: self.medias.pop(name, None))

    def log_sends(self, bin_, name):
        """Write "MOUNT N WALL_US" for every frame as it leaves: N is the
        frame's index in its clip (its timestamp times the frame rate),
        WALL_US the wall-clock time at which the pipeline's clock releases
        it (base time plus running time, as the sinks sync to it)."""
        pad = bin_.get_by_name("pay0").get_static_pad("sink")
        out = self.send_log

        def probe(pad, info):
            buf = info.get_buffer()
            ev = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
            pipeline = bin_.get_parent()
            clock = pipeline.get_clock() if pipeline else None
            caps = pad.get_current_caps()
            if buf is None or ev is None or clock is None or caps is None:
                return Gst.PadProbeReturn.OK
            seg = ev.parse_segment()
            running = seg.to_running_time(Gst.Format.TIME, buf.pts)
            ok, num, den = caps.get_structure(0).get_fraction("framerate")
            if not ok or not num or running == Gst.CLOCK_TIME_NONE:
                return Gst.PadProbeReturn.OK
            n = round(buf.pts * num / (den * Gst.SECOND))
            # the clock's time to wall time, sampled now
            wall_ns = (time.time_ns() - clock.get_time() +
                       pipeline.get_base_time() + running)
            with self.send_lock:
                out.write("%s %d %d\n" % (name, n, wall_ns // 1000))
                out.flush()
            return Gst.PadProbeReturn.OK

        pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def add_damage(self, bin_, name):
        """Damage the frames leaving the valve as self.damage[name] says.
        A probe cannot swap its buffer in Python, so a corrupted frame is
        pushed as a new buffer and the original dropped."""
        pad = bin_.get_by_name("valve").get_static_pad("src")
        own = threading.local()
        noise = bytes((i * 151 + 89) & 0xff for i in range(1 << 16))

        def probe(pad, info):
            mode = self.damage.get(name)
            buf = info.get_buffer()
            if mode is None or buf is None or getattr(own, "pushing", False):
                return Gst.PadProbeReturn.OK
            key = not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
            if mode == "nokey":
                return (Gst.PadProbeReturn.DROP if key
                        else Gst.PadProbeReturn.OK)
            data = bytearray(buf.extract_dup(0, buf.get_size()))
            # length-prefixed NAL units (stream-format avc, 4-byte sizes)
            at = 0
            while at + 4 <= len(data):
                size = int.from_bytes(data[at:at + 4], "big")
                body = at + 4
                if body + size > len(data):
                    break
                cut = body + max(8, size // 2)
                if cut < body + size:
                    data[cut:body + size] = noise[:body + size - cut]
                at = body + size
            out = Gst.Buffer.new_wrapped(bytes(data))
            out.pts, out.dts, out.duration = buf.pts, buf.dts, buf.duration
            out.set_flags(buf.get_flags())
            own.pushing = True
            try:
                pad.push(out)
            finally:
                own.pushing = False
            return Gst.PadProbeReturn.DROP

        pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def drop_clients(self, name):
        """Disconnect every client that plays /name."""
        path = "/" + name

        def client_filter(server, client, _):
            found = []

            def session_filter(c, session, _):
                if session.get_media(path)[0] is not None:
                    found.append(session)
                return GstRtspServer.RTSPFilterResult.KEEP

            client.session_filter(session_filter, None)
            return (GstRtspServer.RTSPFilterResult.REMOVE if found
                    else GstRtspServer.RTSPFilterResult.KEEP)

        self.server.client_filter(client_filter, None)

    def command(self, line):
        words = line.split()
        if len(words) != 2 or words[1] not in self.factories:
            return "ERR " + line
        verb, name = words
        if verb == "stop":
            self.mounts.remove_factory("/" + name)
            self.drop_clients(name)
        elif verb == "start":
            self.mounts.add_factory("/" + name, self.factories[name])
        elif verb in ("freeze", "thaw"):
            # a frozen camera stays frozen for clients that reconnect
            if verb == "freeze":
                self.frozen.add(name)
            else:
                self.frozen.discard(name)
            media = self.medias.get(name)
            if media is not None:
                valve = media.get_element().get_by_name("valve")
                valve.set_property("drop", verb == "freeze")
        elif verb in ("nokey", "corrupt"):
            self.damage[name] = verb
        elif verb == "clean":
            self.damage.pop(name, None)
        elif verb == "teardowns":
            return "OK teardowns %s %d" % (name, self.teardowns.get(name, 0))
        else:
            return "ERR " + line
        return "OK " + line


def cap_criticals(domain, shown=5):
    """Print a GLib domain's first criticals, then only a count every
    100,000. gst-rtsp-server can spin on a connection that a fault closed
    under it (GIO's g_pollable_input_stream_read_nonblocking assertion,
    seen once in a soak's reboot fault); its stderr then grew by 6 GB in
    two minutes."""
    seen = [0]

    def handler(dom, level, message, _):
        seen[0] += 1
        if seen[0] <= shown or seen[0] % 100000 == 0:
            print("rtsp_server: %s critical #%d: %s" % (dom, seen[0], message),
                  file=sys.stderr, flush=True)

    GLib.log_set_handler(domain, GLib.LogLevelFlags.LEVEL_CRITICAL, handler,
                         None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--udp-only", action="append", default=[])
    ap.add_argument("--tcp-only", action="append", default=[])
    ap.add_argument("--digest", action="store_true")
    ap.add_argument("--auth", action="append", default=[])
    ap.add_argument("--config-interval", action="append", default=[])
    ap.add_argument("--rtp-offset", action="append", default=[])
    ap.add_argument("--unshared", action="append", default=[])
    ap.add_argument("--send-log", help="log each frame's send time here")
    ap.add_argument("mounts", nargs="+")
    args = ap.parse_args()
    Gst.init(None)
    for domain in ("GLib-GIO", "GLib", "GStreamer", "GStreamer-RTSP-Server"):
        cap_criticals(domain)
    srv = Server(args)
    loop = GLib.MainLoop()
    print("READY", srv.server.get_bound_port(), flush=True)

    def reader():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            done = threading.Event()
            out = []

            def run():
                out.append(srv.command(line))
                done.set()
                return False

            GLib.idle_add(run)
            done.wait()
            print(out[0], flush=True)
        GLib.idle_add(loop.quit)

    threading.Thread(target=reader, daemon=True).start()
    loop.run()


if __name__ == "__main__":
    main()
