#!/usr/bin/python3
# An AF_INET client to an IPv4 literal: sock464's kernel data path
# translates it per packet to PREF64::198.51.100.10, and TAYGA in namespace
# nat64 back to IPv4.  One TCP exchange, one UDP exchange.
import socket, sys
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(("198.51.100.10", 8080))
    print("probe: getpeername %s:%d" % s.getpeername(), flush=True)
    print("probe: getsockname %s:%d" % s.getsockname(), flush=True)
    s.sendall(b"ping from probe\n")
    reply = s.makefile("rb").readline().decode().strip()
    print("probe: reply %s" % reply, flush=True)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(10)
    u.sendto(b"ping from probe", ("198.51.100.10", 8080))
    data, peer = u.recvfrom(2000)
    print("probe: udp reply %s from %s:%d" % (data.decode().strip(), *peer), flush=True)
except OSError as e:
    print("probe: error %s" % e, flush=True)
    sys.exit(1)
