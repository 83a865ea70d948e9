#!/usr/bin/env python3
"""A slow or silent peer for the deadline tests (tests/integration).

    slowpeer.py MODE ADDRESS [MAX_SECONDS] [extra]

ADDRESS: HOST:PORT or unix:PATH. MODE:
  fcgi-idle     connect to a FastCGI socket and send nothing
  fcgi-trickle  send a FastCGI BEGIN_REQUEST, then a PARAMS record one byte
                per second (never complete)
  http-body     POST extra (a path) with Content-Length 200 and the body one
                byte per second; with the environment variable KEY set, it is
                sent as X-Api-Key
Prints "connected" once connected, then "closed" (exit 0) when the other
side closes or resets the connection, or "held" (exit 1) when it is still
open after MAX_SECONDS (default 60). For http-body, an answer ends it
too: "answer: " and its status line (exit 0).
"""
import os
import select
import socket
import struct
import sys
import time


def connect(address):
    if address.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(address[5:])
    else:
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)))
    return s


def fcgi_record(rtype, content, request_id=1):
    return struct.pack(">BBHHBB", 1, rtype, request_id, len(content), 0, 0) + content


def main():
    mode, address = sys.argv[1], sys.argv[2]
    max_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    extra = sys.argv[4] if len(sys.argv) > 4 else "/"
    s = connect(address)
    print("connected", flush=True)
    # Bytes still to send, one per second.
    drip = b""
    if mode == "fcgi-trickle":
        s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)))  # BEGIN_REQUEST, responder
        drip = struct.pack(">BBHHBB", 1, 4, 1, 200, 0, 0) + b"x" * 200
    elif mode == "http-body":
        head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" % extra
        if os.environ.get("KEY"):
            head += "X-Api-Key: %s\r\n" % os.environ["KEY"]
        head += "Content-Length: 200\r\n\r\n"
        s.sendall(head.encode())
        drip = b"{" + b" " * 199
    elif mode != "fcgi-idle":
        sys.exit("unknown mode " + mode)
    end = time.monotonic() + max_seconds
    answer = b""
    while time.monotonic() < end:
        readable, _, _ = select.select([s], [], [], 1.0)
        if readable:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                print("closed", flush=True)
                if answer:
                    print("answer: " + answer.split(b"\r\n", 1)[0].decode("latin-1"), flush=True)
                return 0
            answer += data
            if mode == "http-body" and b"\r\n" in answer:
                print("answer: " + answer.split(b"\r\n", 1)[0].decode("latin-1"), flush=True)
                return 0
            continue
        if drip:
            try:
                s.send(drip[:1])
            except OSError:
                print("closed", flush=True)
                return 0
            drip = drip[1:]
    print("held", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
