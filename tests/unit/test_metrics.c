// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sock464ctl metrics: the Prometheus text made from "status json" (ctl/metrics.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

/* metrics_format() of @json, as a string the caller frees. */
static char *format(const char *json, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*ret = metrics_format(json, f);
	fclose(f);
	return text;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("'%s' not in:\n%s", line, text);
}

/* Labels escaped; counters of each cgroup; a missing prefix gives no info sample. */
static void test_labels_and_cgroups(void **state)
{
	int ret;
	char *t = format("{\"uptime_s\":7,\"pref64\":null,\"prefixes\":[],"
			 "\"counters\":{\"relay_tcp\":3},"
			 "\"cgroup_counters\":{\"/sys/fs/cgroup/a\\\"b\\\\c\":{\"relay_tcp\":2}},"
			 "\"policy\":{\"routes\":4,\"default_route\":true,\"default_route_dev\":\"clat0\","
			 "\"wkp_strict\":false,\"rules\":[\"exclude 192.0.2.0/24\"]}}", &ret);

	(void)state;
	assert_int_equal(ret, 0);
	has(t, "# TYPE sock464_decisions_total counter\n");
	has(t, "sock464_decisions_total{reason=\"relay_tcp\"} 3\n");
	has(t, "sock464_cgroup_decisions_total{cgroup=\"/sys/fs/cgroup/a\\\"b\\\\c\",reason=\"relay_tcp\"} 2\n");
	has(t, "# TYPE sock464_pref64_info gauge\n");
	assert_null(strstr(t, "sock464_pref64_info{"));
	has(t, "sock464_ipv4_default_route{device=\"clat0\"} 1\n");
	has(t, "sock464_ipv4_routes 4\n");
	has(t, "sock464_wkp_strict 0\n");
	has(t, "sock464_policy_rules 1\n");
	has(t, "sock464_uptime_seconds 7\n");
	free(t);
}

/* Prefix ages and lifetimes; forever is +Inf. */
static void test_prefixes(void **state)
{
	int ret;
	char *t = format("{\"pref64\":{\"prefix\":\"64:ff9b::/96\",\"source\":\"ra\"},\"prefixes\":["
			 "{\"prefix\":\"64:ff9b::/96\",\"source\":\"ra\",\"interface\":\"eth0\","
			 "\"lifetime_s\":600,\"age_s\":12,\"in_use\":true},"
			 "{\"prefix\":\"2001:db8:64::/96\",\"source\":\"static\",\"interface\":null,"
			 "\"lifetime_s\":null,\"age_s\":99,\"in_use\":false}]}", &ret);

	(void)state;
	assert_int_equal(ret, 0);
	has(t, "sock464_pref64_info{prefix=\"64:ff9b::/96\",source=\"ra\"} 1\n");
	has(t, "sock464_pref64_age_seconds{prefix=\"64:ff9b::/96\",source=\"ra\",interface=\"eth0\"} 12\n");
	has(t, "sock464_pref64_lifetime_seconds{prefix=\"64:ff9b::/96\",source=\"ra\",interface=\"eth0\"} 600\n");
	has(t, "sock464_pref64_lifetime_seconds{prefix=\"2001:db8:64::/96\",source=\"static\",interface=\"\"} +Inf\n");
	free(t);
}

/* What this version does not know is exported, not dropped. */
static void test_unknown_members(void **state)
{
	int ret;
	char *t = format("{\"counters\":{\"xlat_v4_out\":5},"
			 "\"translator\":{\"packets_out\":11,\"mtu-drops\":2,\"name\":\"tc\"},"
			 "\"relay\":{\"port\":1,\"netns_cookie\":4096,\"accepted\":8,\"new_thing\":1},"
			 "\"future\":3}", &ret);

	(void)state;
	assert_int_equal(ret, 0);
	has(t, "sock464_decisions_total{reason=\"xlat_v4_out\"} 5\n");
	has(t, "# TYPE sock464_translator_packets_out untyped\nsock464_translator_packets_out 11\n");
	has(t, "sock464_translator_mtu_drops 2\n");
	has(t, "sock464_relay_tcp_connections_total{netns=\"4096\"} 8\n");
	has(t, "sock464_relay_tcp_new_thing{netns=\"4096\"} 1\n");
	has(t, "sock464_future 3\n");
	assert_null(strstr(t, "sock464_translator_name"));
	assert_null(strstr(t, "_port"));
	free(t);
}

static void test_not_json(void **state)
{
	int ret;
	char *t;

	(void)state;
	t = format("error: something", &ret);
	assert_int_equal(ret, -EINVAL);
	free(t);
	t = format("[1, 2]", &ret);
	assert_int_equal(ret, -EINVAL);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_and_cgroups),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_unknown_members),
		cmocka_unit_test(test_not_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
