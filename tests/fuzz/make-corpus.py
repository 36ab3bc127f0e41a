#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Write the seed corpora for tests/fuzz/fuzz_ra.c and fuzz_dns64.c.

Small, hand-assembled packets that reach each branch of the parsers; the
fuzzer mutates from there.  Run from anywhere:

    tests/fuzz/make-corpus.py            # writes tests/fuzz/corpus/{ra,dns64}
"""
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- Router Advertisements (RFC 4861 section 4.2, RFC 8781) ----

def ra(*opts, icmp_type=134, code=0):
    # type, code, checksum, hop limit, flags, router lifetime,
    # reachable time, retrans timer; then the options
    return struct.pack("!BBHBBHII", icmp_type, code, 0, 64, 0, 1800, 0,
                       0) + b"".join(opts)


def pref64(prefix, plc, lifetime):
    raw = ipaddress.IPv6Address(prefix).packed[:12]
    return struct.pack("!BBH", 38, 2, (lifetime & 0xfff8) | plc) + raw


def opt(otype, body):
    assert (len(body) + 2) % 8 == 0
    return struct.pack("!BB", otype, (len(body) + 2) // 8) + body


SLLA = opt(1, bytes.fromhex("020000000001"))
MTU = opt(5, struct.pack("!HI", 0, 1500))
RDNSS = opt(25, struct.pack("!HI", 0, 3600) +
            ipaddress.IPv6Address("2001:db8::53").packed)

RA_SEEDS = {
    "wkp-600s": ra(pref64("64:ff9b::", 0, 600)),
    "every-plc": ra(*(pref64("2001:db8:122:344::", plc, 1800)
                      for plc in range(8))),
    "typical": ra(SLLA, MTU, RDNSS, pref64("64:ff9b:1::", 3, 65528)),
    "withdraw-and-new": ra(pref64("64:ff9b::", 0, 0),
                           pref64("2001:db8:64::", 1, 3600)),
    "pref64-len3": ra(opt(38, bytes(22)), pref64("64:ff9b::", 5, 8)),
    "zero-len": ra(pref64("64:ff9b::", 0, 600), b"\x05\x00"),
    "truncated": ra(pref64("64:ff9b::", 0, 600))[:27],
    "option-only": pref64("2001:db8::", 1, 600),
}


# ---- DNS responses (RFC 1035 section 4) ----

T_A, T_CNAME, T_AAAA, C_IN = 1, 5, 28, 1
QNAME_PTR = b"\xc0\x0c"


def name(dotted):
    out = b""
    for label in dotted.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def response(answers, flags=0x8180, qname="ipv4only.arpa", qtype=T_AAAA):
    hdr = struct.pack("!HHHHHH", 0x1234, flags, 1, len(answers), 0, 0)
    return hdr + name(qname) + struct.pack("!HH", qtype, C_IN) + \
        b"".join(answers)


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, C_IN, ttl, len(rdata)) + rdata


def aaaa(addr, ttl=300, owner=QNAME_PTR):
    return rr(owner, T_AAAA, ttl, ipaddress.IPv6Address(addr).packed)


def cname_then_aaaa():
    # ipv4only.arpa CNAME synth.ipv4only.arpa; that name AAAA ...
    head = response([])
    hdr = bytearray(head)
    hdr[6:8] = struct.pack("!H", 2)
    cname = rr(QNAME_PTR, T_CNAME, 100, b"\x05synth" + QNAME_PTR)
    target = len(hdr) + len(cname) - 8   # offset of the CNAME's rdata
    return bytes(hdr) + cname + aaaa("64:ff9b::c000:aa", 300,
                                     struct.pack("!H", 0xc000 | target))


DNS_SEEDS = {
    "wkp-both-wkas": response([aaaa("64:ff9b::c000:aa"),
                               aaaa("64:ff9b::c000:ab", 60)]),
    "nsp-64": response([aaaa("2001:db8:122:344:c0:0:aa00:0")]),
    "nsp-32-and-40": response([aaaa("2001:db8:c000:aa::"),
                               aaaa("2001:db8:1c0:0:ab::")]),
    "no-wka": response([aaaa("64:ff9b::102:304")]),
    "cname-chain": cname_then_aaaa(),
    "nxdomain": response([], flags=0x8183),
    "nodata": response([]),
    "a-only": response([rr(QNAME_PTR, T_A, 60, bytes([192, 0, 0, 170]))]),
    # the query itself: QR clear, must be refused
    "query": struct.pack("!HHHHHH", 0xbeef, 0x0100, 1, 0, 0, 0) +
             name("ipv4only.arpa") + struct.pack("!HH", T_AAAA, C_IN),
}


def write(subdir, seeds):
    path = os.path.join(HERE, "corpus", subdir)
    os.makedirs(path, exist_ok=True)
    for fname, data in seeds.items():
        with open(os.path.join(path, fname), "wb") as f:
            f.write(data)
    print(f"{path}: {len(seeds)} seeds")


def main():
    write("ra", RA_SEEDS)
    write("dns64", DNS_SEEDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
