#!/usr/bin/env python3
"""RFC 6052 IPv4-embedded IPv6 addresses, for the test scripts.

  rfc6052.py synth PREFIX/LEN IPV4     print the synthesized IPv6 address
  rfc6052.py extract PREFIX/LEN IPV6   print the embedded IPv4 address
                                       (exit 1 if IPV6 is not in the prefix)
  rfc6052.py check PREFIX/LEN          exit 0 if the prefix is usable
  rfc6052.py selftest                  check the RFC 6052 section 2.4 examples

Allowed lengths are 32, 40, 48, 56, 64 and 96.  The IPv4 octets fill the
bytes after the prefix, skipping byte 8 (the "u-octet"), which stays zero;
the suffix after them is zero.  Same algorithm as include/rfc6052.h.
"""
import ipaddress
import sys

UOCTET = 8
LENGTHS = (32, 40, 48, 56, 64, 96)


def parse_prefix(text):
    """Return (16-byte prefix, length); raise ValueError if unusable."""
    net = ipaddress.IPv6Network(text, strict=False)
    plen = net.prefixlen
    if plen not in LENGTHS:
        raise ValueError("%s: prefix length %d is not one of %s"
                         % (text, plen, LENGTHS))
    addr = ipaddress.IPv6Address(text.split("/")[0]).packed
    if addr != net.network_address.packed:
        raise ValueError("%s: bits set past the prefix length" % text)
    if addr[UOCTET]:
        raise ValueError("%s: u-octet (bits 64-71) is not zero" % text)
    return addr, plen


def positions(plen):
    """The four byte positions (0-based) that hold the IPv4 octets."""
    pos, out = plen // 8, []
    while len(out) < 4:
        if pos != UOCTET:
            out.append(pos)
        pos += 1
    return out


def synth(prefix_text, ipv4_text):
    prefix, plen = parse_prefix(prefix_text)
    v4 = ipaddress.IPv4Address(ipv4_text).packed
    out = bytearray(prefix[:plen // 8]) + bytearray(16 - plen // 8)
    for p, b in zip(positions(plen), v4):
        out[p] = b
    return str(ipaddress.IPv6Address(bytes(out)))


def extract(prefix_text, ipv6_text):
    """Return the embedded IPv4 address, or None if not in the prefix."""
    prefix, plen = parse_prefix(prefix_text)
    addr = ipaddress.IPv6Address(ipv6_text)
    if addr not in ipaddress.IPv6Network((prefix, plen)):
        return None
    return str(ipaddress.IPv4Address(bytes(addr.packed[p]
                                           for p in positions(plen))))


EXAMPLES = [  # RFC 6052 section 2.4, IPv4 192.0.2.33
    ("2001:db8::/32", "2001:db8:c000:221::"),
    ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
    ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
    ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
    ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
    ("2001:db8:122:344::/96", "2001:db8:122:344::c000:221"),
    ("64:ff9b::/96", "64:ff9b::c000:221"),
]


def selftest():
    bad = 0
    for prefix, want in EXAMPLES:
        got = synth(prefix, "192.0.2.33")
        if ipaddress.IPv6Address(got) != ipaddress.IPv6Address(want):
            print("FAIL synth %s: %s != %s" % (prefix, got, want))
            bad += 1
        back = extract(prefix, want)
        if back != "192.0.2.33":
            print("FAIL extract %s %s: %s" % (prefix, want, back))
            bad += 1
    for wrong in ("2001:db8::/33", "2001:db8::1/96", "2001:db8:0:0:ff00::/64"):
        try:
            parse_prefix(wrong)
            print("FAIL %s accepted" % wrong)
            bad += 1
        except ValueError:
            pass
    print("selftest %s" % ("ok" if not bad else "FAILED"))
    return 1 if bad else 0


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "synth":
            print(synth(argv[2], argv[3]))
            return 0
        if len(argv) == 4 and argv[1] == "extract":
            v4 = extract(argv[2], argv[3])
            if v4 is None:
                print("%s is not in %s" % (argv[3], argv[2]), file=sys.stderr)
                return 1
            print(v4)
            return 0
        if len(argv) == 3 and argv[1] == "check":
            parse_prefix(argv[2])
            return 0
        if len(argv) == 2 and argv[1] == "selftest":
            return selftest()
    except ValueError as e:
        print("rfc6052.py: %s" % e, file=sys.stderr)
        return 1
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
