#!/usr/bin/env python3
"""Router Advertisement sender with PREF64 options (RFC 8781), for the tests.

usage: ra_sender.py --interface IF --config FILE [--interval S]
                    [--no-reply-rs] [--timeout S] [--hop-limit N]
                    [--source ADDR]

Runs in the router's namespace, on one link.  Sends Router Advertisements
to ff02::1 from a raw ICMPv6 socket with hop limit 255 (the kernel picks the
link-local source address and computes the checksum).  The RA header says
nothing but "router lifetime 0" (no default route, no flags, no reachable or
retransmit timers), so it changes no routes on the hosts that hear it; the
options come from the configuration file:

  # comment
  pref64 2001:db8:64::/96 600    a PREF64 option: prefix, lifetime in seconds
                                 (rounded up to a multiple of 8, at most
                                 65528; 0 withdraws the prefix)
  raw 2603025e20010db8...        any option (or any bytes at all) appended
                                 verbatim, in hex (spaces, ':' and '.'
                                 allowed): for malformed options

Options appear in the RA in the order of the file.  The sender answers every
Router Solicitation heard on the link with an RA at once (multicast to
ff02::1), unless --no-reply-rs; sends an unsolicited RA every --interval
seconds (default 600: in a test, effectively only on demand; the first one
after one interval, none at start-up; 0: never); and on SIGHUP re-reads the
configuration (a broken file keeps the old one) and sends an RA at once.
Exits 0 after --timeout seconds (default 300) or on SIGTERM/SIGINT.

For negative tests, --hop-limit N (default 255) and --source ADDR (default:
the kernel's choice, the link-local address) make RAs that a host must
ignore (RFC 4861 section 6.1.2: hop limit 255 and a link-local source).

Output (stdout, flushed, for tests to wait on):
  READY interface=IF ifindex=N config=FILE    once set up (SIGHUP is safe)
  RS from ADDR answered | RS from ADDR ignored (--no-reply-rs)
  RA n=N reason=rs|interval|hup to=ff02::1 interface=IF options=LIST
        LIST: pref64:PREFIX/LEN:LIFETIME,... and raw:HEX,... ("-" if none)
Errors go to stderr; bad usage or an unreadable configuration at start-up
exits 2.

Example:
  ip netns exec ROUTER ra_sender.py --interface veth0 --config ra.conf
"""
import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

ICMP6_FILTER = 1            # <netinet/icmp6.h>, level IPPROTO_ICMPV6
ND_ROUTER_SOLICIT = 133
ND_ROUTER_ADVERT = 134
ND_OPT_PREF64 = 38
PLC = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}
MAX_LIFETIME = 65528        # 13 bits in units of 8 s
ALL_NODES = "ff02::1"
ALL_ROUTERS = "ff02::2"


class ConfigError(Exception):
    pass


def pref64_option(prefix_text, lifetime):
    """The 16-byte PREF64 option (RFC 8781 section 4)."""
    try:
        net = ipaddress.IPv6Network(prefix_text, strict=True)
    except ValueError as e:
        raise ConfigError("%s: %s" % (prefix_text, e))
    if net.prefixlen not in PLC:
        raise ConfigError("%s: length must be one of 96, 64, 56, 48, 40, 32"
                          % prefix_text)
    if lifetime < 0 or lifetime > MAX_LIFETIME:
        raise ConfigError("lifetime %d: must be 0..%d" % (lifetime, MAX_LIFETIME))
    scaled = (lifetime + 7) & 0xfff8          # round up to a multiple of 8
    return (struct.pack("!BBH", ND_OPT_PREF64, 2, scaled | PLC[net.prefixlen])
            + net.network_address.packed[:12])


def read_config(path):
    """Return [(label, bytes)] in file order; raise ConfigError."""
    opts = []
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError as e:
        raise ConfigError("%s: %s" % (path, e.strerror))
    for no, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        try:
            if words[0] == "pref64" and len(words) == 3:
                lifetime = int(words[2], 10)
                data = pref64_option(words[1], lifetime)
                net = ipaddress.IPv6Network(words[1])
                opts.append(("pref64:%s:%d" % (net, (lifetime + 7) & 0xfff8), data))
            elif words[0] == "raw" and len(words) >= 2:
                hexa = "".join(words[1:]).replace(":", "").replace(".", "")
                try:
                    data = bytes.fromhex(hexa)
                except ValueError:
                    raise ConfigError("raw: not hex: %s" % " ".join(words[1:]))
                opts.append(("raw:%s" % data.hex(), data))
            else:
                raise ConfigError("expected 'pref64 PREFIX/LEN LIFETIME' or "
                                  "'raw HEX', got %r" % line.strip())
        except (ConfigError, ValueError) as e:
            raise ConfigError("%s:%d: %s" % (path, no, e))
    return opts


def build_ra(opts):
    # RFC 4861 section 4.2: type, code, checksum (the kernel's), cur hop
    # limit 0 (unspecified), flags 0, router lifetime 0, reachable 0,
    # retrans 0; then the options.
    return (struct.pack("!BBHBBHII", ND_ROUTER_ADVERT, 0, 0, 0, 0, 0, 0, 0)
            + b"".join(data for _, data in opts))


def open_socket(ifname, ifindex, hops, source):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    if source:
        link_local = ipaddress.IPv6Address(source).is_link_local
        s.bind((source, 0, 0, ifindex if link_local else 0))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    # Linux's struct icmp6_filter: 256 bits, a SET bit BLOCKS the type.
    words = [0xffffffff] * 8
    words[ND_ROUTER_SOLICIT >> 5] &= ~(1 << (ND_ROUTER_SOLICIT & 31))
    s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("=8I", *words))
    # Solicitations go to ff02::2; a forwarding router has joined it
    # already, join anyway in case forwarding is off.
    mreq = socket.inet_pton(socket.AF_INET6, ALL_ROUTERS) + struct.pack("@I", ifindex)
    try:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    except OSError:
        pass
    return s


def hop_limit(text):
    n = int(text)
    if not 1 <= n <= 255:
        raise argparse.ArgumentTypeError("%s: must be 1..255" % text)
    return n


def main():
    ap = argparse.ArgumentParser(
        description="Send Router Advertisements with PREF64 options.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--interface", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--interval", type=float, default=600.0,
                    help="seconds between unsolicited RAs (0: none)")
    ap.add_argument("--no-reply-rs", action="store_true",
                    help="ignore Router Solicitations")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="exit after this many seconds")
    ap.add_argument("--hop-limit", type=hop_limit, default=255, metavar="N",
                    help="hop limit of the RAs, 1..255 (negative tests)")
    ap.add_argument("--source", metavar="ADDR",
                    help="source address of the RAs (negative tests)")
    args = ap.parse_args()

    try:
        ifindex = socket.if_nametoindex(args.interface)
    except OSError:
        print("ra_sender: --interface %s: no such interface" % args.interface,
              file=sys.stderr)
        sys.exit(2)
    try:
        opts = read_config(args.config)
    except ConfigError as e:
        print("ra_sender: %s" % e, file=sys.stderr)
        sys.exit(2)
    try:
        s = open_socket(args.interface, ifindex, args.hop_limit, args.source)
    except (OSError, ValueError) as e:
        print("ra_sender: setting up the socket: %s" % e, file=sys.stderr)
        sys.exit(2)

    # SIGHUP and SIGTERM wake the select through the wakeup pipe.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    pending = {"hup": 0, "stop": False}

    def on_hup(signum, frame):
        pending["hup"] += 1

    def on_stop(signum, frame):
        pending["stop"] = True
    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)

    sent = 0

    def send(reason):
        nonlocal sent
        dest = (ALL_NODES, 0, 0, ifindex)
        try:
            s.sendto(build_ra(opts), dest)
        except OSError as e:
            print("ra_sender: sending the RA failed: %s" % e.strerror,
                  file=sys.stderr, flush=True)
            return
        sent += 1
        print("RA n=%d reason=%s to=%s interface=%s options=%s"
              % (sent, reason, ALL_NODES, args.interface,
                 ",".join(label for label, _ in opts) or "-"), flush=True)

    print("READY interface=%s ifindex=%d config=%s hop_limit=%d source=%s"
          % (args.interface, ifindex, args.config, args.hop_limit,
             args.source or "auto"), flush=True)
    now = time.monotonic()
    end = now + args.timeout
    next_ra = now + args.interval if args.interval > 0 else None
    while not pending["stop"]:
        now = time.monotonic()
        if now >= end:
            break
        if next_ra is not None and now >= next_ra:
            send("interval")
            next_ra = now + args.interval
            continue
        wait = end - now
        if next_ra is not None:
            wait = min(wait, next_ra - now)
        ready, _, _ = select.select([s, wake_r], [], [], max(wait, 0))
        if wake_r in ready:
            try:
                while os.read(wake_r, 64):
                    pass
            except BlockingIOError:
                pass
        while pending["hup"]:
            pending["hup"] -= 1
            try:
                opts = read_config(args.config)
            except ConfigError as e:
                print("ra_sender: SIGHUP: %s (keeping the old configuration)" % e,
                      file=sys.stderr, flush=True)
            send("hup")
        if s in ready:
            try:
                data, src = s.recvfrom(1500)
            except OSError:
                continue
            if len(data) < 8 or data[0] != ND_ROUTER_SOLICIT or data[1] != 0:
                continue
            if args.no_reply_rs:
                print("RS from %s ignored (--no-reply-rs)" % src[0], flush=True)
                continue
            print("RS from %s answered" % src[0], flush=True)
            send("rs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
