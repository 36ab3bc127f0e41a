/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 7915 for ICMP (sections 4.2 and 5.2), beside rfc7915.h and used the
 * same way by bpf/sock464_xlat.bpf.c, the unit tests and the fuzzer: echo
 * type mapping, ICMPv6 errors to ICMPv4 errors, and the checksums, which
 * gain or lose ICMPv6's pseudo-header.
 */
#ifndef SOCK464_RFC7915_ICMP_H
#define SOCK464_RFC7915_ICMP_H

#include "rfc7915.h"

/* ICMP echo (RFC 7915 sections 4.2 and 5.2); errors are not mapped here. */
#define XLAT_ICMP_ECHO_REPLY	0
#define XLAT_ICMP_ECHO		8
#define XLAT_ICMP6_ECHO		128
#define XLAT_ICMP6_ECHO_REPLY	129

/* The ICMPv6 type for ICMPv4 echo type @t, or -1. */
static __always_inline int xlat_icmp_type_4to6(__u8 t)
{
	if (t == XLAT_ICMP_ECHO)
		return XLAT_ICMP6_ECHO;
	if (t == XLAT_ICMP_ECHO_REPLY)
		return XLAT_ICMP6_ECHO_REPLY;
	return -1;
}

/* The ICMPv4 type for ICMPv6 echo type @t, or -1. */
static __always_inline int xlat_icmp_type_6to4(__u8 t)
{
	if (t == XLAT_ICMP6_ECHO)
		return XLAT_ICMP_ECHO;
	if (t == XLAT_ICMP6_ECHO_REPLY)
		return XLAT_ICMP_ECHO_REPLY;
	return -1;
}

/*
 * The checksum difference from an ICMPv4 message of @len bytes to the same
 * message as ICMPv6 from @s6 to @d6: ICMPv6 covers a pseudo-header, ICMPv4
 * none, and the type (first byte of the word @old_tc, type and code as
 * stored) becomes @new_tc.
 */
static __always_inline __u32 xlat_icmp_diff_4to6(const __u8 s6[16], const __u8 d6[16],
						 __u16 len, __u16 old_tc, __u16 new_tc)
{
	__u32 sum = 0;

	sum = xlat_csum_words(sum, s6, 8);
	sum = xlat_csum_words(sum, d6, 8);
	sum += xlat_htons(len) + xlat_htons(XLAT_PROTO_ICMP6);
	sum += (__u16)~old_tc + new_tc;
	return sum;
}

/* The reverse: ICMPv6 from @s6 to @d6 back to ICMPv4. */
static __always_inline __u32 xlat_icmp_diff_6to4(const __u8 s6[16], const __u8 d6[16],
						 __u16 len, __u16 old_tc, __u16 new_tc)
{
	return (__u16)~xlat_csum_fold(xlat_icmp_diff_4to6(s6, d6, len, new_tc, old_tc));
}

/* The 8-byte header of an ICMP or ICMPv6 error. */
struct xlat_icmp {
	__u8  type;
	__u8  code;
	__u16 check;
	__u16 w1;		/* ICMPv6 PTB: the MTU's high half; else unused */
	__u16 w2;		/* ICMPv4 frag needed, ICMPv6 PTB (low half): MTU */
};

/* RFC 7600: the IPv4 source of an ICMP error whose IPv6 source has no IPv4 form. */
#define XLAT_DUMMY_IP4_HOST	0xc0000008U	/* 192.0.0.8 */

/*
 * RFC 7915 section 5.2: the ICMPv4 error header for ICMPv6 error @h6
 * (checksum left 0).  Destination unreachable: no route, beyond scope,
 * address unreachable -> host unreachable (3/1); administratively
 * prohibited -> 3/10; port unreachable -> 3/3.  Packet Too Big -> 3/4 with
 * the MTU less the larger header and a Fragment header (so that fragments
 * fit, as xlat_route_mtu()).  Time exceeded -> 11, same code.  -1 for the
 * rest (parameter problems, unknown codes), which are dropped.
 */
static __always_inline int xlat_icmp_err_6to4(const struct xlat_icmp *h6,
					      struct xlat_icmp *h4)
{
	__u32 mtu;

	h4->check = 0;
	h4->w1 = 0;
	h4->w2 = 0;
	switch (h6->type) {
	case 1:
		h4->type = 3;
		if (h6->code == 0 || h6->code == 2 || h6->code == 3)
			h4->code = 1;
		else if (h6->code == 1)
			h4->code = 10;
		else if (h6->code == 4)
			h4->code = 3;
		else
			return -1;
		return 0;
	case 2:
		mtu = ((__u32)xlat_htons(h6->w1) << 16) | xlat_htons(h6->w2);
		if (mtu < 1280)
			mtu = 1280;
		if (mtu > 0xffff)
			mtu = 0xffff;
		h4->type = 3;
		h4->code = 4;
		h4->w2 = xlat_htons((__u16)(mtu - XLAT_HLEN_DIFF - XLAT_FRAG_HLEN));
		return 0;
	case 3:
		if (h6->code > 1)
			return -1;
		h4->type = 11;
		h4->code = h6->code;
		return 0;
	default:
		return -1;
	}
}

/* The sum of @n 16-bit words complemented: what removing them from a checksum adds. */
static __always_inline __u32 xlat_csum_sub_words(__u32 sum, const void *p, unsigned int n)
{
	const __u8 *b = (const __u8 *)p;
	unsigned int i;
	__u16 w;

	for (i = 0; i < n; i++) {
		__builtin_memcpy(&w, b + 2 * i, sizeof(w));
		sum += (__u16)~w;
	}
	return sum;
}

/*
 * The ICMPv4 checksum of a translated error, from the ICMPv6 one: ICMPv6's
 * pseudo-header (@s6, @d6, length @len6) goes; the error header @e6 and the
 * inner IPv6 header @i6 (and its Fragment header @f6 when the packet in
 * error was a fragment; else NULL) give way to @e4 and @i4 (check fields
 * as stored: the ICMP ones are skipped, the inner IPv4 one counts);
 * @l4_old and @l4_new are the inner TCP/UDP checksum before and after
 * (equal if none).
 */
static __always_inline __u16 xlat_icmp_err_check(__u16 check6, const __u8 s6[16],
						 const __u8 d6[16], __u16 len6,
						 const struct xlat_icmp *e6,
						 const struct xlat_ip6 *i6,
						 const struct xlat_frag *f6,
						 const struct xlat_icmp *e4,
						 const struct xlat_ip4 *i4,
						 __u16 l4_old, __u16 l4_new)
{
	struct xlat_icmp a = *e6, b = *e4;
	__u32 sum = (__u16)~check6;

	a.check = 0;
	b.check = 0;
	sum = xlat_csum_sub_words(sum, s6, 8);
	sum = xlat_csum_sub_words(sum, d6, 8);
	sum += (__u16)~xlat_htons(len6) + (__u16)~xlat_htons(XLAT_PROTO_ICMP6);
	sum = xlat_csum_sub_words(sum, &a, 4);
	sum = xlat_csum_sub_words(sum, i6, XLAT_IP6_HLEN / 2);
	if (f6)
		sum = xlat_csum_sub_words(sum, f6, XLAT_FRAG_HLEN / 2);
	sum = xlat_csum_words(sum, &b, 4);
	sum = xlat_csum_words(sum, i4, XLAT_IP4_HLEN / 2);
	sum += (__u16)~l4_old + l4_new;
	return (__u16)~xlat_csum_fold(sum);
}

#endif /* SOCK464_RFC7915_ICMP_H */
