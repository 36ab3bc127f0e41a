#!/usr/bin/env python3
"""Many concurrent TCP connections, each checked with a token of its own.

  manyconn.py serve PORT [--timeout S]
      a line echo server (one process, asyncio, no thread per connection):
      every line received is sent back; prints LISTENING, exits after S s.
  manyconn.py connect HOST PORT N [--timeout S] [--hold S]
      opens N connections at once (non-blocking; RLIMIT_NOFILE raised),
      waits until all are connected, then sends "tok-<i>-<random>\\n" on
      each and checks that the same line comes back on that connection.
      Prints CONNECTED n, HELD n (then sleeps --hold seconds with all
      open), and OK, or FAIL reason (exit 1).
"""
import argparse, asyncio, errno, os, resource, selectors, socket, sys, time


async def serve(port, timeout):
    async def echo(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(line)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
    srv = await asyncio.start_server(echo, "0.0.0.0", port, backlog=8192,
                                     reuse_address=True)
    print("LISTENING", port, flush=True)
    async with srv:
        await asyncio.sleep(timeout)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        if hard < want:
            hard = want
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect(host, port, n, timeout, hold):
    raise_nofile(n)
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    socks, fails = [], []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            fails.append("%d: %s" % (i, errno.errorcode.get(rc, rc)))
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i)
    pending = len(socks)
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            sel.unregister(key.fileobj)
            pending -= 1
            rc = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc:
                fails.append("%d: %s" % (key.data, errno.errorcode.get(rc, rc)))
    if pending or fails:
        print("FAIL connect: %d pending, %d failed %s" % (pending, len(fails), fails[:5]))
        return 1
    print("CONNECTED", len(socks), flush=True)
    tokens, got = {}, {}
    rnd = os.urandom(4).hex()
    for i, s in enumerate(socks):
        tokens[i] = ("tok-%d-%s\n" % (i, rnd)).encode()
        s.send(tokens[i])
        got[i] = b""
        sel.register(s, selectors.EVENT_READ, i)
    left = len(socks)
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            i = key.data
            d = key.fileobj.recv(256)
            got[i] += d
            if not d or got[i].endswith(b"\n"):
                sel.unregister(key.fileobj)
                left -= 1
    bad = [i for i in got if got[i] != tokens[i]]
    if left or bad:
        print("FAIL replies: %d missing, %d wrong %s" %
              (left, len(bad), [(i, got[i]) for i in bad[:3]]))
        return 1
    print("HELD", len(socks), flush=True)
    time.sleep(hold)
    for s in socks:
        s.close()
    print("OK")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["serve", "connect"])
    ap.add_argument("args", nargs="+")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--hold", type=float, default=0)
    a = ap.parse_args()
    if a.mode == "serve":
        asyncio.run(serve(int(a.args[0]), a.timeout))
        return 0
    host, port, n = a.args[0], int(a.args[1]), int(a.args[2])
    return connect(host, port, n, a.timeout, a.hold)


if __name__ == "__main__":
    sys.exit(main())
