// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The choice of TC attachment from the probed features (probe_choose() in
 * loader/datapath/probe.c): every kernel and every tc-attach setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"

#define ALL	((1u << PROBE_COUNT) - 1)
#define BIT(f)	(1u << (f))

static struct probe_result choose(unsigned int have, enum opt_tc_attach want)
{
	struct probe_result r = { .have = have };

	probe_choose(&r, want);
	return r;
}

/* 6.6 and later: tcx unless told clsact. */
static void test_tcx_kernel(void **state)
{
	struct probe_result r;

	(void)state;
	r = choose(ALL, OPT_TC_AUTO);
	assert_int_equal(r.mode, TC_MODE_TCX);
	assert_string_equal(r.reason, "tcx: the kernel has tcx links");
	r = choose(ALL, OPT_TC_TCX);
	assert_int_equal(r.mode, TC_MODE_TCX);
	r = choose(ALL, OPT_TC_CLSACT);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: tc-attach clsact (tcx would be available)");
}

/* 6.1 (Debian 12): clsact; no netns cookie in sched_cls does not matter. */
static void test_clsact_kernel(void **state)
{
	unsigned int have = ALL & ~BIT(PROBE_TCX) & ~BIT(PROBE_NETNS_COOKIE_TC);
	struct probe_result r;

	(void)state;
	r = choose(have, OPT_TC_AUTO);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason,
			    "clsact: no tcx links in this kernel (6.6), cls_bpf filters instead");
	r = choose(have, OPT_TC_CLSACT);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: tc-attach clsact");
	r = choose(have, OPT_TC_TCX);
	assert_int_equal(r.mode, TC_MODE_NONE);
	assert_string_equal(r.reason, "relay: tc-attach tcx, but the kernel has no tcx links (6.6)");
}

/* Any required feature missing: the relay, whatever the setting, naming it. */
static void test_missing(void **state)
{
	struct probe_result r;
	unsigned int f;

	(void)state;
	for (f = 0; f < PROBE_NETNS_COOKIE_TC; f++) {
		r = choose(ALL & ~BIT(f), OPT_TC_AUTO);
		assert_int_equal(r.mode, TC_MODE_NONE);
		assert_non_null(strstr(r.reason, probe_name(f)));
		r = choose(ALL & ~BIT(f), OPT_TC_CLSACT);
		assert_int_equal(r.mode, TC_MODE_NONE);
	}
	/* 5.15 (Ubuntu 22.04): bpf_set_retval came in 5.18. */
	r = choose(ALL & ~BIT(PROBE_TCX) & ~BIT(PROBE_NETNS_COOKIE_TC) & ~BIT(PROBE_SET_RETVAL),
		   OPT_TC_AUTO);
	assert_string_equal(r.reason, "relay: the kernel lacks bpf_set_retval (5.18)");
	r = choose(ALL & ~BIT(PROBE_REDIRECT_NEIGH) & ~BIT(PROBE_SOCK_MARK), OPT_TC_AUTO);
	assert_string_equal(r.reason,
			    "relay: the kernel lacks bpf_redirect_neigh (5.10), sock_create_mark (4.15)");
}

static void test_format(void **state)
{
	struct probe_result r = { .have = ALL & ~BIT(PROBE_TCX) };
	char buf[512];

	(void)state;
	probe_format(&r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "sched_cls=yes "));
	assert_non_null(strstr(buf, "bpf_redirect_neigh=yes "));
	assert_non_null(strstr(buf, " tcx=no"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcx_kernel),
		cmocka_unit_test(test_clsact_kernel),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
