// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RFC 7915 header translation (include/rfc7915.h), as the TC programs use
 * it: header fields both ways, and checksums updated incrementally that
 * equal checksums computed from scratch.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rfc7915.h"
#include "rfc7915_icmp.h"
#include "csum_ref.h"

static __u32 v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void v6(const char *s, __u8 out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* The TCP/UDP checksum of @l4 (its check field zeroed first) over IPv4. */
static __u16 l4_check4(__u32 s, __u32 d, __u8 proto, __u8 *l4, size_t len, size_t off)
{
	l4[off] = l4[off + 1] = 0;
	return csum_ref4(s, d, proto, l4, len);
}

static __u16 l4_check6(const __u8 s[16], const __u8 d[16], __u8 proto, __u8 *l4,
		       size_t len, size_t off)
{
	l4[off] = l4[off + 1] = 0;
	return csum_ref6(s, d, proto, l4, len);
}

/* Incremental 4 -> 6 and 6 -> 4 equal the full computation, TCP and UDP. */
static void test_pseudo_diff(void **state)
{
	__u8 s6[16], d6[16], seg[64];
	__u32 s4 = v4("127.0.0.1"), d4 = v4("198.51.100.10");
	__u16 c4, c6, inc;
	unsigned int i, off;
	__u8 proto;

	(void)state;
	v6("2001:db8:1::2", s6);
	v6("2001:db8:64::c633:640a", d6);
	for (proto = 6; proto <= 17; proto += 11) {
		off = proto == 6 ? 16 : 6;
		for (i = 0; i < sizeof(seg); i++)
			seg[i] = (__u8)(i * 37 + proto);
		c4 = l4_check4(s4, d4, proto, seg, 41, off);
		c6 = l4_check6(s6, d6, proto, seg, 41, off);
		inc = xlat_csum_apply(c4, xlat_pseudo_diff_4to6(s4, d4, s6, d6));
		/* 0 and 0xffff are the same one's complement number */
		assert_int_equal(inc == 0xffff ? 0 : inc, c6 == 0xffff ? 0 : c6);
		inc = xlat_csum_apply(c6, xlat_pseudo_diff_6to4(s6, d6, s4, d4));
		assert_int_equal(inc == 0xffff ? 0 : inc, c4 == 0xffff ? 0 : c4);
	}
}

static struct xlat_ip4 ip4_hdr(__u8 proto, __u16 len)
{
	struct xlat_ip4 h = {
		.ver_ihl = 0x45, .tos = 0xb8, .tot_len = htons(len), .id = htons(7),
		.frag_off = htons(XLAT_IP4_DF), .ttl = 64, .protocol = proto,
		.saddr = v4("127.0.0.1"), .daddr = v4("198.51.100.10"),
	};

	h.check = xlat_ip4_check(&h);
	return h;
}

/* RFC 7915 section 4.1 field by field. */
static void test_4to6(void **state)
{
	struct xlat_ip4 h4 = ip4_hdr(6, 60), back = {};
	struct xlat_ip6 h6;
	struct xlat_frag f;
	__u8 s6[16], d6[16];

	(void)state;
	v6("2001:db8:1::2", s6);
	v6("2001:db8:64::c633:640a", d6);
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_OK);
	assert_int_equal(h6.ver_tc >> 4, 6);
	assert_int_equal(((h6.ver_tc & 15) << 4) | (h6.tc_flow >> 4), 0xb8);
	assert_int_equal(h6.tc_flow & 15, 0);
	assert_int_equal(h6.flow_lo, 0);
	assert_int_equal(ntohs(h6.payload_len), 40);
	assert_int_equal(h6.nexthdr, 6);
	assert_int_equal(h6.hop_limit, 64);
	assert_memory_equal(h6.saddr, s6, 16);
	assert_memory_equal(h6.daddr, d6, 16);

	h4.ver_ihl = 0x46;		/* options */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_PASS);
	h4 = ip4_hdr(17, 1500);
	h4.id = htons(0xbeef);
	h4.frag_off = htons(XLAT_IP4_MF);	/* a first fragment */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_OK);
	assert_int_equal(h6.nexthdr, 44);
	assert_int_equal(ntohs(h6.payload_len), 1480 + 8);
	xlat_frag_4to6(&h4, &f);
	assert_int_equal(f.nexthdr, 17);
	assert_int_equal(ntohs(f.off_m), 1);
	assert_int_equal(ntohl(f.id), 0xbeef);
	assert_int_equal(xlat_frag_offset(&f), 0);
	/* and back: the same IPv4 fragment fields */
	assert_int_equal(xlat_hdr_6to4_frag(&h6, &f, &back, h4.saddr, h4.daddr), XLAT_OK);
	assert_int_equal(back.id, h4.id);
	assert_int_equal(back.frag_off, h4.frag_off);
	assert_int_equal(back.tot_len, h4.tot_len);
	assert_int_equal(back.protocol, 17);
	h4 = ip4_hdr(17, 60);
	h4.frag_off = htons(185);		/* the last one, at 1480 bytes */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_OK);
	xlat_frag_4to6(&h4, &f);
	assert_int_equal(ntohs(f.off_m), 1480);
	assert_int_equal(xlat_frag_offset(&f), 1480);
	assert_int_equal(xlat_hdr_6to4_frag(&h6, &f, &back, h4.saddr, h4.daddr), XLAT_OK);
	assert_int_equal(ntohs(back.frag_off), 185);
	h4 = ip4_hdr(1, 60);
	h4.frag_off = htons(XLAT_IP4_MF);	/* ICMP fragments: not translated */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_PASS);
	h4 = ip4_hdr(47, 60);			/* GRE */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_PASS);
	h4 = ip4_hdr(17, 60);
	h4.ttl = 1;
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_DROP);
	h4 = ip4_hdr(17, 10);			/* shorter than its header */
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_PASS);
}

/* RFC 7915 section 5.1, and a valid IPv4 header checksum. */
static void test_6to4(void **state)
{
	struct xlat_ip6 h6 = {
		.ver_tc = 0x6b, .tc_flow = 0x81, .flow_lo = htons(0x2345),
		.payload_len = htons(1000), .nexthdr = 17, .hop_limit = 61,
	};
	struct xlat_ip4 h4;

	(void)state;
	assert_int_equal(xlat_hdr_6to4(&h6, &h4, v4("198.51.100.10"), v4("127.0.0.1")),
			 XLAT_OK);
	assert_int_equal(h4.ver_ihl, 0x45);
	assert_int_equal(h4.tos, 0xb8);
	assert_int_equal(ntohs(h4.tot_len), 1020);
	assert_int_equal(ntohs(h4.frag_off), XLAT_IP4_DF);
	assert_int_equal(h4.ttl, 61);
	assert_int_equal(h4.protocol, 17);
	assert_int_equal(h4.saddr, v4("198.51.100.10"));
	assert_int_equal(h4.daddr, v4("127.0.0.1"));
	assert_int_equal(xlat_csum_fold(csum_ref_sum(0, &h4, 20)), 0xffff);

	h6.nexthdr = 44;		/* a Fragment header: not here */
	assert_int_equal(xlat_hdr_6to4(&h6, &h4, 1, 2), XLAT_PASS);
	h6.nexthdr = 6;
	h6.payload_len = htons(65530);	/* does not fit IPv4's 16-bit total */
	assert_int_equal(xlat_hdr_6to4(&h6, &h4, 1, 2), XLAT_DROP);
	h6.ver_tc = 0x4b;
	assert_int_equal(xlat_hdr_6to4(&h6, &h4, 1, 2), XLAT_PASS);
}

/* ICMP echo: the type mapped, the checksum gains ICMPv6's pseudo-header. */
static void test_icmp_echo(void **state)
{
	__u8 s6[16], d6[16], msg[64], m6[64];
	__u16 c4, c6, tc4, tc6, inc;
	struct xlat_ip4 h4 = ip4_hdr(1, 20 + sizeof(msg));
	struct xlat_ip6 h6;
	unsigned int i;

	(void)state;
	v6("2001:db8:1::2", s6);
	v6("2001:db8:64::c633:640a", d6);
	assert_int_equal(xlat_hdr_4to6(&h4, &h6, s6, d6), XLAT_OK);
	assert_int_equal(h6.nexthdr, 58);
	assert_int_equal(xlat_icmp_type_4to6(8), 128);
	assert_int_equal(xlat_icmp_type_4to6(0), 129);
	assert_int_equal(xlat_icmp_type_4to6(3), -1);
	assert_int_equal(xlat_icmp_type_6to4(129), 0);
	assert_int_equal(xlat_icmp_type_6to4(1), -1);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (__u8)(i * 13 + 1);
	msg[0] = 8;
	msg[1] = 0;
	msg[2] = msg[3] = 0;
	c4 = (__u16)~xlat_csum_fold(csum_ref_sum(0, msg, sizeof(msg)));
	memcpy(m6, msg, sizeof(m6));
	m6[0] = 128;
	c6 = csum_ref6(s6, d6, 58, m6, sizeof(m6));
	memcpy(&tc4, msg, 2);
	memcpy(&tc6, m6, 2);
	inc = xlat_csum_apply(c4, xlat_icmp_diff_4to6(s6, d6, sizeof(msg), tc4, tc6));
	assert_int_equal(inc == 0xffff ? 0 : inc, c6 == 0xffff ? 0 : c6);
	inc = xlat_csum_apply(c6, xlat_icmp_diff_6to4(s6, d6, sizeof(msg), tc6, tc4));
	assert_int_equal(inc == 0xffff ? 0 : inc, c4 == 0xffff ? 0 : c4);
}

/*
 * An echo of 3000 and 8000 bytes in fragments: the checksum sits in the
 * first fragment, and the delta to apply there depends only on the
 * addresses, the type and the whole message's length (the echo map keeps
 * it for replies; sock464_xlat_out() sees the whole request).  Applied to
 * the first fragment's field alone, it makes the whole message right.
 */
static void test_icmp_echo_fragments(void **state)
{
	static __u8 msg[8008], m6[8008];
	static const size_t sizes[] = { 3008, 8008 };
	__u8 s6[16], d6[16];
	__u16 c4, c6, tc4, tc6, inc;
	size_t i, k, n;

	(void)state;
	v6("2001:db8:1::2", s6);
	v6("2001:db8:64::c633:6463", d6);
	for (k = 0; k < 2; k++) {
		n = sizes[k];
		for (i = 0; i < n; i++)
			msg[i] = (__u8)(i * 7 + k);
		msg[0] = 0;		/* an echo reply, IPv4 */
		msg[1] = 0;
		msg[2] = msg[3] = 0;
		memcpy(m6, msg, n);
		m6[0] = 129;
		c6 = csum_ref6(s6, d6, 58, m6, n);
		memcpy(&m6[2], &c6, 2);
		memcpy(&tc6, m6, 2);
		memcpy(&tc4, msg, 2);
		/* 6 -> 4: only the first fragment's type and checksum change */
		inc = xlat_csum_apply(c6, xlat_icmp_diff_6to4(s6, d6, (__u16)n, tc6, tc4));
		memcpy(&msg[2], &inc, 2);
		assert_int_equal(xlat_csum_fold(csum_ref_sum(0, msg, n)), 0xffff);
		/* 4 -> 6 */
		memcpy(&c4, &msg[2], 2);
		inc = xlat_csum_apply(c4, xlat_icmp_diff_4to6(s6, d6, (__u16)n, tc4, tc6));
		memcpy(&m6[2], &inc, 2);
		m6[2] = m6[3] = 0;
		c6 = csum_ref6(s6, d6, 58, m6, n);
		assert_int_equal(inc == 0xffff ? 0 : inc, c6 == 0xffff ? 0 : c6);
		/* the length matters: the delta for another length is wrong */
		inc = xlat_csum_apply(c6, xlat_icmp_diff_6to4(s6, d6, (__u16)(n - 8), tc6, tc4));
		memcpy(&msg[2], &inc, 2);
		assert_int_not_equal(xlat_csum_fold(csum_ref_sum(0, msg, n)), 0xffff);
	}
}

/* ICMPv6 errors: type and code mapping, MTU, the checksum of the result. */
static void test_icmp_errors(void **state)
{
	static const struct { __u8 t6, c6; int t4, c4; } map[] = {
		{ 1, 0, 3, 1 }, { 1, 1, 3, 10 }, { 1, 2, 3, 1 }, { 1, 3, 3, 1 },
		{ 1, 4, 3, 3 }, { 1, 5, -1, 0 }, { 3, 0, 11, 0 }, { 3, 1, 11, 1 },
		{ 3, 2, -1, 0 }, { 4, 0, -1, 0 }, { 2, 0, 3, 4 },
	};
	struct xlat_icmp e6 = {}, e4;
	struct xlat_ip6 i6 = {
		.ver_tc = 0x60, .payload_len = htons(28), .nexthdr = 17, .hop_limit = 64,
	};
	struct xlat_ip4 i4;
	__u8 s6[16], d6[16], m6[8 + 40 + 8], m4[8 + 20 + 8];
	__u16 c4, l4_old, l4_new;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		e6.type = map[i].t6;
		e6.code = map[i].c6;
		e6.w1 = 0;
		e6.w2 = htons(1400);
		if (map[i].t4 < 0) {
			assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), -1);
			continue;
		}
		assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), 0);
		assert_int_equal(e4.type, map[i].t4);
		assert_int_equal(e4.code, map[i].c4);
	}
	e6.type = 2;
	e6.w2 = htons(1280);
	assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), 0);
	assert_int_equal(ntohs(e4.w2), 1252);		/* as xlat_route_mtu(1280) */
	e6.w2 = htons(600);				/* below IPv6's minimum */
	assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), 0);
	assert_int_equal(ntohs(e4.w2), 1252);

	/* A port unreachable about a UDP datagram 2001:db8:1::2 -> PREF64::x. */
	v6("2001:db8:64::c633:640a", s6);		/* from the NAT64 */
	v6("2001:db8:1::2", d6);
	memcpy(i6.saddr, d6, 16);
	memcpy(i6.daddr, s6, 16);
	e6 = (struct xlat_icmp){ .type = 1, .code = 4 };
	memset(m6, 0, sizeof(m6));
	memcpy(m6 + 8, &i6, 40);
	for (i = 0; i < 8; i++)
		m6[48 + i] = (__u8)(i * 29 + 3);
	m6[0] = 1;
	m6[1] = 4;
	e6.check = csum_ref6(s6, d6, 58, m6, sizeof(m6));
	assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), 0);
	assert_int_equal(xlat_hdr_6to4(&i6, &i4, v4("127.0.0.1"), v4("198.51.100.10")), XLAT_OK);
	assert_int_equal(ntohs(i4.tot_len), 48);
	memcpy(&l4_old, m6 + 48 + 6, 2);
	l4_new = xlat_csum_apply(l4_old, xlat_pseudo_diff_6to4(i6.saddr, i6.daddr,
							       v4("127.0.0.1"),
							       v4("198.51.100.10")));
	e4.check = xlat_icmp_err_check(e6.check, s6, d6, sizeof(m6), &e6, &i6, NULL, &e4, &i4,
				       l4_old, l4_new);
	memcpy(m4, &e4, 8);
	memcpy(m4 + 8, &i4, 20);
	memcpy(m4 + 28, m6 + 48, 8);
	memcpy(m4 + 28 + 6, &l4_new, 2);
	c4 = xlat_csum_fold(csum_ref_sum(0, m4, sizeof(m4)));
	assert_int_equal(c4, 0xffff);	/* the whole message sums to -0 */
}

/*
 * A Packet Too Big about the first fragment of a UDP datagram (a router's
 * 1280 link): the inner IPv6 and Fragment headers become one IPv4 header
 * of that fragment (MF, its length), and the ICMPv4 checksum is right.
 */
static void test_icmp_error_fragment(void **state)
{
	struct xlat_ip6 i6 = {
		.ver_tc = 0x60, .payload_len = htons(1452), .nexthdr = 44, .hop_limit = 64,
	};
	struct xlat_frag f = { .nexthdr = 17, .off_m = htons(XLAT_FRAG_M), .id = htonl(0x1234) };
	struct xlat_icmp e6 = { .type = 2, .w2 = htons(1280) }, e4;
	struct xlat_ip4 i4 = {};
	__u8 s6[16], d6[16], m6[8 + 40 + 8 + 8], m4[8 + 20 + 8];
	__u32 lo = v4("127.0.0.1"), x = v4("198.51.100.11");
	__u16 l4_old, l4_new;
	unsigned int i;

	(void)state;
	v6("2001:db8:1::1", s6);			/* from the router */
	v6("2001:db8:1::2", d6);
	memcpy(i6.saddr, d6, 16);
	v6("2001:db8:64::c633:640b", i6.daddr);
	memset(m6, 0, sizeof(m6));
	m6[0] = 2;
	m6[6] = 0x05;					/* MTU 1280 */
	memcpy(m6 + 8, &i6, 40);
	memcpy(m6 + 48, &f, 8);
	for (i = 0; i < 8; i++)
		m6[56 + i] = (__u8)(i * 31 + 7);
	e6.check = csum_ref6(s6, d6, 58, m6, sizeof(m6));
	assert_int_equal(xlat_icmp_err_6to4(&e6, &e4), 0);
	assert_int_equal(xlat_hdr_6to4_frag(&i6, &f, &i4, lo, x), XLAT_OK);
	assert_int_equal(ntohs(i4.tot_len), 1452 - 8 + 20);
	assert_int_equal(ntohs(i4.frag_off), XLAT_IP4_MF);
	assert_int_equal(i4.id, htons(0x1234));
	memcpy(&l4_old, m6 + 56 + 6, 2);
	l4_new = xlat_csum_apply(l4_old, xlat_pseudo_diff_6to4(i6.saddr, i6.daddr, lo, x));
	e4.check = xlat_icmp_err_check(e6.check, s6, d6, sizeof(m6), &e6, &i6, &f, &e4, &i4,
				       l4_old, l4_new);
	memcpy(m4, &e4, 8);
	memcpy(m4 + 8, &i4, 20);
	memcpy(m4 + 28, m6 + 56, 8);
	memcpy(m4 + 28 + 6, &l4_new, 2);
	assert_int_equal(xlat_csum_fold(csum_ref_sum(0, m4, sizeof(m4))), 0xffff);
	/* without the Fragment header taken out, the sum is wrong */
	e4.check = xlat_icmp_err_check(e6.check, s6, d6, sizeof(m6), &e6, &i6, NULL, &e4, &i4,
				       l4_old, l4_new);
	memcpy(m4, &e4, 8);
	assert_int_not_equal(xlat_csum_fold(csum_ref_sum(0, m4, sizeof(m4))), 0xffff);
}

/* Room for the larger header and a Fragment header; IPv6's minimum. */
static void test_route_mtu(void **state)
{
	(void)state;
	assert_int_equal(xlat_route_mtu(1500), 1472);
	assert_int_equal(xlat_route_mtu(1280), 1252);
	assert_int_equal(xlat_route_mtu(1000), 1252);
	assert_int_equal(xlat_route_mtu(9000), 8972);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudo_diff),
		cmocka_unit_test(test_4to6),
		cmocka_unit_test(test_6to4),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_echo_fragments),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_icmp_error_fragment),
		cmocka_unit_test(test_route_mtu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
