/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 7915 header translation for the kernel data path, written once for
 * the TC programs (bpf/sock464_xlat.bpf.c) and for user space (unit tests and the
 * fuzzer): header field mapping, checksum arithmetic, ICMP type mapping,
 * MTU arithmetic.  Pure functions on buffers; no libc, no kernel headers
 * beyond <linux/types.h>.  Multi-byte header fields are in network order.
 */
#ifndef SOCK464_RFC7915_H
#define SOCK464_RFC7915_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define XLAT_IP4_HLEN	20
#define XLAT_IP6_HLEN	40
#define XLAT_FRAG_HLEN	8
#define XLAT_HLEN_DIFF	(XLAT_IP6_HLEN - XLAT_IP4_HLEN)

#define XLAT_PROTO_ICMP		1
#define XLAT_PROTO_TCP		6
#define XLAT_PROTO_UDP		17
#define XLAT_PROTO_FRAG		44
#define XLAT_PROTO_ICMP6	58

/* An IPv4 header without options, and an IPv6 header. */
struct xlat_ip4 {
	__u8  ver_ihl;
	__u8  tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;		/* flags (DF 0x4000, MF 0x2000) and offset */
	__u8  ttl;
	__u8  protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct xlat_ip6 {
	__u8  ver_tc;		/* version 6, high nibble of the traffic class */
	__u8  tc_flow;		/* low nibble of the traffic class, flow label */
	__u16 flow_lo;
	__u16 payload_len;
	__u8  nexthdr;
	__u8  hop_limit;
	__u8  saddr[16];
	__u8  daddr[16];
};

#define XLAT_IP4_DF		0x4000
#define XLAT_IP4_MF		0x2000
#define XLAT_IP4_OFFSET		0x1fff

/* What a header translation says about a packet. */
enum xlat_verdict {
	XLAT_OK = 0,		/* translated */
	XLAT_PASS,		/* not one of ours to translate: leave it */
	XLAT_DROP,		/* ours, but not translatable (RFC 7915 says drop) */
};

/* Fold a 32-bit one's complement sum to 16 bits (not complemented). */
static __always_inline __u16 xlat_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Add the @n 16-bit words at @p to @sum.  Read through memcpy: the words
 * belong to byte arrays and structs, which a __u16 lvalue may not alias
 * (gcc -O2 reordered such reads before the writes they depend on).
 */
static __always_inline __u32 xlat_csum_words(__u32 sum, const void *p,
					     unsigned int n)
{
	const __u8 *b = (const __u8 *)p;
	unsigned int i;
	__u16 w;

	for (i = 0; i < n; i++) {
		__builtin_memcpy(&w, b + 2 * i, sizeof(w));
		sum += w;
	}
	return sum;
}

/*
 * What the addresses of an IPv4 pseudo-header (@s4, @d4) give way to in
 * an IPv6 one (@s6, @d6), as a 32-bit one's complement difference to add
 * to a TCP or UDP checksum.  The length and protocol parts of the two
 * pseudo-headers sum alike, so the addresses are the whole difference.
 */
static __always_inline __u32 xlat_pseudo_diff_4to6(__u32 s4, __u32 d4,
						   const __u8 s6[16],
						   const __u8 d6[16])
{
	__u32 sum = 0;

	sum = xlat_csum_words(sum, s6, 8);
	sum = xlat_csum_words(sum, d6, 8);
	sum += (__u16)~(__u16)s4 + (__u16)~(__u16)(s4 >> 16);
	sum += (__u16)~(__u16)d4 + (__u16)~(__u16)(d4 >> 16);
	return sum;
}

/* The reverse difference, from an IPv6 pseudo-header to an IPv4 one. */
static __always_inline __u32 xlat_pseudo_diff_6to4(const __u8 s6[16],
						   const __u8 d6[16],
						   __u32 s4, __u32 d4)
{
	__u16 w = xlat_csum_fold(xlat_pseudo_diff_4to6(s4, d4, s6, d6));

	return (__u16)~w;
}

/* Apply a difference from the functions above to a stored checksum. */
static __always_inline __u16 xlat_csum_apply(__u16 check, __u32 diff)
{
	return (__u16)~xlat_csum_fold((__u16)~check + diff);
}

/* The IPv4 header checksum of @h (its check field is ignored). */
static __always_inline __u16 xlat_ip4_check(const struct xlat_ip4 *h)
{
	struct xlat_ip4 c = *h;

	c.check = 0;
	return (__u16)~xlat_csum_fold(xlat_csum_words(0, &c,
						      XLAT_IP4_HLEN / 2));
}

static __always_inline __u16 xlat_htons(__u16 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u16)((v << 8) | (v >> 8));
#else
	return v;
#endif
}

/* 1 if @h is a fragment of a larger IPv4 datagram. */
static __always_inline int xlat_ip4_is_fragment(const struct xlat_ip4 *h)
{
	return (h->frag_off & xlat_htons(XLAT_IP4_MF | XLAT_IP4_OFFSET)) != 0;
}

/*
 * RFC 7915 section 4.1: the IPv6 header for IPv4 header @h4 (no options),
 * from @s6 to @d6; for a fragment, followed by the Fragment header that
 * xlat_frag_4to6() gives.  XLAT_PASS for what this translator leaves
 * alone (options, other protocols, ICMP fragments); XLAT_DROP when the
 * packet is ours but its TTL would run out here.
 */
static __always_inline int xlat_hdr_4to6(const struct xlat_ip4 *h4,
					 struct xlat_ip6 *h6,
					 const __u8 s6[16], const __u8 d6[16])
{
	__u16 tot = xlat_htons(h4->tot_len);
	unsigned int i;

	if (h4->ver_ihl != 0x45 || tot < XLAT_IP4_HLEN)
		return XLAT_PASS;
	/* ICMPv6's checksum covers the whole message's length: unknown here */
	if (xlat_ip4_is_fragment(h4) && h4->protocol == XLAT_PROTO_ICMP)
		return XLAT_PASS;
	if (h4->protocol != XLAT_PROTO_TCP && h4->protocol != XLAT_PROTO_UDP &&
	    h4->protocol != XLAT_PROTO_ICMP)
		return XLAT_PASS;
	if (h4->ttl <= 1)
		return XLAT_DROP;
	h6->ver_tc = 0x60 | (h4->tos >> 4);
	h6->tc_flow = (__u8)(h4->tos << 4);
	h6->flow_lo = 0;
	h6->payload_len = xlat_htons(tot - XLAT_IP4_HLEN);
	h6->nexthdr = h4->protocol == XLAT_PROTO_ICMP ? XLAT_PROTO_ICMP6 : h4->protocol;
	if (xlat_ip4_is_fragment(h4)) {
		h6->payload_len = xlat_htons(tot - XLAT_IP4_HLEN + XLAT_FRAG_HLEN);
		h6->nexthdr = XLAT_PROTO_FRAG;
	}
	h6->hop_limit = h4->ttl;
	for (i = 0; i < 16; i++) {
		h6->saddr[i] = s6[i];
		h6->daddr[i] = d6[i];
	}
	return XLAT_OK;
}

/*
 * RFC 7915 section 5.1: the IPv4 header for IPv6 header @h6 (TCP or UDP
 * directly after it), from @s4 to @d4, DF set, identification 0, with
 * its checksum.
 */
static __always_inline int xlat_hdr_6to4(const struct xlat_ip6 *h6,
					 struct xlat_ip4 *h4, __u32 s4, __u32 d4)
{
	__u16 plen = xlat_htons(h6->payload_len);

	if ((h6->ver_tc >> 4) != 6)
		return XLAT_PASS;
	if (h6->nexthdr != XLAT_PROTO_TCP && h6->nexthdr != XLAT_PROTO_UDP &&
	    h6->nexthdr != XLAT_PROTO_ICMP6)
		return XLAT_PASS;
	if (plen > 0xffff - XLAT_IP4_HLEN)
		return XLAT_DROP;
	h4->ver_ihl = 0x45;
	h4->tos = (__u8)((h6->ver_tc << 4) | (h6->tc_flow >> 4));
	h4->tot_len = xlat_htons(plen + XLAT_IP4_HLEN);
	h4->id = 0;
	h4->frag_off = xlat_htons(XLAT_IP4_DF);
	h4->ttl = h6->hop_limit;
	h4->protocol = h6->nexthdr == XLAT_PROTO_ICMP6 ? XLAT_PROTO_ICMP : h6->nexthdr;
	h4->saddr = s4;
	h4->daddr = d4;
	h4->check = xlat_ip4_check(h4);
	return XLAT_OK;
}

/* An IPv6 Fragment header. */
struct xlat_frag {
	__u8  nexthdr;
	__u8  reserved;
	__u16 off_m;		/* offset in 8-byte units << 3, M flag in bit 0 */
	__u32 id;
};

#define XLAT_FRAG_M		0x0001

/* The Fragment header for IPv4 fragment @h4 (RFC 7915 section 4.1). */
static __always_inline void xlat_frag_4to6(const struct xlat_ip4 *h4, struct xlat_frag *f)
{
	__u16 fo = xlat_htons(h4->frag_off);
	__u8 *idb;

	f->nexthdr = h4->protocol == XLAT_PROTO_ICMP ? XLAT_PROTO_ICMP6 : h4->protocol;
	f->reserved = 0;
	f->off_m = xlat_htons((__u16)(((fo & XLAT_IP4_OFFSET) << 3) |
				     ((fo & XLAT_IP4_MF) ? XLAT_FRAG_M : 0)));
	idb = (__u8 *)&f->id;		/* the 16-bit id, zero-extended */
	idb[0] = 0;
	idb[1] = 0;
	idb[2] = ((const __u8 *)&h4->id)[0];
	idb[3] = ((const __u8 *)&h4->id)[1];
}

/* The fragment offset in bytes of Fragment header @f. */
static __always_inline __u32 xlat_frag_offset(const struct xlat_frag *f)
{
	return xlat_htons(f->off_m) & ~7U;
}

/*
 * RFC 7915 section 5.1.1: the IPv4 header for an IPv6 fragment (@h6 with
 * Fragment header @f, then TCP or UDP), from @s4 to @d4: identification
 * the low 16 bits of the fragment's, offset and MF from it, DF clear.
 */
static __always_inline int xlat_hdr_6to4_frag(const struct xlat_ip6 *h6,
					      const struct xlat_frag *f,
					      struct xlat_ip4 *h4, __u32 s4, __u32 d4)
{
	struct xlat_ip6 inner = *h6;
	__u16 plen = xlat_htons(h6->payload_len), off = xlat_htons(f->off_m);
	const __u8 *id = (const __u8 *)&f->id;
	int rc;

	if (plen < XLAT_FRAG_HLEN)
		return XLAT_DROP;
	inner.nexthdr = f->nexthdr;
	inner.payload_len = xlat_htons(plen - XLAT_FRAG_HLEN);
	rc = xlat_hdr_6to4(&inner, h4, s4, d4);
	if (rc != XLAT_OK)
		return rc;
	((__u8 *)&h4->id)[0] = id[2];	/* the low 16 bits of the id */
	((__u8 *)&h4->id)[1] = id[3];
	h4->frag_off = xlat_htons((__u16)((off >> 3) | ((off & XLAT_FRAG_M) ? XLAT_IP4_MF : 0)));
	h4->check = xlat_ip4_check(h4);
	return XLAT_OK;
}

/*
 * The MTU of the IPv4 route for translated traffic over an IPv6 path of
 * @mtu6: room for the larger header and a Fragment header, so that IPv4
 * fragments still fit once translated (RFC 7915 section 4).  IPv6's
 * minimum MTU bounds it from below.
 */
static __always_inline __u32 xlat_route_mtu(__u32 mtu6)
{
	if (mtu6 < 1280)
		mtu6 = 1280;
	return mtu6 - XLAT_HLEN_DIFF - XLAT_FRAG_HLEN;
}

#endif /* SOCK464_RFC7915_H */
