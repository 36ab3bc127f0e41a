// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The choice of TC attachment from the probed features (probe_choose() in
 * loader/datapath/probe.c): every kernel and every tc-attach setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	for (f = 0; f < PROBE_SET_RETVAL; f++) {
		r = choose(ALL & ~BIT(f), OPT_TC_AUTO);
		assert_int_equal(r.mode, TC_MODE_NONE);
		assert_non_null(strstr(r.reason, probe_name(f)));
		r = choose(ALL & ~BIT(f), OPT_TC_CLSACT);
		assert_int_equal(r.mode, TC_MODE_NONE);
	}
	r = choose(ALL & ~BIT(PROBE_REDIRECT_NEIGH) & ~BIT(PROBE_SOCK_MARK), OPT_TC_AUTO);
	assert_string_equal(r.reason,
			    "relay: the kernel lacks bpf_redirect_neigh (5.10), sock_create_mark (4.15)");
}

/*
 * Optional features: a fallback, never the relay.  6.1 (Debian 12) lacks
 * BPF_FIB_LOOKUP_SRC; 5.10 to 5.17 (Debian 11, Ubuntu 22.04's 5.15) also
 * bpf_set_retval.
 */
static void test_fallbacks(void **state)
{
	unsigned int old = ALL & ~BIT(PROBE_TCX) & ~BIT(PROBE_NETNS_COOKIE_TC);
	struct probe_result r;

	(void)state;
	r = choose(old & ~BIT(PROBE_FIB_SRC), OPT_TC_AUTO);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: no tcx links in this kernel (6.6), cls_bpf filters "
			    "instead; without fib_lookup_src (6.8): fallbacks");
	r = choose(old & ~BIT(PROBE_FIB_SRC) & ~BIT(PROBE_SET_RETVAL), OPT_TC_AUTO);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: no tcx links in this kernel (6.6), cls_bpf filters "
			    "instead; without bpf_set_retval (5.18), fib_lookup_src (6.8): fallbacks");
	r = choose(old & ~BIT(PROBE_FIB_SRC) & ~BIT(PROBE_SET_RETVAL) & ~BIT(PROBE_CHECK_MTU),
		   OPT_TC_AUTO);	/* 5.10 and 5.11 */
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: no tcx links in this kernel (6.6), cls_bpf filters "
			    "instead; without bpf_set_retval (5.18), fib_lookup_src (6.8), "
			    "bpf_check_mtu (5.12): fallbacks");
	r = choose(ALL & ~BIT(PROBE_SET_RETVAL), OPT_TC_CLSACT);
	assert_int_equal(r.mode, TC_MODE_CLSACT);
	assert_string_equal(r.reason, "clsact: tc-attach clsact (tcx would be available); "
			    "without bpf_set_retval (5.18): fallbacks");
	/* no fallbacks named when the relay runs anyway */
	r = choose(old & ~BIT(PROBE_SET_RETVAL) & ~BIT(PROBE_REDIRECT_NEIGH), OPT_TC_AUTO);
	assert_string_equal(r.reason, "relay: the kernel lacks bpf_redirect_neigh (5.10)");
}

/* SOCK464_PROBE_DISABLE: named probes answer no, others run (as root) or not. */
static void test_disable(void **state)
{
	(void)state;
	setenv(PROBE_DISABLE_ENV, "tcx,bpf_set_retval", 1);
	assert_false(probe_one(PROBE_TCX));
	assert_false(probe_one(PROBE_SET_RETVAL));
	setenv(PROBE_DISABLE_ENV, "bpf_set_retval_x,tc", 1);
	if (geteuid() == 0)	/* the probes need CAP_BPF */
		assert_true(probe_one(PROBE_SET_RETVAL));
	unsetenv(PROBE_DISABLE_ENV);
	assert_false(probe_one(PROBE_COUNT));
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
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_disable),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
