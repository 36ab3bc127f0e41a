#!/usr/bin/env python3
"""TCP test client for the sock464 integration tests (pairs with tcpserv.py).

usage: tcpclient.py [--family 4|6] --connect HOST PORT [options] MODE [N]
       tcpclient.py [--family 4|6] --port PORT --dests LIST [--map M]
                    [--procs P] concurrent N

Modes (the server runs the mode of the same name, except where noted):
  connect      connect, run the checks below, close (any server mode)
  sink N       send N pattern bytes, shut down writing, expect the server's
               "<sha256> <N>" to match what was sent
  source N     read until EOF; expect exactly the N-byte pattern
  echo N       send N bytes, expect the same N bytes back
  whoami       read "local=A:P peer=A:P"; the server's local address must be
               the expected destination (see --expect-local)
  halfclose N  send N bytes, shut down writing, expect "<N>" then EOF
  rst          expect the connection to be reset (server mode rst)
  concurrent N open N connections to whoami servers on the --dests
               addresses, spread over --procs processes, all connected (a
               barrier across processes) before any is read; every one must
               reach its own destination and pass the peer check

Checks after every connect: getpeername() must equal exactly HOST PORT as
given (an AF_INET6 socket connected to ::ffff:a.b.c.d must show
::ffff:a.b.c.d), unless --no-peer-check; --expect-sockname-family 4|6 checks
the family of the address getsockname() reports inside the socket.

Output: "CONNECTED local=A:P peer=A:P", mode results ("SHA256 <hex> <n>",
"WHOAMI local=... peer=...", "RESET", "CONCURRENT total=..."), then "OK".
Exit 0: all checks passed.  Exit 1: a check failed ("FAIL <reason>").
Exit 2: a socket call failed, printed as "ERR <ERRNO NAME>" (for example
"ERR ENETUNREACH", "ERR ECONNREFUSED"), or "ERR TIMEOUT" when --timeout ran
out.  Exit 64: bad usage.

Examples:
  tcpclient.py --family 6 --connect 2001:db8:64::c633:640a 9000 sink 10000000
  tcpclient.py --family 4 --connect 198.51.100.10 9000 whoami
  tcpclient.py --family 6 --connect ::ffff:198.51.100.10 9000 --nonblocking connect
  tcpclient.py --family 4 --port 9001 --dests 198.51.100.10-59 --procs 4 concurrent 200
  tcpclient.py --family 6 --port 9001 --dests 198.51.100.10-59 \\
               --map 2001:db8:64::/96 concurrent 100
"""
import argparse
import errno
import hashlib
import ipaddress
import os
import resource
import select
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc6052  # noqa: E402
from testpattern import CHUNK, pattern  # noqa: E402


class CheckFailed(Exception):
    pass


def pattern_sha256(n):
    h = hashlib.sha256()
    for chunk in pattern(n):
        h.update(chunk)
    return h.hexdigest()


def errno_name(num):
    return errno.errorcode.get(num, "E%d" % num)


def fmt(sockaddr):
    host, port = sockaddr[0], sockaddr[1]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def same_addr(a, b):
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


def embedded_ipv4(host, prefix=None):
    """The IPv4 address a destination stands for, or None if unknown."""
    addr = ipaddress.ip_address(host)
    if addr.version == 4:
        return str(addr)
    if addr.ipv4_mapped:
        return str(addr.ipv4_mapped)
    if prefix:
        return rfc6052.extract(prefix, host)
    return None


def parse_dests(text):
    """'198.51.100.10-59,203.0.113.10' -> list of IPv4 address strings."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            lo = ipaddress.IPv4Address(lo)
            if "." not in hi:
                hi = str(lo).rsplit(".", 1)[0] + "." + hi
            hi = ipaddress.IPv4Address(hi)
            if hi < lo:
                raise ValueError("empty range %s" % part)
            out += [str(ipaddress.IPv4Address(i))
                    for i in range(int(lo), int(hi) + 1)]
        else:
            out.append(str(ipaddress.IPv4Address(part)))
    if not out:
        raise ValueError("no destinations")
    return out


def connect(family, host, port, args):
    """Connect (blocking or not, per args); return the connected socket."""
    fam = socket.AF_INET6 if family == 6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if args.bind:
            s.bind((args.bind, 0))
        dst = (host, port)
        if args.nonblocking:
            s.setblocking(False)
            rc = s.connect_ex(dst)
            if rc == errno.EINPROGRESS:
                _, w, _ = select.select([], [s], [], args.timeout)
                if not w:
                    raise TimeoutError()
                rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc:
                raise OSError(rc, os.strerror(rc))
            s.setblocking(True)
            s.settimeout(args.timeout)
        else:
            s.settimeout(args.timeout)
            s.connect(dst)
        return s
    except BaseException:
        s.close()
        raise


def check_names(s, host, port, args):
    local, peer = s.getsockname(), s.getpeername()
    print("CONNECTED local=%s peer=%s" % (fmt(local), fmt(peer)), flush=True)
    if not args.no_peer_check:
        if peer[1] != port or not same_addr(peer[0], host):
            raise CheckFailed("getpeername %s, expected %s"
                              % (fmt(peer), fmt((host, port))))
    if args.expect_sockname_family:
        v = ipaddress.ip_address(local[0])
        fam = 4 if v.version == 4 or getattr(v, "ipv4_mapped", None) else 6
        if fam != args.expect_sockname_family:
            raise CheckFailed("getsockname %s is IPv%d, expected IPv%d"
                              % (local[0], fam, args.expect_sockname_family))


def recv_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        data = s.recv(4096)
        if not data:
            break
        buf += data
    return buf.decode(errors="replace").strip()


def recv_until_eof(s, h=None):
    total = 0
    while True:
        data = s.recv(CHUNK)
        if not data:
            return total
        total += len(data)
        if h:
            h.update(data)


def send_pattern(s, n):
    h = hashlib.sha256()
    for chunk in pattern(n):
        s.sendall(chunk)
        h.update(chunk)
    return h.hexdigest()


def parse_whoami(line):
    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
    if "local" not in fields:
        raise CheckFailed("bad whoami reply %r" % line)
    addr, _, port = fields["local"].rpartition(":")
    return addr.strip("[]"), int(port), fields.get("peer", "")


def run_single(args):
    host, port, mode, n = args.connect[0], args.connect_port, args.mode, args.n
    try:
        s = connect(args.family, host, port, args)
    except ConnectionResetError:
        if mode != "rst":
            raise
        # Established, then reset before connect() returned (a reset in
        # SYN-SENT would be ECONNREFUSED).
        print("RESET")
        return
    try:
        if mode == "rst":
            # The reset may already have arrived: then getpeername fails
            # (ENOTCONN) and any call may report ECONNRESET.
            try:
                check_names(s, host, port, args)
                data = s.recv(1)
            except ConnectionResetError:
                print("RESET")
                return
            except OSError as e:
                if e.errno != errno.ENOTCONN:
                    raise
                print("RESET")
                return
            raise CheckFailed("expected a reset, got %s"
                              % ("EOF" if not data else "data"))
        check_names(s, host, port, args)
        if mode == "connect":
            pass
        elif mode == "sink":
            sent = send_pattern(s, n)
            s.shutdown(socket.SHUT_WR)
            reply = recv_line(s).split()
            print("SHA256 %s %d" % (sent, n))
            if reply != [sent, str(n)]:
                raise CheckFailed("server got %s, sent %s %d"
                                  % (" ".join(reply) or "nothing", sent, n))
        elif mode == "source":
            h = hashlib.sha256()
            got = recv_until_eof(s, h)
            print("SHA256 %s %d" % (h.hexdigest(), got))
            if got != n or h.hexdigest() != pattern_sha256(n):
                raise CheckFailed("received %d bytes, sha256 %s; expected %d, %s"
                                  % (got, h.hexdigest(), n, pattern_sha256(n)))
        elif mode == "echo":
            h, got = hashlib.sha256(), [0]

            def reader():
                got[0] = recv_until_eof(s, h)
            t = threading.Thread(target=reader, daemon=True)
            t.start()
            sent = send_pattern(s, n)
            s.shutdown(socket.SHUT_WR)
            t.join(args.timeout)
            print("SHA256 %s %d" % (h.hexdigest(), got[0]))
            if t.is_alive():
                raise TimeoutError()
            if got[0] != n or h.hexdigest() != sent:
                raise CheckFailed("echo returned %d bytes, sha256 %s; sent %d, %s"
                                  % (got[0], h.hexdigest(), n, sent))
        elif mode == "whoami":
            line = recv_line(s)
            print("WHOAMI %s" % line)
            addr, lport, _ = parse_whoami(line)
            want = args.expect_local or embedded_ipv4(host, args.prefix)
            if want is None:
                raise CheckFailed("cannot tell which IPv4 address %s stands for:"
                                  " give --expect-local or --prefix" % host)
            if not same_addr(addr, want) or lport != port:
                raise CheckFailed("reached %s:%d, expected %s:%d"
                                  % (addr, lport, want, port))
        elif mode == "halfclose":
            send_pattern(s, n)
            s.shutdown(socket.SHUT_WR)
            line = recv_line(s)
            print("HALFCLOSE %s" % line)
            if line != str(n):
                raise CheckFailed("server counted %r bytes, sent %d" % (line, n))
            if s.recv(1) != b"":
                raise CheckFailed("no EOF after the reply")
        if args.hold:
            time.sleep(args.hold)
    finally:
        s.close()


# ------------------------------------------------------------ concurrent

def concurrent_child(jobs, args, ready_w, go_r):
    """Connect all jobs (non-blocking, all in flight at once), pass the
    barrier, then read and verify every whoami line.  Returns (ok, fails)."""
    fam = socket.AF_INET6 if args.family == 6 else socket.AF_INET
    socks, fails = {}, []
    deadline = time.monotonic() + args.timeout
    poller = select.poll()
    for i, (dst, want) in enumerate(jobs):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        if args.bind:
            s.bind((args.bind, 0))
        rc = s.connect_ex((dst, args.port))
        if rc not in (0, errno.EINPROGRESS):
            fails.append("%s: ERR %s" % (dst, errno_name(rc)))
            s.close()
            continue
        socks[s.fileno()] = (s, dst, want)
        poller.register(s, select.POLLOUT)
    pending = set(socks)
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(200):
            if fd in pending:
                pending.discard(fd)
                poller.unregister(fd)
    for fd in list(socks):
        s, dst, _ = socks[fd]
        rc = errno.ETIMEDOUT if fd in pending else \
            s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if rc:
            fails.append("%s: ERR %s" % (dst, errno_name(rc)))
            s.close()
            del socks[fd]
    # Barrier: tell the parent we are connected, wait for "go" (EOF).
    os.write(ready_w, b"r")
    os.close(ready_w)
    select.select([go_r], [], [], max(0.0, deadline - time.monotonic()))
    ok = 0
    for s, dst, want in socks.values():
        try:
            s.setblocking(True)
            s.settimeout(max(0.5, deadline - time.monotonic()))
            peer = s.getpeername()
            if not args.no_peer_check and (
                    not same_addr(peer[0], dst) or peer[1] != args.port):
                raise CheckFailed("getpeername %s, expected %s"
                                  % (fmt(peer), fmt((dst, args.port))))
            addr, lport, _ = parse_whoami(recv_line(s))
            if addr != want or lport != args.port:
                raise CheckFailed("reached %s:%d, expected %s:%d"
                                  % (addr, lport, want, args.port))
            ok += 1
        except CheckFailed as e:
            fails.append("%s: FAIL %s" % (dst, e))
        except TimeoutError:
            fails.append("%s: ERR TIMEOUT" % dst)
        except OSError as e:
            fails.append("%s: ERR %s" % (dst, errno_name(e.errno or 0)))
    if args.hold:
        time.sleep(args.hold)
    for s, _, _ in socks.values():
        s.close()
    return ok, fails


def run_concurrent(args):
    dests = parse_dests(args.dests)
    n, procs = args.n, max(1, min(args.procs, args.n))
    jobs = []
    for i in range(n):
        v4 = dests[i % len(dests)]
        if args.family == 4:
            dst = v4
        elif args.map in (None, "mapped"):
            dst = "::ffff:" + v4
        else:
            dst = rfc6052.synth(args.map, v4)
        jobs.append((dst, v4))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = n // procs + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pids, outs = [], []
    for p in range(procs):
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            os.close(out_r)
            code = 1
            try:
                ok, fails = concurrent_child(jobs[p::procs], args, ready_w, go_r)
                msg = "%d %d\n" % (ok, len(fails)) + "\n".join(fails[:20])
                os.write(out_w, msg.encode())
                code = 0 if not fails else 1
            finally:
                os._exit(code)
        os.close(out_w)
        pids.append(pid)
        outs.append(out_r)
    os.close(ready_w)
    os.close(go_r)

    deadline = time.monotonic() + args.timeout + 5
    ready = 0
    while ready < procs and time.monotonic() < deadline:
        r, _, _ = select.select([ready_r], [], [], 0.5)
        if r:
            data = os.read(ready_r, 64)
            if not data:
                break  # every child has gone
            ready += len(data)
    print("BARRIER %d/%d processes connected" % (ready, procs), flush=True)
    os.close(go_w)  # go

    total_ok, total_fail, details = 0, 0, []
    for pid, out_r in zip(pids, outs):
        chunks = []
        while time.monotonic() < deadline:
            r, _, _ = select.select([out_r], [], [], 0.5)
            if r:
                data = os.read(out_r, 65536)
                if not data:
                    break
                chunks.append(data)
        os.close(out_r)
        text = b"".join(chunks).decode()
        lines = text.splitlines()
        if lines and len(lines[0].split()) == 2:
            k, f = map(int, lines[0].split())
            total_ok += k
            total_fail += f
            details += lines[1:]
        else:
            details.append("process %d reported nothing" % pid)
    for pid in pids:
        end = time.monotonic() + 5
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > end:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                details.append("process %d killed (hung)" % pid)
                break
            time.sleep(0.05)
    missing = n - total_ok - total_fail
    print("CONCURRENT total=%d ok=%d fail=%d procs=%d dests=%d"
          % (n, total_ok, total_fail + missing, procs, len(dests)))
    for d in details[:20]:
        print("  " + d)
    if total_ok != n:
        raise CheckFailed("%d of %d connections failed" % (n - total_ok, n))


def main():
    ap = argparse.ArgumentParser(
        description="TCP test client (see the module doc string).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--family", type=int, choices=[4, 6])
    ap.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"))
    ap.add_argument("--bind", help="local address to bind before connect")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds for each socket operation (default 30)")
    ap.add_argument("--nonblocking", action="store_true",
                    help="connect with connect_ex + select")
    ap.add_argument("--no-peer-check", action="store_true")
    ap.add_argument("--expect-sockname-family", type=int, choices=[4, 6])
    ap.add_argument("--expect-local",
                    help="whoami: the server address the connection must reach")
    ap.add_argument("--prefix", help="whoami: NAT64 PREFIX/LEN to extract "
                    "the expected IPv4 address from HOST")
    ap.add_argument("--hold", type=float, default=0,
                    help="keep the connection(s) open this many seconds")
    ap.add_argument("--port", type=int, help="concurrent: server port")
    ap.add_argument("--dests", help="concurrent: IPv4 destinations, e.g. "
                    "198.51.100.10-59,203.0.113.10")
    ap.add_argument("--map", help="concurrent, family 6: 'mapped' "
                    "(::ffff:a.b.c.d, the default) or a NAT64 PREFIX/LEN")
    ap.add_argument("--procs", type=int, default=1,
                    help="concurrent: number of processes (default 1)")
    ap.add_argument("mode", choices=["connect", "sink", "source", "echo",
                                     "whoami", "halfclose", "rst", "concurrent"])
    ap.add_argument("n", nargs="?", type=int, default=0)
    try:
        args = ap.parse_args()
    except SystemExit as e:
        return 64 if e.code else 0

    try:
        if args.mode == "concurrent":
            if not args.port or not args.dests or args.n <= 0:
                ap.print_usage(sys.stderr)
                print("concurrent needs --port, --dests and N > 0", file=sys.stderr)
                return 64
            args.family = args.family or 4
            run_concurrent(args)
        else:
            if not args.connect:
                ap.print_usage(sys.stderr)
                print("--connect HOST PORT is required", file=sys.stderr)
                return 64
            host = args.connect[0]
            args.connect_port = int(args.connect[1])
            v = ipaddress.ip_address(host).version
            args.family = args.family or v
            if v != args.family:
                print("HOST %s is not an IPv%d address" % (host, args.family),
                      file=sys.stderr)
                return 64
            if args.mode in ("sink", "source", "echo", "halfclose") and args.n < 0:
                return 64
            run_single(args)
    except CheckFailed as e:
        print("FAIL %s" % e)
        return 1
    except TimeoutError:
        print("ERR TIMEOUT")
        return 2
    except OSError as e:
        print("ERR %s" % (errno_name(e.errno) if e.errno else type(e).__name__))
        return 2
    except ValueError as e:
        print("usage error: %s" % e, file=sys.stderr)
        return 64
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
