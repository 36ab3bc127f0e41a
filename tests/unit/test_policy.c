// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The policy compiler (loader/netns/policy.c): include/exclude rules into the
 * entries of the sock464_rules trie, which finds only the most specific.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

static struct options o;

/* Rules from "exclude ..." / "include ..." lines, in order. */
static void rules(const char *const *lines, unsigned int n)
{
	char why[256], key[16];
	unsigned int i;

	options_defaults(&o);
	for (i = 0; i < n; i++) {
		sscanf(lines[i], "%15s", key);
		assert_int_equal(options_set(&o, key, lines[i] + strlen(key) + 1, why,
					     sizeof(why)), 0);
	}
}

static struct hooks_lpm_entry entry(unsigned int i, bool *complete)
{
	struct hooks_lpm_entry e;

	*complete = policy_rule_entry(&o, i, &e);
	return e;
}

static void test_covers(void **state)
{
	static const char *const l[] = { "exclude 0.0.0.0/0", "exclude 192.0.2.0/24",
					  "exclude 192.0.2.128/25", "exclude 198.51.100.0/24" };

	(void)state;
	rules(l, 4);
	assert_true(policy_rule_covers(&o.rules[0], &o.rules[1]));	/* /0: everything */
	assert_true(policy_rule_covers(&o.rules[1], &o.rules[2]));
	assert_false(policy_rule_covers(&o.rules[2], &o.rules[1]));	/* narrower */
	assert_false(policy_rule_covers(&o.rules[1], &o.rules[1]));	/* itself */
	assert_false(policy_rule_covers(&o.rules[1], &o.rules[3]));	/* disjoint */
}

static void test_plain_rules(void **state)
{
	static const char *const l[] = { "include 203.0.113.0/24", "exclude 192.0.2.0/24" };
	struct hooks_lpm_entry e;
	bool ok;

	(void)state;
	rules(l, 2);
	e = entry(0, &ok);
	assert_true(ok);
	assert_int_equal(e.plen, 24);
	assert_int_equal(e.ip4, inet_addr("203.0.113.0"));
	assert_int_equal(e.rule.action, SOCK464_RULE_INCLUDE);
	assert_int_equal(e.rule.nports, 0);
	e = entry(1, &ok);
	assert_int_equal(e.rule.action, SOCK464_RULE_EXCLUDE);
	assert_int_equal(e.rule.nports, 0);
	assert_int_equal(e.rule.fallback, 0);
}

/* A port-limited exclude alone: the other ports follow the routes (no fallback). */
static void test_ports_alone(void **state)
{
	static const char *const l[] = { "exclude 192.0.2.0/24 port 53,8000-8100" };
	struct hooks_lpm_entry e;
	bool ok;

	(void)state;
	rules(l, 1);
	e = entry(0, &ok);
	assert_true(ok);
	assert_int_equal(e.rule.nports, 2);
	assert_int_equal(e.rule.ports[0].lo, 53);
	assert_int_equal(e.rule.ports[0].hi, 53);
	assert_int_equal(e.rule.ports[1].lo, 8000);
	assert_int_equal(e.rule.ports[1].hi, 8100);
	assert_int_equal(e.rule.fallback, 0);
}

/* Inside an include: its other ports are translated. */
static void test_fallback_include(void **state)
{
	static const char *const l[] = { "include 192.0.2.0/24", "exclude 192.0.2.7 port 22" };
	struct hooks_lpm_entry e;
	bool ok;

	(void)state;
	rules(l, 2);
	e = entry(1, &ok);
	assert_true(ok);
	assert_int_equal(e.rule.nports, 1);
	assert_int_equal(e.rule.fallback, SOCK464_RULE_INCLUDE);
}

/*
 * Broader port-limited excludes merge their ports in, most specific first;
 * the first all-port exclude above them is the fallback and ends the walk
 * (the include above that no longer counts).
 */
static void test_merge_then_fallback(void **state)
{
	static const char *const l[] = {
		"include 192.0.0.0/16", "exclude 192.0.0.0/20", "exclude 192.0.2.0/24 port 80",
		"exclude 192.0.2.0/26 port 443", "exclude 192.0.2.1/32 port 22",
	};
	struct hooks_lpm_entry e;
	bool ok;

	(void)state;
	rules(l, 5);
	e = entry(4, &ok);
	assert_true(ok);
	assert_int_equal(e.rule.nports, 3);
	assert_int_equal(e.rule.ports[0].lo, 22);
	assert_int_equal(e.rule.ports[1].lo, 443);
	assert_int_equal(e.rule.ports[2].lo, 80);
	assert_int_equal(e.rule.fallback, SOCK464_RULE_EXCLUDE);
	e = entry(2, &ok);	/* /24 port 80: only the /20 above it */
	assert_int_equal(e.rule.nports, 1);
	assert_int_equal(e.rule.fallback, SOCK464_RULE_EXCLUDE);
}

/* More port ranges than an entry holds: the first ones kept, false. */
static void test_too_many_ports(void **state)
{
	static const char *const l[] = {
		"exclude 192.0.2.0/24 port 1,2,3,4,5", "exclude 192.0.2.0/25 port 6,7,8,9,10",
	};
	struct hooks_lpm_entry e;
	bool ok;

	(void)state;
	rules(l, 2);
	e = entry(1, &ok);
	assert_false(ok);
	assert_int_equal(e.rule.nports, SOCK464_RULE_PORTS);
	assert_int_equal(e.rule.ports[4].lo, 10);
	assert_int_equal(e.rule.ports[5].lo, 1);
	assert_int_equal(e.rule.ports[7].lo, 3);
	e = entry(0, &ok);
	assert_true(ok);
	assert_int_equal(e.rule.nports, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_plain_rules),
		cmocka_unit_test(test_ports_alone),
		cmocka_unit_test(test_fallback_include),
		cmocka_unit_test(test_merge_then_fallback),
		cmocka_unit_test(test_too_many_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
