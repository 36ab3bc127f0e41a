// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for loader/discovery/ra.c: RFC 8781 PREF64 options in Router
 * Advertisements.  Packets are assembled byte by byte here, so that the
 * tests do not depend on the encoder they also check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ra.h"
#include "rfc6052.h"

#define MAXOPT 8

static const unsigned int plc_plen[8] = { 96, 64, 56, 48, 40, 32, 0, 0 };

/* An RA under construction: header, then options appended. */
struct pkt {
	__u8 b[512];
	size_t len;
};

static void ra_start(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 134;		/* type: Router Advertisement */
	p->b[1] = 0;		/* code */
	p->b[4] = 64;		/* cur hop limit */
	p->b[6] = 0x07;		/* router lifetime 1800 s */
	p->b[7] = 0x08;
	p->len = RA_HDR_LEN;
}

static void put(struct pkt *p, const void *data, size_t n)
{
	assert_true(p->len + n <= sizeof(p->b));
	memcpy(p->b + p->len, data, n);
	p->len += n;
}

/* A PREF64 option from raw fields: @word is bytes 2-3 as sent. */
static void put_pref64_raw(struct pkt *p, __u16 word, const __u8 prefix96[12])
{
	__u8 o[16] = { 38, 2, (__u8)(word >> 8), (__u8)word };

	memcpy(o + 4, prefix96, 12);
	put(p, o, sizeof(o));
}

/* An option of any type, @units * 8 bytes, body filled with @fill. */
static void put_opt(struct pkt *p, __u8 type, __u8 units, __u8 fill)
{
	__u8 o[256];

	memset(o, fill, sizeof(o));
	o[0] = type;
	o[1] = units;
	put(p, o, (size_t)units * 8);
}

static void addr(__u8 a[16], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static int parse(const struct pkt *p, struct ra_pref64 *out, size_t *n)
{
	return ra_parse(p->b, p->len, out, MAXOPT, n);
}

/* 64:ff9b::/96, 600 s: the bytes a router puts on the wire. */
static void test_wire_vector(void **state)
{
	static const __u8 ra[] = {
		134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
		38, 2, 0x02, 0x58, 0x00, 0x64, 0xff, 0x9b,
		0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct ra_pref64 out[MAXOPT];
	__u8 want[16];
	size_t n = 99;

	(void)state;
	addr(want, "64:ff9b::");
	assert_int_equal(ra_parse(ra, sizeof(ra), out, MAXOPT, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(out[0].prefix, want, 16);
	assert_int_equal(out[0].plen, 96);
	assert_int_equal(out[0].lifetime_s, 600);
}

/* PLC 0..5 give 96, 64, 56, 48, 40, 32. */
static void test_every_valid_plc(void **state)
{
	__u8 p96[12] = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44 };
	struct ra_pref64 out[MAXOPT];
	unsigned int plc;
	struct pkt p;
	size_t n;

	(void)state;
	for (plc = 0; plc <= 5; plc++) {
		__u8 want[16] = { 0 };

		ra_start(&p);
		put_pref64_raw(&p, (__u16)(0x0708 | plc), p96);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].plen, plc_plen[plc]);
		assert_int_equal(out[0].lifetime_s, 0x0708);
		memcpy(want, p96, plc_plen[plc] / 8);
		assert_memory_equal(out[0].prefix, want, 16);
	}
}

/* PLC 6 and 7 are reserved: ignore the option, keep going. */
static void test_reserved_plc_ignored(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	struct ra_pref64 out[MAXOPT];
	unsigned int plc;
	struct pkt p;
	size_t n;

	(void)state;
	for (plc = 6; plc <= 7; plc++) {
		ra_start(&p);
		put_pref64_raw(&p, (__u16)(0x0100 | plc), p96);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, 0);

		/* ... and a valid option after it is still found */
		put_pref64_raw(&p, 0x0100 | 1, p96);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].plen, 64);
	}
}

/* Type 38 with length field 1 or 3: ignored but skipped by its length. */
static void test_pref64_bad_length_ignored(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	struct ra_pref64 out[MAXOPT];
	__u8 units;
	struct pkt p;
	size_t n;

	(void)state;
	for (units = 1; units <= 3; units += 2) {
		ra_start(&p);
		/* body bytes 0x00: PLC 0, lifetime 0 -- would parse if used */
		put_opt(&p, 38, units, 0x00);
		put_pref64_raw(&p, 0x0010 | 5, p96);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].plen, 32);
		assert_int_equal(out[0].lifetime_s, 16);
	}
}

/* Length field 0: RFC 4861 says drop the packet, even what came before. */
static void test_length_zero_is_error(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	static const __u8 zero_len[2] = { 38, 0 };
	static const __u8 other_zero[8] = { 1, 0 };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t n = 99;

	(void)state;
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put(&p, zero_len, sizeof(zero_len));
	assert_int_equal(parse(&p, out, &n), -EINVAL);
	assert_int_equal(n, 0);

	ra_start(&p);
	put(&p, other_zero, sizeof(other_zero));
	put_pref64_raw(&p, 0x0100, p96);
	n = 99;
	assert_int_equal(parse(&p, out, &n), -EINVAL);
	assert_int_equal(n, 0);
}

/* Shorter than the RA header: every length from 0 to 15. */
static void test_truncated_header(void **state)
{
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t len, n;

	(void)state;
	ra_start(&p);
	for (len = 0; len < RA_HDR_LEN; len++) {
		n = 99;
		assert_int_equal(ra_parse(p.b, len, out, MAXOPT, &n),
				 -EMSGSIZE);
		assert_int_equal(n, 0);
	}
	assert_int_equal(ra_parse(p.b, RA_HDR_LEN, out, MAXOPT, &n), 0);
	assert_int_equal(n, 0);
}

/* An RA cut inside an option: every cut point is an error, none reads past. */
static void test_truncated_option(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t len, n;

	(void)state;
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put_pref64_raw(&p, 0x0200, p96);
	for (len = RA_HDR_LEN + 1; len < p.len; len++) {
		if (len == RA_HDR_LEN + 16)
			continue;	/* a whole first option: valid */
		n = 99;
		assert_int_equal(ra_parse(p.b, len, out, MAXOPT, &n),
				 -EMSGSIZE);
		assert_int_equal(n, 0);
	}
	assert_int_equal(ra_parse(p.b, RA_HDR_LEN + 16, out, MAXOPT, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 2);
}

/* Bytes after the last option that are not a whole option. */
static void test_trailing_garbage(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	static const __u8 one = 0xab;
	static const __u8 long_opt[4] = { 200, 4, 0, 0 };	/* claims 32 */
	static const __u8 zeros[8] = { 0 };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t n;

	(void)state;
	/* one stray byte: not even an option header */
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put(&p, &one, 1);
	assert_int_equal(parse(&p, out, &n), -EMSGSIZE);
	assert_int_equal(n, 0);

	/* an option header that claims more than is there */
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put(&p, long_opt, sizeof(long_opt));
	assert_int_equal(parse(&p, out, &n), -EMSGSIZE);

	/* zero padding, as a sloppy sender might add: length 0, error */
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put(&p, zeros, sizeof(zeros));
	assert_int_equal(parse(&p, out, &n), -EINVAL);

	/* an unknown but well-formed option at the end is fine */
	ra_start(&p);
	put_pref64_raw(&p, 0x0100, p96);
	put_opt(&p, 200, 1, 0xee);
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 1);
}

/* Several PREF64 options: all returned, in packet order. */
static void test_several_options(void **state)
{
	static const __u8 a[12] = { 0, 0x64, 0xff, 0x9b };
	static const __u8 b[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x64 };
	static const __u8 c[12] = { 0, 0x64, 0xff, 0x9b, 0, 0x01 };
	struct ra_pref64 out[MAXOPT];
	__u8 want[16];
	struct pkt p;
	size_t n;

	(void)state;
	ra_start(&p);
	put_pref64_raw(&p, 0x0000 | 0, a);	/* withdraw the old one */
	put_opt(&p, 1, 1, 0x11);		/* SLLA in between */
	put_pref64_raw(&p, 0x0e10 | 1, b);	/* 3600 s, /64 */
	put_pref64_raw(&p, 0x0258 | 3, c);	/* 600 s, /48 */
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 3);

	addr(want, "64:ff9b::");
	assert_memory_equal(out[0].prefix, want, 16);
	assert_int_equal(out[0].plen, 96);
	assert_int_equal(out[0].lifetime_s, 0);

	addr(want, "2001:db8:64::");
	assert_memory_equal(out[1].prefix, want, 16);
	assert_int_equal(out[1].plen, 64);
	assert_int_equal(out[1].lifetime_s, 3600);

	addr(want, "64:ff9b:1::");
	assert_memory_equal(out[2].prefix, want, 16);
	assert_int_equal(out[2].plen, 48);
	assert_int_equal(out[2].lifetime_s, 600);
}

/* More options than room: the first @max kept, the rest still validated. */
static void test_max_respected(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	static const __u8 zero_len[2] = { 5, 0 };
	struct ra_pref64 out[2];
	struct pkt p;
	size_t n;

	(void)state;
	ra_start(&p);
	put_pref64_raw(&p, 0x0008, p96);
	put_pref64_raw(&p, 0x0010, p96);
	put_pref64_raw(&p, 0x0018, p96);
	assert_int_equal(ra_parse(p.b, p.len, out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].lifetime_s, 8);
	assert_int_equal(out[1].lifetime_s, 16);

	assert_int_equal(ra_parse(p.b, p.len, NULL, 0, &n), 0);
	assert_int_equal(n, 0);

	put(&p, zero_len, sizeof(zero_len));
	assert_int_equal(ra_parse(p.b, p.len, out, 2, &n), -EINVAL);
	assert_int_equal(n, 0);
}

/* Lifetime 0 means withdraw: reported, not dropped. */
static void test_lifetime_zero_reported(void **state)
{
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t n;

	(void)state;
	ra_start(&p);
	put_pref64_raw(&p, 0x0000, p96);
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].lifetime_s, 0);
	assert_int_equal(out[0].plen, 96);
	/* scaled lifetime 0 with the PLC bits set still means 0 seconds */
	ra_start(&p);
	put_pref64_raw(&p, 0x0005, p96);
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].lifetime_s, 0);
	assert_int_equal(out[0].plen, 32);
}

/* bytes 2-3 & 0xfff8 is the lifetime in seconds; the PLC never leaks in. */
static void test_lifetime_scaling(void **state)
{
	static const struct {
		__u16 word;
		int valid;
		__u32 lifetime;
		unsigned int plen;
	} v[] = {
		{ 0xffff, 0, 0, 0 },		/* PLC 7: ignored */
		{ 0xfffe, 0, 0, 0 },		/* PLC 6: ignored */
		{ 0xfffd, 1, 65528, 32 },
		{ 0xfff8, 1, 65528, 96 },
		{ 0x0008, 1, 8, 96 },
		{ 0x000c, 1, 8, 40 },
		{ 0x0709, 1, 1800, 64 },
		{ 0x8002, 1, 32768, 56 },
	};
	static const __u8 p96[12] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
				      0xff, 0xff };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ra_start(&p);
		put_pref64_raw(&p, v[i].word, p96);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, (size_t)v[i].valid);
		if (!v[i].valid)
			continue;
		assert_int_equal(out[0].lifetime_s, v[i].lifetime);
		assert_int_equal(out[0].plen, v[i].plen);
	}
}

/* The options a real RA carries around PREF64 are stepped over. */
static void test_other_options_skipped(void **state)
{
	static const __u8 slla[8] = { 1, 1, 0x02, 0, 0, 0, 0, 0x01 };
	static const __u8 mtu[8] = { 5, 1, 0, 0, 0, 0, 0x05, 0xdc };
	static const __u8 pio[32] = { 3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10,
				      0, 0, 0x07, 0x08, 0, 0, 0, 0,
				      0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const __u8 rdnss[24] = { 25, 3, 0, 0, 0, 0, 0x0e, 0x10,
					0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0x53 };
	static const __u8 p96[12] = { 0, 0x64, 0xff, 0x9b };
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t n;

	(void)state;
	ra_start(&p);
	put(&p, slla, sizeof(slla));
	put(&p, mtu, sizeof(mtu));
	put(&p, pio, sizeof(pio));
	put(&p, rdnss, sizeof(rdnss));
	put_pref64_raw(&p, 0x0e10, p96);
	put(&p, rdnss, sizeof(rdnss));
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].plen, 96);
	assert_int_equal(out[0].lifetime_s, 3600);

	/* only other options: nothing, no error */
	ra_start(&p);
	put(&p, slla, sizeof(slla));
	put(&p, mtu, sizeof(mtu));
	assert_int_equal(parse(&p, out, &n), 0);
	assert_int_equal(n, 0);
}

/* All 96 prefix bits set on the wire: only the first @plen survive. */
static void test_bits_past_length_masked(void **state)
{
	__u8 ones[12];
	struct ra_pref64 out[MAXOPT];
	unsigned int plc, i;
	struct pkt p;
	size_t n;

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	for (plc = 0; plc <= 5; plc++) {
		ra_start(&p);
		put_pref64_raw(&p, (__u16)(0x0100 | plc), ones);
		assert_int_equal(parse(&p, out, &n), 0);
		assert_int_equal(n, 1);
		for (i = 0; i < 16; i++)
			assert_int_equal(out[0].prefix[i],
					 i < plc_plen[plc] / 8 ? 0xff : 0);
	}
}

static void test_not_an_ra(void **state)
{
	struct ra_pref64 out[MAXOPT];
	struct pkt p;
	size_t n;

	(void)state;
	ra_start(&p);
	p.b[0] = 133;			/* Router Solicitation */
	assert_int_equal(parse(&p, out, &n), -EINVAL);
	ra_start(&p);
	p.b[1] = 1;			/* code must be 0 */
	assert_int_equal(parse(&p, out, &n), -EINVAL);
}

/* The one-option entry point, as RTM_NEWNDUSEROPT hands options over. */
static void test_parse_one_option(void **state)
{
	__u8 o[32] = { 38, 2, 0x02, 0x58 | 1, 0x20, 0x01, 0x0d, 0xb8,
		       0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd };
	struct ra_pref64 r;
	__u8 want[16];

	(void)state;
	addr(want, "2001:db8::");
	assert_int_equal(ra_parse_option(o, 16, &r), 1);
	assert_int_equal(r.plen, 64);
	assert_int_equal(r.lifetime_s, 600);
	assert_memory_equal(r.prefix, want, 16);	/* aa bb.. masked */

	/* extra readable bytes after it are not its business */
	assert_int_equal(ra_parse_option(o, sizeof(o), &r), 1);

	assert_int_equal(ra_parse_option(o, 15, &r), -EMSGSIZE);
	assert_int_equal(ra_parse_option(o, 1, &r), -EMSGSIZE);
	assert_int_equal(ra_parse_option(o, 0, &r), -EMSGSIZE);

	o[3] = 0x58 | 6;
	assert_int_equal(ra_parse_option(o, 16, &r), 0);
	o[3] = 0x58;
	o[1] = 3;
	assert_int_equal(ra_parse_option(o, 16, &r), -EMSGSIZE);
	assert_int_equal(ra_parse_option(o, 24, &r), 0);
	o[1] = 0;
	assert_int_equal(ra_parse_option(o, 16, &r), -EINVAL);
	o[0] = 25;
	o[1] = 2;
	assert_int_equal(ra_parse_option(o, 16, &r), 0);
}

/* The options-area walk over an RTM_NEWNDUSEROPT-style options buffer. */
static void test_parse_options_area(void **state)
{
	static const __u8 area[32] = { 5, 1, 0, 0, 0, 0, 0x05, 0xdc,
				       38, 2, 0, 0x08 };
	struct ra_pref64 out[MAXOPT];
	size_t n;

	(void)state;
	assert_int_equal(ra_parse_options(area, 24, out, MAXOPT, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].lifetime_s, 8);
	assert_int_equal(ra_parse_options(area, 0, out, MAXOPT, &n), 0);
	assert_int_equal(n, 0);

	/* a zero tail after the PREF64: error, nothing kept */
	n = 99;
	assert_int_equal(ra_parse_options(area, sizeof(area), out, MAXOPT, &n),
			 -EINVAL);
	assert_int_equal(n, 0);
}

/* Encoder: what it writes, the parser reads back. */
static void test_build_roundtrip(void **state)
{
	static const __u32 lifetimes[] = { 0, 8, 600, 1800, 65528 };
	static const unsigned int plens[] = { 96, 64, 56, 48, 40, 32 };
	__u8 pfx[16], want[16], buf[RA_PREF64_OPT_LEN];
	struct ra_pref64 r;
	size_t i, j;

	(void)state;
	addr(pfx, "2001:db8:122:344::");
	for (i = 0; i < sizeof(plens) / sizeof(plens[0]); i++) {
		for (j = 0; j < sizeof(lifetimes) / sizeof(lifetimes[0]); j++) {
			assert_int_equal(ra_build_pref64_option(buf, pfx,
						plens[i], lifetimes[j]),
					 RA_PREF64_OPT_LEN);
			assert_int_equal(buf[0], 38);
			assert_int_equal(buf[1], 2);
			assert_int_equal(buf[3] & 7, (int)i);
			assert_int_equal(ra_parse_option(buf, sizeof(buf), &r),
					 1);
			assert_int_equal(r.plen, plens[i]);
			assert_int_equal(r.lifetime_s, lifetimes[j]);
			memset(want, 0, sizeof(want));
			memcpy(want, pfx, plens[i] / 8);
			assert_memory_equal(r.prefix, want, 16);
		}
	}
}

static void test_build_rejects_and_rounds(void **state)
{
	static const unsigned int bad[] = { 0, 8, 24, 33, 63, 72, 97, 128,
					    256 };
	__u8 pfx[16], buf[RA_PREF64_OPT_LEN];
	struct ra_pref64 r;
	size_t i;

	(void)state;
	memset(pfx, 0xff, sizeof(pfx));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ra_build_pref64_option(buf, pfx, bad[i], 600),
				 -EINVAL);
	assert_int_equal(ra_build_pref64_option(buf, pfx, 96, 65529), -ERANGE);
	assert_int_equal(ra_build_pref64_option(buf, pfx, 96, UINT32_MAX),
			 -ERANGE);

	/* round up, never down */
	assert_int_equal(ra_build_pref64_option(buf, pfx, 96, 1), 16);
	assert_int_equal(ra_parse_option(buf, 16, &r), 1);
	assert_int_equal(r.lifetime_s, 8);
	assert_int_equal(ra_build_pref64_option(buf, pfx, 96, 65521), 16);
	assert_int_equal(ra_parse_option(buf, 16, &r), 1);
	assert_int_equal(r.lifetime_s, 65528);

	/* bits past the length are not put on the wire */
	assert_int_equal(ra_build_pref64_option(buf, pfx, 40, 8), 16);
	for (i = 4; i < 16; i++)
		assert_int_equal(buf[i], i < 4 + 5 ? 0xff : 0);
}

/* A prefix from a valid option is usable with the shared RFC 6052 code. */
static void test_result_feeds_rfc6052(void **state)
{
	__u8 pfx[16], out6[16], want[16];
	__u8 buf[RA_PREF64_OPT_LEN];
	struct ra_pref64 r;
	__u32 ip4;

	(void)state;
	addr(pfx, "2001:db8:122:300::");
	assert_int_equal(ra_build_pref64_option(buf, pfx, 56, 600), 16);
	assert_int_equal(ra_parse_option(buf, 16, &r), 1);
	assert_true(rfc6052_prefix_valid(r.prefix, r.plen));
	inet_pton(AF_INET, "192.0.2.33", &ip4);
	rfc6052_synthesize(out6, r.prefix, r.plen, ip4);
	addr(want, "2001:db8:122:3c0:0:221::");	/* RFC 6052 section 2.4 */
	assert_memory_equal(out6, want, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_vector),
		cmocka_unit_test(test_every_valid_plc),
		cmocka_unit_test(test_reserved_plc_ignored),
		cmocka_unit_test(test_pref64_bad_length_ignored),
		cmocka_unit_test(test_length_zero_is_error),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_option),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_several_options),
		cmocka_unit_test(test_max_respected),
		cmocka_unit_test(test_lifetime_zero_reported),
		cmocka_unit_test(test_lifetime_scaling),
		cmocka_unit_test(test_other_options_skipped),
		cmocka_unit_test(test_bits_past_length_masked),
		cmocka_unit_test(test_not_an_ra),
		cmocka_unit_test(test_parse_one_option),
		cmocka_unit_test(test_parse_options_area),
		cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_build_rejects_and_rounds),
		cmocka_unit_test(test_result_feeds_rfc6052),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
