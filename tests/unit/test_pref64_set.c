// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The PREF64 set (loader/discovery/pref64_set.c): sources, lifetimes, the choice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pref64_set.h"

static struct pref64 P(const char *text)
{
	struct pref64 p;
	char why[160];

	assert_int_equal(pref64_parse(text, &p, why, sizeof(why)), 0);
	return p;
}

static const char *best(const struct pref64_set *s)
{
	static char buf[PREF64_STRLEN];
	const struct pref64_entry *e = pref64_set_best(s);

	return e ? pref64_format(&e->p, buf, sizeof(buf)) : "none";
}

static void test_priority(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 dns = P("64:ff9b::/96"), ra = P("2001:db8:64::/96"),
		      st = P("2001:db8:100::/40");

	(void)state;
	assert_string_equal(best(&s), "none");
	assert_int_equal(pref64_set_learn(&s, &dns, PREF64_DNS64, 0, 600, 1000), PREF64_ADDED);
	assert_string_equal(best(&s), "64:ff9b::/96");
	/* RA wins over DNS64 even when the DNS answer is newer */
	assert_int_equal(pref64_set_learn(&s, &ra, PREF64_RA, 2, 1800, 2000), PREF64_ADDED);
	assert_int_equal(pref64_set_learn(&s, &dns, PREF64_DNS64, 0, 600, 3000), PREF64_UNCHANGED);
	assert_string_equal(best(&s), "2001:db8:64::/96");
	/* static wins over both */
	pref64_set_learn(&s, &st, PREF64_STATIC, 0, PREF64_NEVER_S, 4000);
	assert_string_equal(best(&s), "2001:db8:100::/40");
	assert_int_equal(pref64_set_best(&s)->expires_ms, PREF64_NEVER);
}

static void test_withdraw_falls_back(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 dns = P("64:ff9b::/96"), ra = P("2001:db8:64::/96");

	(void)state;
	pref64_set_learn(&s, &dns, PREF64_DNS64, 0, 600, 0);
	pref64_set_learn(&s, &ra, PREF64_RA, 2, 1800, 0);
	assert_string_equal(best(&s), "2001:db8:64::/96");
	/* lifetime 0 from another link does not withdraw it */
	assert_int_equal(pref64_set_learn(&s, &ra, PREF64_RA, 3, 0, 10), PREF64_IGNORED);
	assert_string_equal(best(&s), "2001:db8:64::/96");
	assert_int_equal(pref64_set_learn(&s, &ra, PREF64_RA, 2, 0, 10), PREF64_WITHDRAWN);
	assert_string_equal(best(&s), "64:ff9b::/96");
	assert_int_equal(s.n, 1);
}

static int expired;
static void count_cb(const struct pref64_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	expired++;
}

static void test_expiry(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 a = P("2001:db8:a::/48"), b = P("2001:db8:b::/48");

	(void)state;
	pref64_set_learn(&s, &a, PREF64_RA, 1, 8, 0);
	pref64_set_learn(&s, &b, PREF64_RA, 1, 16, 0);
	assert_int_equal(pref64_set_next_expiry(&s), 8000);
	expired = 0;
	pref64_set_expire(&s, 7999, count_cb, NULL);
	assert_int_equal(expired, 0);
	pref64_set_expire(&s, 8000, count_cb, NULL);
	assert_int_equal(expired, 1);
	assert_string_equal(best(&s), "2001:db8:b::/48");
	/* a refresh pushes the expiry out */
	pref64_set_learn(&s, &b, PREF64_RA, 1, 16, 10000);
	assert_int_equal(pref64_set_next_expiry(&s), 26000);
	pref64_set_expire(&s, 25999, count_cb, NULL);
	assert_int_equal(s.n, 1);
	pref64_set_expire(&s, 26000, count_cb, NULL);
	assert_int_equal(s.n, 0);
	assert_int_equal(pref64_set_next_expiry(&s), PREF64_NEVER);
	assert_string_equal(best(&s), "none");
}

/* Renumbering: two options in one RA; the longer-lived one is used. */
static void test_renumbering(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 old = P("2001:db8:1::/96"), new = P("2001:db8:2::/64");

	(void)state;
	pref64_set_learn(&s, &old, PREF64_RA, 1, 1800, 0);
	assert_string_equal(best(&s), "2001:db8:1::/96");
	pref64_set_learn(&s, &old, PREF64_RA, 1, 600, 5000);
	pref64_set_learn(&s, &new, PREF64_RA, 1, 1800, 5000);
	assert_string_equal(best(&s), "2001:db8:2::/64");
	assert_int_equal(s.n, 2);
	/* a later announcement of the old one alone makes it current again */
	pref64_set_learn(&s, &old, PREF64_RA, 1, 600, 6000);
	assert_string_equal(best(&s), "2001:db8:1::/96");
}

static void test_dns_answer_replaces(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 a = P("64:ff9b::/96"), b = P("2001:db8:64::/96"),
		      ra = P("2001:db8:aa::/96");

	(void)state;
	pref64_set_learn(&s, &a, PREF64_DNS64, 0, 300, 0);
	pref64_set_learn(&s, &ra, PREF64_RA, 1, 300, 0);
	/* the next answer has only b: a goes, the RA entry stays */
	pref64_set_learn(&s, &b, PREF64_DNS64, 0, 300, 1000);
	expired = 0;
	pref64_set_forget_older(&s, PREF64_DNS64, 1000, count_cb, NULL);
	assert_int_equal(expired, 1);
	assert_int_equal(s.n, 2);
	assert_string_equal(best(&s), "2001:db8:aa::/96");
}

static void test_full(void **state)
{
	struct pref64_set s = { .n = 0 };
	struct pref64 p = P("2001:db8::/96");
	int i;

	(void)state;
	for (i = 0; i < PREF64_SET_MAX; i++)
		assert_int_equal(pref64_set_learn(&s, &p, PREF64_RA, i + 1, 60, 0), PREF64_ADDED);
	assert_int_equal(pref64_set_learn(&s, &p, PREF64_RA, 999, 60, 0), PREF64_FULL);
	assert_int_equal(s.n, PREF64_SET_MAX);
	assert_string_equal(pref64_source_name(PREF64_DNS64), "dns64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_withdraw_falls_back),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_renumbering),
		cmocka_unit_test(test_dns_answer_replaces),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests_name("pref64_set", tests, NULL, NULL);
}
