#!/usr/bin/python3
# An AF_INET connection that stays up: the server behind the NAT64 sends a
# line every 0.1 s unasked, this client one every 0.3 s; the number of
# lines received is kept in /run/hold.count.  Any error ends it (exit 1):
# kpath.sh checks that it survives `systemctl restart sock464`.
import os, socket, sys, time
n = 0
try:
    s = socket.create_connection(("198.51.100.10", 8080), timeout=10)
    print("hold: connected from %s:%d" % s.getsockname(), flush=True)
    s.sendall(b"hold\n")
    f = s.makefile("rb")
    sent = time.monotonic()
    while True:
        if time.monotonic() - sent >= 0.3:
            s.sendall(b"hold %d\n" % n)
            sent = time.monotonic()
        if not f.readline():
            raise OSError("closed by the server")
        n += 1
        with open("/run/hold.count.new", "w") as c:
            c.write("%d\n" % n)
        os.replace("/run/hold.count.new", "/run/hold.count")
except OSError as e:
    print("hold: error after %d lines: %s" % (n, e), flush=True)
    sys.exit(1)
