// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The status writer (loader/control/sw.c): one description of the fields gives
 * both the text and the JSON of `sock464ctl status`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sw.h"

/* A status shaped like the daemon's: a head line, a list, sections. */
static void describe(struct sw *w, bool have_prefix, bool show_ra)
{
	sw_begin(w, NULL, "daemon: ", ", ");
	sw_u64(w, "pid", "pid %llu", 42);
	sw_str(w, "mode", "mode %s", "static");
	sw_line(w);
	sw_list(w, "cgroups");
	sw_str(w, NULL, "cgroup: %s\n", "/a \"b\"");
	sw_str(w, NULL, "cgroup: %s\n", "/c");
	sw_end(w);
	if (have_prefix) {
		sw_begin(w, "pref64", "in use: ", "");
		sw_str(w, "prefix", "%s", "64:ff9b::/96");
		sw_end(w);
	} else {
		sw_raw(w, "pref64", "null", "in use: none\n");
	}
	sw_begin_if(w, "ra", "RA: ", ", ", show_ra);
	sw_u64(w, "heard", "%llu heard", 3);
	sw_bool(w, "strict", true, NULL);	/* JSON only */
	sw_text(w, "%d text only", 7);
	sw_end(w);
	sw_finish(w);
}

static char *render(bool json, bool have_prefix, bool show_ra)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct sw w = { .out = f, .json = json };

	assert_non_null(f);
	describe(&w, have_prefix, show_ra);
	fclose(f);
	return buf;
}

static void test_text(void **state)
{
	char *t = render(false, true, true);

	(void)state;
	assert_string_equal(t, "daemon: pid 42, mode static\n"
			       "cgroup: /a \"b\"\ncgroup: /c\n"
			       "in use: 64:ff9b::/96\n"
			       "RA: 3 heard, 7 text only\n");
	free(t);
}

/* A field of the top level after its line ended: no separator before it. */
static void test_text_no_prefix_no_ra(void **state)
{
	char *t = render(false, false, false);

	(void)state;
	assert_string_equal(t, "daemon: pid 42, mode static\n"
			       "cgroup: /a \"b\"\ncgroup: /c\n"
			       "in use: none\n");
	free(t);
}

static void test_json(void **state)
{
	char *j = render(true, true, false);

	(void)state;
	assert_string_equal(j, "{\"pid\":42,\"mode\":\"static\",\"cgroups\":[\"/a \\\"b\\\"\",\"/c\"],"
			       "\"pref64\":{\"prefix\":\"64:ff9b::/96\"},"
			       "\"ra\":{\"heard\":3,\"strict\":true}}\n");
	free(j);
	j = render(true, false, true);
	assert_non_null(strstr(j, ",\"pref64\":null,\"ra\":{"));
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_no_prefix_no_ra),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("sw", tests, NULL, NULL);
}
