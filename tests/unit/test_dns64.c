// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for loader/discovery/dns64.c: RFC 7050 discovery from DNS answers.
 *
 * The responses are assembled byte by byte by the small writer below
 * (header, question, answers with compression pointers), never by c-ares,
 * so the tests check the decoder against the wire format itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dns64.h"
#include "rfc6052.h"

#define MAXPFX		8
#define T_A		1
#define T_CNAME		5
#define T_AAAA		28
#define C_IN		1
#define F_RESPONSE	0x8180	/* QR, RD, RA; OPCODE 0, RCODE 0 */
#define F_NXDOMAIN	0x8183
#define QNAME_OFF	12	/* the question name follows the header */

/* ---- a DNS message writer, for tests only ---- */

struct msg {
	__u8 b[2048];
	size_t len;
};

static void put(struct msg *m, const void *d, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, d, n);
	m->len += n;
}

static void put8(struct msg *m, __u8 v)
{
	put(m, &v, 1);
}

static void put16(struct msg *m, __u16 v)
{
	__u8 b[2] = { (__u8)(v >> 8), (__u8)v };

	put(m, b, 2);
}

static void put32(struct msg *m, __u32 v)
{
	put16(m, (__u16)(v >> 16));
	put16(m, (__u16)v);
}

static void set16(struct msg *m, size_t off, __u16 v)
{
	m->b[off] = (__u8)(v >> 8);
	m->b[off + 1] = (__u8)v;
}

/* Labels of dotted @name; ends with the root label unless @ptr is given. */
static void put_name(struct msg *m, const char *name, int ptr)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (__u8)n);
		put(m, name, n);
		name += n + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		put16(m, (__u16)(0xc000 | ptr));
	else
		put8(m, 0);
}

static void put_ptr(struct msg *m, int off)
{
	put16(m, (__u16)(0xc000 | off));
}

static void header(struct msg *m, __u16 flags, __u16 qd, __u16 an)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* A response to "ipv4only.arpa IN AAAA" with @an answers still to come. */
static void response(struct msg *m, __u16 flags, __u16 an)
{
	header(m, flags, 1, an);
	put_name(m, "ipv4only.arpa", -1);
	put16(m, T_AAAA);
	put16(m, C_IN);
}

/* Owner name as a pointer to @owner, then type, class, TTL, RDLENGTH. */
static void rr(struct msg *m, int owner, __u16 type, __u32 ttl, __u16 rdlen)
{
	put_ptr(m, owner);
	put16(m, type);
	put16(m, C_IN);
	put32(m, ttl);
	put16(m, rdlen);
}

static void aaaa(struct msg *m, int owner, __u32 ttl, const __u8 a[16])
{
	rr(m, owner, T_AAAA, ttl, 16);
	put(m, a, 16);
}

static void aaaa_str(struct msg *m, int owner, __u32 ttl, const char *s)
{
	__u8 a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	aaaa(m, owner, ttl, a);
}

/*
 * A CNAME whose target is "@label." followed by a pointer to @ptr;
 * returns the offset of the target name, for the next owner pointer.
 */
static int cname(struct msg *m, int owner, __u32 ttl, const char *label,
		 int ptr)
{
	size_t rdlen_off, start;

	rr(m, owner, T_CNAME, ttl, 0);
	rdlen_off = m->len - 2;
	start = m->len;
	put_name(m, label, ptr);
	set16(m, rdlen_off, (__u16)(m->len - start));
	return (int)start;
}

/* ---- helpers ---- */

static void addr(__u8 a[16], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static __u32 v4(const char *s)
{
	__u32 a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static int parse(const struct msg *m, struct dns64_prefix *out, size_t *n,
		 __u32 *ttl)
{
	return dns64_parse_response(m->b, m->len, out, MAXPFX, n, ttl);
}

static void assert_prefix(const struct dns64_prefix *p, const char *s,
			  unsigned int plen)
{
	__u8 a[16];

	addr(a, s);
	assert_memory_equal(p->prefix, a, 16);
	assert_int_equal(p->plen, plen);
}

/* RFC 6052 section 2.4 prefixes, one per length. */
static const struct {
	const char *prefix;
	unsigned int plen;
} rfc_prefixes[] = {
	{ "2001:db8::", 32 },
	{ "2001:db8:100::", 40 },
	{ "2001:db8:122::", 48 },
	{ "2001:db8:122:300::", 56 },
	{ "2001:db8:122:344::", 64 },
	{ "2001:db8:122:344::", 96 },
};

#define NPREFIXES (sizeof(rfc_prefixes) / sizeof(rfc_prefixes[0]))

/* ---- tests ---- */

static void test_wkp_96(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n = 99;
	__u32 ttl = 99;

	(void)state;
	response(&m, F_RESPONSE, 1);
	aaaa_str(&m, QNAME_OFF, 300, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_prefix(&out[0], "64:ff9b::", 96);
	assert_int_equal(ttl, 300);
}

/* Each RFC 6052 length, each WKA, synthesized by the shared code. */
static void test_each_length(void **state)
{
	static const char *const wkas[] = { "192.0.0.170", "192.0.0.171" };
	struct dns64_prefix out[MAXPFX];
	__u8 pfx[16], a[16];
	size_t i, w, n;
	struct msg m;
	__u32 ttl;

	(void)state;
	for (i = 0; i < NPREFIXES; i++) {
		for (w = 0; w < 2; w++) {
			addr(pfx, rfc_prefixes[i].prefix);
			rfc6052_synthesize(a, pfx, rfc_prefixes[i].plen,
					   v4(wkas[w]));
			response(&m, F_RESPONSE, 1);
			aaaa(&m, QNAME_OFF, 60 + (__u32)i, a);
			assert_int_equal(parse(&m, out, &n, &ttl), 0);
			assert_int_equal(n, 1);
			assert_prefix(&out[0], rfc_prefixes[i].prefix,
				      rfc_prefixes[i].plen);
			assert_int_equal(ttl, 60 + i);
		}
	}
}

/* The usual DNS64 answer: both WKAs, one prefix; TTL is the smaller. */
static void test_both_wkas_one_prefix(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 2);
	aaaa_str(&m, QNAME_OFF, 600, "64:ff9b::c000:aa");
	aaaa_str(&m, QNAME_OFF, 300, "64:ff9b::c000:ab");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_prefix(&out[0], "64:ff9b::", 96);
	assert_int_equal(ttl, 300);
}

static void test_two_prefixes(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 4);
	aaaa_str(&m, QNAME_OFF, 900, "64:ff9b::c000:aa");
	aaaa_str(&m, QNAME_OFF, 120, "2001:db8:122:344:c0:0:aa00:0");
	aaaa_str(&m, QNAME_OFF, 900, "64:ff9b::c000:ab");
	aaaa_str(&m, QNAME_OFF, 900, "2001:db8:122:344:c0:0:ab00:0");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 2);
	assert_prefix(&out[0], "64:ff9b::", 96);
	assert_prefix(&out[1], "2001:db8:122:344::", 64);
	assert_int_equal(ttl, 120);

	/* room for one: the first, and no overflow */
	assert_int_equal(dns64_parse_response(m.b, m.len, out, 1, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_prefix(&out[0], "64:ff9b::", 96);
}

/* Many answers: @max prefixes kept, yet the TTL covers every WKA answer. */
static void test_many_answers(void **state)
{
	struct dns64_prefix out[MAXPFX];
	__u8 a[16];
	struct msg m;
	size_t i, n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 40);
	for (i = 0; i < 40; i++) {
		addr(a, "2001:db8::c000:aa");
		a[5] = (__u8)i;		/* 2001:db8:i::/96 */
		aaaa(&m, QNAME_OFF, 1000 - (__u32)i, a);
	}
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, MAXPFX);
	for (i = 0; i < MAXPFX; i++) {
		assert_int_equal(out[i].plen, 96);
		assert_int_equal(out[i].prefix[5], i);
	}
	assert_int_equal(ttl, 961);
}

/* Same bits, different lengths: two distinct prefixes. */
static void test_same_bits_two_lengths(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 2);
	aaaa_str(&m, QNAME_OFF, 60, "2001:db8:c000:aa::");	/* /32 */
	aaaa_str(&m, QNAME_OFF, 60, "2001:db8::c000:aa");	/* /96 */
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 2);
	assert_prefix(&out[0], "2001:db8::", 32);
	assert_prefix(&out[1], "2001:db8::", 96);
}

/* A resolver that did not synthesize: answer, but no WKA. */
static void test_no_wka(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n = 99;
	__u32 ttl = 99;

	(void)state;
	response(&m, F_RESPONSE, 1);
	aaaa_str(&m, QNAME_OFF, 300, "64:ff9b::102:304");
	assert_int_equal(parse(&m, out, &n, &ttl), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(ttl, 0);
}

/* An answer without a WKA does not lower the TTL or add a prefix. */
static void test_mixed_answers(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 2);
	aaaa_str(&m, QNAME_OFF, 5, "2001:db8::1");
	aaaa_str(&m, QNAME_OFF, 700, "64:ff9b:1::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_prefix(&out[0], "64:ff9b:1::", 96);
	assert_int_equal(ttl, 700);
}

/* The WKA bytes in the right place but u-octet or suffix not zero. */
static void test_not_canonical(void **state)
{
	static const char *const bad[] = {
		"2001:db8:122:344:1c0:0:aa00:0",	/* /64, u-octet 01 */
		"2001:db8:122:344:c0:0:aa00:1",		/* /64, suffix */
		"2001:db8:c000:aa:100::",		/* /32, u-octet */
		"2001:db8:c000:aa::1",			/* /32, suffix */
		"64:ff9b::100:0:c000:aa",		/* /96, u-octet */
	};
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t i, n;
	__u32 ttl;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		response(&m, F_RESPONSE, 1);
		aaaa_str(&m, QNAME_OFF, 60, bad[i]);
		assert_int_equal(parse(&m, out, &n, &ttl), -ENOENT);
	}

	/* the control: a /40 shape, zero wherever it must be */
	response(&m, F_RESPONSE, 1);
	aaaa_str(&m, QNAME_OFF, 60, "2001:db8:1c0:0:aa::");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_prefix(&out[0], "2001:db8:100::", 40);
}

/*
 * ipv4only.arpa CNAME synth.ipv4only.arpa (compressed: label + pointer),
 * then the AAAA owned by a pointer to that CNAME target.  c-ares follows
 * the chain; the TTL is bounded by the CNAME's too.
 */
static void test_cname_then_aaaa(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;
	int target;

	(void)state;
	response(&m, F_RESPONSE, 2);
	target = cname(&m, QNAME_OFF, 100, "synth", QNAME_OFF);
	aaaa_str(&m, target, 300, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_prefix(&out[0], "64:ff9b::", 96);
	assert_int_equal(ttl, 100);

	/* a CNAME target written out in full, AAAA TTL the smaller one */
	response(&m, F_RESPONSE, 2);
	target = cname(&m, QNAME_OFF, 3600, "dns64.example", -1);
	aaaa_str(&m, target, 30, "64:ff9b::c000:ab");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ttl, 30);
}

/* An AAAA record for a name that is not in the chain is not used. */
static void test_unrelated_owner(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 1);
	put_name(&m, "evil.example", -1);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	put32(&m, 60);
	put16(&m, 16);
	put(&m, (const __u8[16]){ 0, 0x64, 0xff, 0x9b, [12] = 0xc0, 0, 0,
				  0xaa }, 16);
	assert_int_equal(parse(&m, out, &n, &ttl), -ENODATA);
}

static void test_nxdomain(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n = 99;
	__u32 ttl = 99;

	(void)state;
	response(&m, F_NXDOMAIN, 0);
	assert_int_equal(parse(&m, out, &n, &ttl), -EREMOTEIO);
	assert_int_equal(n, 0);
	assert_int_equal(ttl, 0);

	/* an error RCODE wins even if answers are (wrongly) present */
	response(&m, F_NXDOMAIN, 1);
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), -EREMOTEIO);
}

/* NOERROR/NODATA: no DNS64 on this network. */
static void test_zero_answers(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	response(&m, F_RESPONSE, 0);
	assert_int_equal(parse(&m, out, &n, &ttl), -ENODATA);

	/* only an A record (a wrong but seen answer): no AAAA either */
	response(&m, F_RESPONSE, 1);
	rr(&m, QNAME_OFF, T_A, 60, 4);
	put32(&m, 0xc00000aa);
	assert_int_equal(parse(&m, out, &n, &ttl), -ENODATA);

	/* a CNAME and nothing after it */
	response(&m, F_RESPONSE, 1);
	cname(&m, QNAME_OFF, 60, "synth", QNAME_OFF);
	assert_int_equal(parse(&m, out, &n, &ttl), -ENODATA);
}

/* Every cut of a good answer fails cleanly, never reading past the end. */
static void test_truncated(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t len, n;
	__u32 ttl;
	int err;

	(void)state;
	response(&m, F_RESPONSE, 2);
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:aa");
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:ab");
	for (len = 0; len < m.len; len++) {
		n = 99;
		err = dns64_parse_response(m.b, len, out, MAXPFX, &n, &ttl);
		if (len < 12)
			assert_int_equal(err, -EMSGSIZE);
		else
			assert_int_equal(err, -EBADMSG);
		assert_int_equal(n, 0);
	}
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
}

static void test_not_our_question(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;

	(void)state;
	/* a query, not a response */
	response(&m, 0x0100, 1);
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), -EINVAL);

	/* another name */
	header(&m, F_RESPONSE, 1, 1);
	put_name(&m, "example.com", -1);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), -EINVAL);

	/* QTYPE A */
	header(&m, F_RESPONSE, 1, 0);
	put_name(&m, "ipv4only.arpa", -1);
	put16(&m, T_A);
	put16(&m, C_IN);
	assert_int_equal(parse(&m, out, &n, &ttl), -EINVAL);

	/* two questions */
	header(&m, F_RESPONSE, 2, 0);
	put_name(&m, "ipv4only.arpa", -1);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	put_ptr(&m, QNAME_OFF);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	assert_int_equal(parse(&m, out, &n, &ttl), -EINVAL);

	/* case does not matter in DNS names */
	header(&m, F_RESPONSE, 1, 1);
	put_name(&m, "IPv4Only.ARPA", -1);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	aaaa_str(&m, QNAME_OFF, 60, "64:ff9b::c000:aa");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
}

/* A compression pointer that points at itself. */
static void test_pointer_loop(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl;
	size_t self;

	(void)state;
	response(&m, F_RESPONSE, 1);
	self = m.len;
	put_ptr(&m, (int)self);
	put16(&m, T_AAAA);
	put16(&m, C_IN);
	put32(&m, 60);
	put16(&m, 16);
	put(&m, (const __u8[16]){ 0 }, 16);
	assert_int_equal(parse(&m, out, &n, &ttl), -EBADMSG);
}

/* RFC 2181 section 8: a TTL with the top bit set counts as 0. */
static void test_ttl_top_bit(void **state)
{
	struct dns64_prefix out[MAXPFX];
	struct msg m;
	size_t n;
	__u32 ttl = 99;

	(void)state;
	response(&m, F_RESPONSE, 2);
	aaaa_str(&m, QNAME_OFF, 600, "64:ff9b::c000:aa");
	aaaa_str(&m, QNAME_OFF, 0x80000000u, "64:ff9b::c000:ab");
	assert_int_equal(parse(&m, out, &n, &ttl), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ttl, 0);
}

static void test_find_prefix(void **state)
{
	struct dns64_prefix p;
	__u8 pfx[16], a[16];
	size_t i;

	(void)state;
	for (i = 0; i < NPREFIXES; i++) {
		addr(pfx, rfc_prefixes[i].prefix);
		rfc6052_synthesize(a, pfx, rfc_prefixes[i].plen,
				   v4("192.0.0.171"));
		assert_int_equal(dns64_find_prefix(a, &p), 1);
		assert_int_equal(p.plen, rfc_prefixes[i].plen);
		assert_true(rfc6052_prefix_valid(p.prefix, p.plen));

		/* any other IPv4 address: no match */
		rfc6052_synthesize(a, pfx, rfc_prefixes[i].plen,
				   v4("192.0.0.172"));
		assert_int_equal(dns64_find_prefix(a, &p), 0);
	}
}

static void test_build_query(void **state)
{
	static const __u8 want[] = {
		0xbe, 0xef,		/* ID */
		0x01, 0x00,		/* RD only */
		0, 1, 0, 0, 0, 0, 0, 0,	/* QD 1; no AN, NS, AR (no OPT) */
		8, 'i', 'p', 'v', '4', 'o', 'n', 'l', 'y',
		4, 'a', 'r', 'p', 'a', 0,
		0, 28, 0, 1,		/* AAAA IN */
	};
	__u8 buf[DNS64_QUERY_MAX];

	(void)state;
	assert_int_equal(dns64_build_query(0xbeef, buf, sizeof(buf)),
			 sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(dns64_build_query(1, buf, sizeof(want) - 1),
			 -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wkp_96),
		cmocka_unit_test(test_each_length),
		cmocka_unit_test(test_both_wkas_one_prefix),
		cmocka_unit_test(test_two_prefixes),
		cmocka_unit_test(test_many_answers),
		cmocka_unit_test(test_same_bits_two_lengths),
		cmocka_unit_test(test_no_wka),
		cmocka_unit_test(test_mixed_answers),
		cmocka_unit_test(test_not_canonical),
		cmocka_unit_test(test_cname_then_aaaa),
		cmocka_unit_test(test_unrelated_owner),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_zero_answers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_our_question),
		cmocka_unit_test(test_pointer_loop),
		cmocka_unit_test(test_ttl_top_bit),
		cmocka_unit_test(test_find_prefix),
		cmocka_unit_test(test_build_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
