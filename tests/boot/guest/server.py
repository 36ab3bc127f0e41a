#!/usr/bin/python3
# Listens on [::]:8080 and answers each line with the peer it saw; tells
# systemd it is ready (Type=notify) once listening.
import os, socket
ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::", 8080))
ls.listen(16)
path = os.environ.get("NOTIFY_SOCKET")
if path:
    if path.startswith("@"):
        path = "\0" + path[1:]
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.sendto(b"READY=1", path)
    n.close()
print("server: listening on [::]:8080", flush=True)
while True:
    c, peer = ls.accept()
    with c:
        line = c.makefile("rb").readline().decode().strip()
        print("server: [%s]:%d on [%s]:%d said %r" % (peer[0], peer[1], *c.getsockname()[:2], line), flush=True)
        c.sendall(("pong [%s]:%d\n" % (peer[0], peer[1])).encode())
