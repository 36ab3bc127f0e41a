#!/usr/bin/python3
# The IPv4-only server behind the NAT64, on 198.51.100.10 in namespace
# nat64: TCP 8080 answers each line with "pong [PEER]:PORT" until the
# client closes; after a first line "hold" it also sends "tick N" every
# 0.1 s unasked, so that a moment without translation on the client's
# side (a restart) resets the connection.  UDP 8080 answers each datagram
# with "upong [PEER]:PORT".  PEER is the client's address in TAYGA's pool
# (192.0.2.128/25).  Tells systemd it is ready (Type=notify) once both
# listen.
import os, socket, threading, time

def ticker(c, lock):
    n = 0
    try:
        while True:
            time.sleep(0.1)
            with lock:
                c.sendall(b"tick %d\n" % n)
            n += 1
    except OSError as e:
        print("server: ticks stopped after %d: %s" % (n, e), flush=True)

def serve(c, peer):
    lock = threading.Lock()
    with c:
        f = c.makefile("rb")
        for line in f:
            line = line.decode().strip()
            if line.startswith("ping from") or line == "hold":
                print("server: TCP [%s]:%d said %r" % (peer[0], peer[1], line), flush=True)
            if line == "hold":
                threading.Thread(target=ticker, args=(c, lock), daemon=True).start()
            with lock:
                c.sendall(("pong [%s]:%d %s\n" % (peer[0], peer[1], line)).encode())

def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("198.51.100.10", 8080))
    while True:
        d, peer = u.recvfrom(2000)
        print("server: UDP [%s]:%d said %r" % (peer[0], peer[1], d.decode()), flush=True)
        u.sendto(("upong [%s]:%d\n" % peer).encode(), peer)

ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("198.51.100.10", 8080))
ls.listen(16)
threading.Thread(target=udp, daemon=True).start()
path = os.environ.get("NOTIFY_SOCKET")
if path:
    if path.startswith("@"):
        path = "\0" + path[1:]
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.sendto(b"READY=1", path)
    n.close()
print("server: listening on 198.51.100.10:8080 (TCP and UDP)", flush=True)
while True:
    c, peer = ls.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
