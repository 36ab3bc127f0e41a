// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RFC 6052 synthesis and extraction (include/rfc6052.h), PREF64 parsing
 * (loader/discovery/prefix.c) and the never-translated ranges (include/sock464.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "prefix.h"
#include "rfc6052.h"
#include "sock464.h"

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

/* RFC 6052 section 2.4, every row, for 192.0.2.33. */
static void test_rfc_table(void **state)
{
	static const struct {
		const char *prefix;
		unsigned int plen;
		const char *expect;
	} rows[] = {
		{ "2001:db8::", 32, "2001:db8:c000:221::" },
		{ "2001:db8:100::", 40, "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::", 48, "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::", 96, "2001:db8:122:344::c000:221" },
		{ "64:ff9b::", 96, "64:ff9b::c000:221" },
	};
	__u8 prefix[16], got[16], want[16];
	__u32 back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v6(rows[i].prefix, prefix);
		v6(rows[i].expect, want);
		assert_true(rfc6052_prefix_valid(prefix, rows[i].plen));
		rfc6052_synthesize(got, prefix, rows[i].plen, v4("192.0.2.33"));
		assert_memory_equal(got, want, 16);
		assert_true(rfc6052_extract(want, prefix, rows[i].plen, &back));
		assert_int_equal(back, v4("192.0.2.33"));
	}
}

/* Every length, many addresses: extract(synthesize(x)) == x, u-octet 0. */
static void test_round_trip(void **state)
{
	static const unsigned int lens[] = { 32, 40, 48, 56, 64, 96 };
	__u8 prefix[16], addr[16];
	__u32 ip, back, seed = 12345;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < 6; i++) {
		memset(prefix, 0, sizeof(prefix));
		memset(prefix, 0xa5, lens[i] / 8);
		if (lens[i] > 64)
			prefix[RFC6052_UOCTET] = 0;
		assert_true(rfc6052_prefix_valid(prefix, lens[i]));
		for (n = 0; n < 1000; n++) {
			seed = seed * 1103515245 + 12345;
			ip = seed ^ (seed >> 16) * 2654435761u;
			rfc6052_synthesize(addr, prefix, lens[i], ip);
			assert_int_equal(addr[RFC6052_UOCTET], 0);
			assert_memory_equal(addr, prefix, lens[i] / 8 > 8 ? 8 : lens[i] / 8);
			assert_true(rfc6052_extract(addr, prefix, lens[i], &back));
			assert_int_equal(back, ip);
		}
	}
}

static void test_rejected_lengths(void **state)
{
	static const unsigned int bad[] = { 0, 8, 16, 24, 31, 33, 63, 65, 72,
					    80, 88, 95, 97, 104, 128, 256 };
	__u8 prefix[16] = { 0x20, 0x01, 0x0d, 0xb8 }, addr[16] = { 0 };
	__u32 ip;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(rfc6052_len_valid(bad[i]));
		assert_false(rfc6052_prefix_valid(prefix, bad[i]));
		assert_false(rfc6052_extract(addr, prefix, bad[i], &ip));
	}
}

static void test_prefix_valid(void **state)
{
	__u8 p[16];

	(void)state;
	v6("2001:db8::", p);
	assert_true(rfc6052_prefix_valid(p, 32));
	v6("2001:db8:1::", p);		/* a bit past /32 */
	assert_false(rfc6052_prefix_valid(p, 32));
	assert_true(rfc6052_prefix_valid(p, 48));
	v6("2001:db8:0:0:ff00::", p);	/* u-octet set */
	assert_false(rfc6052_prefix_valid(p, 96));
	v6("64:ff9b::1", p);		/* a bit past /96 */
	assert_false(rfc6052_prefix_valid(p, 96));
}

/* An address outside the prefix is not extracted. */
static void test_extract_mismatch(void **state)
{
	__u8 p[16], a[16];
	__u32 ip;

	(void)state;
	v6("64:ff9b::", p);
	v6("64:ff9a::c000:221", a);
	assert_false(rfc6052_extract(a, p, 96, &ip));
	v6("2001:db8:122::", p);
	v6("2001:db8:123:c000:2:2100::", a);
	assert_false(rfc6052_extract(a, p, 48, &ip));
	/* the u-octet and suffix are ignored when extracting */
	v6("2001:db8:122:c000:ff02:2100:ffff:1", a);
	assert_true(rfc6052_extract(a, p, 48, &ip));
	assert_int_equal(ip, v4("192.0.2.33"));
}

static void test_pref64_parse(void **state)
{
	static const char *const bad[] = {
		"64:ff9b::", "64:ff9b::/", "64:ff9b::/x", "64:ff9b::/95",
		"64:ff9b::/128", "64:ff9b::/-96", "64:ff9b::/96x", "192.0.2.0/24",
		"2001:db8:1::/32", "2001:db8::ff00:0:0:0/96", "/96", "",
		"64:ff9b::/0096000000000000000000",
		"::ffff:0:0/96", "::/96", "fe80::/64", "ff02::/96",
		"0123456789012345678901234567890123456789012345678901234567890123::/96",
	};
	struct pref64 p;
	char why[160], buf[PREF64_STRLEN];
	size_t i;

	(void)state;
	assert_int_equal(pref64_parse("64:ff9b::/96", &p, why, sizeof(why)), 0);
	assert_int_equal(p.plen, 96);
	assert_string_equal(pref64_format(&p, buf, sizeof(buf)), "64:ff9b::/96");
	assert_int_equal(pref64_parse("2001:db8:100::/40", &p, why, sizeof(why)), 0);
	assert_string_equal(pref64_format(&p, buf, sizeof(buf)), "2001:db8:100::/40");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(pref64_parse(bad[i], &p, why, sizeof(why)), -EINVAL);
		assert_true(why[0] != '\0');
	}
}

static void test_reserved(void **state)
{
	static const char *const never[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.46.0.1", "127.255.255.255",
		"169.254.1.1", "224.0.0.1", "239.255.255.255", "240.0.0.1",
		"255.255.255.255",
	};
	static const char *const translated[] = {
		"1.1.1.1", "192.0.2.33", "198.51.100.10", "203.0.113.1",
		"10.0.0.1", "169.253.255.255", "169.255.0.0", "223.255.255.255",
		"126.255.255.255", "128.0.0.0",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		assert_true(sock464_ip4_reserved(v4(never[i])));
	for (i = 0; i < sizeof(translated) / sizeof(translated[0]); i++)
		assert_false(sock464_ip4_reserved(v4(translated[i])));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_table),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejected_lengths),
		cmocka_unit_test(test_prefix_valid),
		cmocka_unit_test(test_extract_mismatch),
		cmocka_unit_test(test_pref64_parse),
		cmocka_unit_test(test_reserved),
	};

	return cmocka_run_group_tests_name("rfc6052", tests, NULL, NULL);
}
