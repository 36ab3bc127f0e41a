#!/usr/bin/python3
# An AF_INET client to an IPv4 literal: sock464 carries it over IPv6 to
# PREF64::198.51.100.10, which server.service has on lo.
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(("198.51.100.10", 8080))
    print("probe: getpeername %s:%d" % s.getpeername(), flush=True)
    s.sendall(b"ping from probe\n")
    reply = s.makefile("rb").readline().decode().strip()
    print("probe: reply %s" % reply, flush=True)
except OSError as e:
    print("probe: error %s" % e, flush=True)
    sys.exit(1)
