#!/usr/bin/env python3
"""Multi-connection TCP test server for the sock464 integration tests.

usage: tcpserv.py [--bind ADDR]... --port PORT [--timeout S] MODE [N]

Modes (one thread per connection):
  echo        send back everything received, close at EOF
  sink        read until EOF, reply "<sha256 hex> <byte count>\\n", close
  source N    send N bytes of the deterministic test pattern, close
  whoami      reply "local=ADDR:PORT peer=ADDR:PORT\\n" (the address the
              connection arrived on and where it came from), then hold the
              connection until the client closes it
  rst         accept, then close with SO_LINGER {1, 0} (the peer gets RST)
  halfclose   read until EOF, then reply "<byte count>\\n" and close
              (proves that the client's FIN got through)

--bind may be repeated (default 0.0.0.0; use :: for native IPv6 tests; when
both families are bound, the IPv6 socket is IPV6_V6ONLY).  The server exits
0 after --timeout seconds (default 120) or on SIGTERM.  It prints
"LISTENING ADDR PORT" per socket once ready and one line per connection:
"CONN mode=M local=A:P peer=A:P bytes_in=N bytes_out=N result=R".

The pattern for "source" is the one in testpattern.py, which tcpclient.py
checks it against.
"""
import argparse
import errno
import hashlib
import selectors
import signal
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from testpattern import CHUNK, pattern  # noqa: E402


def fmt(sockaddr):
    host, port = sockaddr[0], sockaddr[1]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


_print_lock = threading.Lock()


def say(line):
    with _print_lock:
        print(line, flush=True)


def recv_all(conn, on_data=None):
    """Read until EOF; return the byte count."""
    total = 0
    while True:
        data = conn.recv(CHUNK)
        if not data:
            return total
        total += len(data)
        if on_data:
            on_data(data)


def handle(conn, mode, n, deadline):
    stats = {"in": 0, "out": 0}
    result = "ok"
    try:
        conn.settimeout(max(1.0, deadline - time.monotonic()))
        local, peer = conn.getsockname(), conn.getpeername()
        if mode == "echo":
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                stats["in"] += len(data)
                conn.sendall(data)
                stats["out"] += len(data)
        elif mode == "sink":
            h = hashlib.sha256()
            stats["in"] = recv_all(conn, h.update)
            reply = ("%s %d\n" % (h.hexdigest(), stats["in"])).encode()
            conn.sendall(reply)
            stats["out"] = len(reply)
        elif mode == "source":
            for chunk in pattern(n):
                conn.sendall(chunk)
                stats["out"] += len(chunk)
        elif mode == "whoami":
            reply = ("local=%s peer=%s\n" % (fmt(local), fmt(peer))).encode()
            conn.sendall(reply)
            stats["out"] = len(reply)
            stats["in"] = recv_all(conn)
        elif mode == "rst":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        elif mode == "halfclose":
            stats["in"] = recv_all(conn)
            reply = ("%d\n" % stats["in"]).encode()
            conn.sendall(reply)
            stats["out"] = len(reply)
        say("CONN mode=%s local=%s peer=%s bytes_in=%d bytes_out=%d result=%s"
            % (mode, fmt(local), fmt(peer), stats["in"], stats["out"], result))
    except OSError as e:
        say("CONN mode=%s error=%s" % (mode, type(e).__name__ if e.errno is None
                                       else errno_name(e.errno)))
    finally:
        conn.close()


def errno_name(num):
    return errno.errorcode.get(num, "E%d" % num)


def main():
    ap = argparse.ArgumentParser(
        description="TCP test server (see the module doc string).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    ap.add_argument("--bind", action="append",
                    help="address to listen on (repeatable; default 0.0.0.0)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds before the server exits (default 120)")
    ap.add_argument("--backlog", type=int, default=4096)
    ap.add_argument("mode", choices=["echo", "sink", "source", "whoami",
                                     "rst", "halfclose"])
    ap.add_argument("n", nargs="?", type=int, default=0,
                    help="byte count for source")
    args = ap.parse_args()
    if args.mode == "source" and args.n <= 0:
        ap.error("source needs a byte count N > 0")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.monotonic() + args.timeout
    binds = args.bind or ["0.0.0.0"]
    both = any(":" in b for b in binds) and any(":" not in b for b in binds)
    sel = selectors.DefaultSelector()
    for addr in binds:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(both))
        s.bind((addr, args.port))
        s.listen(args.backlog)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        say("LISTENING %s %d" % (addr, args.port))

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            say("TIMEOUT after %gs" % args.timeout)
            return 0
        for key, _ in sel.select(timeout=min(left, 1.0)):
            try:
                conn, _ = key.fileobj.accept()
            except (BlockingIOError, InterruptedError):
                continue
            conn.setblocking(True)
            threading.Thread(target=handle, daemon=True,
                             args=(conn, args.mode, args.n, deadline)).start()


if __name__ == "__main__":
    sys.exit(main())
