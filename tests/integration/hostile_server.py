#!/usr/bin/python3
"""A hostile RTSP server on loopback: each path misbehaves its own way.

    hostile_server.py          prints "READY <port>", serves until stdin
                               closes

    /silent    accepts and reads, never answers
    /garbage   answers every request with random bytes, and keeps
               sending them
    /endless   starts a reply whose header line never ends (64 KiB
               chunks, as fast as the client reads)
    /trickle   sends a reply one byte every 300 ms
    /hugesdp   answers OPTIONS properly, then DESCRIBE with a 2 GB
               Content-Length and streams noise into it
    /reset     answers the first request by closing the connection with
               a reset (SO_LINGER 0)

Everything runs on its own threads; a client that leaves ends its thread.
"""
import os
import re
import socket
import struct
import sys
import threading
import time


def read_request(conn):
    """One RTSP request's head (up to the blank line), or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    return data.decode("latin-1")


def cseq(req):
    m = re.search(r"CSeq:\s*(\d+)", req, re.I)
    return m.group(1) if m else "1"


def silent(conn, req):
    while conn.recv(4096):
        pass


def garbage(conn, req):
    while True:
        conn.sendall(os.urandom(4096))
        time.sleep(0.05)


def endless(conn, req):
    conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nX-Pad: " %
                 cseq(req).encode())
    chunk = b"A" * 65536
    while True:
        conn.sendall(chunk)


def trickle(conn, req):
    for ch in b"RTSP/1.0 200 OK\r\nCSeq: %s\r\n\r\n" % cseq(req).encode():
        conn.sendall(bytes([ch]))
        time.sleep(0.3)
    silent(conn, req)


def hugesdp(conn, req):
    while req is not None:
        if req.startswith("OPTIONS"):
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: OPTIONS, "
                         b"DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n"
                         % cseq(req).encode())
        else:
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Type: "
                         b"application/sdp\r\nContent-Length: 2000000000"
                         b"\r\n\r\n" % cseq(req).encode())
            noise = os.urandom(65536)
            while True:
                conn.sendall(noise)
        req = read_request(conn)


BEHAVIOURS = {"silent": silent, "garbage": garbage, "endless": endless,
              "trickle": trickle, "hugesdp": hugesdp}


def serve(conn):
    try:
        req = read_request(conn)
        if req is None:
            return
        m = re.match(r"\w+ rtsp://[^/]+/(\w+)", req)
        path = m.group(1) if m else ""
        if path == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            return
        BEHAVIOURS.get(path, silent)(conn, req)
    except OSError:
        pass  # the client gave up: that is the point
    finally:
        conn.close()


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def accept():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print("READY", srv.getsockname()[1], flush=True)
    sys.stdin.read()  # until the test closes it


if __name__ == "__main__":
    main()
