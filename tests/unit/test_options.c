// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Settings (loader/core/options.c): the config file format, every setting's
 * parser and its errors; the policy's address tests (include/sock464.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"
#include "sock464.h"

static struct options o;
static char why[512];

static int parse(const char *text)
{
	options_defaults(&o);
	why[0] = '\0';
	return options_parse_text(&o, text, "test.conf", why, sizeof(why));
}

static void test_full_file(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(parse(
		"# every key\n"
		"cgroup /sys/fs/cgroup/user.slice\n"
		"cgroup   /sys/fs/cgroup/system.slice/app.service   # trailing comment\n"
		"\n"
		"pref64 2001:db8:64::/96\n"
		"interface eth0\n"
		"dns64-server 2001:db8::53\n"
		"dns64-server 192.0.2.53\n"
		"no-ra\n"
		"no-dns64 no\n"
		"exclude 192.0.2.0/24 port 53,8000-8100\n"
		"exclude 198.51.100.7\n"
		"include 203.0.113.0/24\n"
		"wkp-strict no\n"
		"control /run/x.sock\n"
		"max-connections 100\n"
		"max-udp-flows 200\n"
		"max-udp-flows-per-cgroup 20\n"
		"udp-idle-timeout 30\n"
		"data-path kernel\n"
		"verbose yes\n"), 0);
	assert_int_equal(o.ncgroups, 2);
	assert_string_equal(o.cgroups[1], "/sys/fs/cgroup/system.slice/app.service");
	assert_true(o.have_pref64);
	assert_int_equal(o.pref64.plen, 96);
	assert_string_equal(o.interfaces[0], "eth0");
	assert_string_equal(o.dns64_servers, "2001:db8::53,192.0.2.53");
	assert_true(o.no_ra);
	assert_false(o.no_dns64);
	assert_int_equal(o.nrules, 3);
	assert_string_equal(policy_rule_format(&o.rules[0], buf, sizeof(buf)),
			    "exclude 192.0.2.0/24 port 53,8000-8100");
	assert_string_equal(policy_rule_format(&o.rules[1], buf, sizeof(buf)),
			    "exclude 198.51.100.7/32");
	assert_string_equal(policy_rule_format(&o.rules[2], buf, sizeof(buf)),
			    "include 203.0.113.0/24");
	assert_false(o.wkp_strict);
	assert_string_equal(o.control, "/run/x.sock");
	assert_int_equal(o.max_conns, 100);
	assert_int_equal(o.max_udp_flows, 200);
	assert_int_equal(o.max_udp_flows_cg, 20);
	assert_int_equal(o.udp_idle_s, 30);
	assert_string_equal(o.data_path, "kernel");
	assert_true(o.verbose);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_true(o.wkp_strict);
	assert_false(o.have_pref64);
	assert_int_equal(o.max_conns, 16384);
	assert_int_equal(o.udp_idle_s, 180);
	assert_int_equal(o.max_udp_flows, 4096);
	assert_int_equal(o.max_udp_flows_cg, 1024);
	assert_string_equal(o.control, "/run/sock464/control");
	assert_string_equal(o.data_path, "auto");
}

/* Each kind of error names the file, the line and what is wrong. */
static void test_errors(void **state)
{
	static const struct {
		const char *text, *expect;
	} bad[] = {
		{ "cgroup /a\nfrobnicate 1\n", "test.conf:2: frobnicate: unknown setting 'frobnicate'" },
		{ "\n\nmax-connections 0\n", "test.conf:3: max-connections: '0': expected a whole number from 1 to 1048576" },
		{ "max-connections 12x\n", "test.conf:1: max-connections: '12x'" },
		{ "wkp-strict maybe\n", "test.conf:1: wkp-strict: 'maybe': expected yes or no" },
		{ "data-path fast\n", "test.conf:1: data-path: 'fast': expected auto, relay or kernel" },
		{ "exclude 198.51.100.1/24\n", "198.51.100.1/24 has bits set past the prefix length" },
		{ "exclude 300.1.1.1\n", "'300.1.1.1' is not an IPv4 address" },
		{ "exclude 192.0.2.0/33\n", "'33': expected a whole number from 0 to 32" },
		{ "exclude 192.0.2.0/24 port 70000\n", "'70000': expected a whole number from 1 to 65535" },
		{ "exclude 192.0.2.0/24 port 90-80\n", "'80': expected a whole number from 90 to 65535" },
		{ "exclude 192.0.2.0/24 ports 53\n", "expected CIDR [port LIST]" },
		{ "exclude 192.0.2.0/24 port 53 extra\n", "expected CIDR [port LIST]" },
		{ "include 192.0.2.0/24 port 53\n", "include takes no ports" },
		{ "exclude 192.0.2.0/24\ninclude 192.0.2.0/24\n", "test.conf:2: include: 192.0.2.0/24 has a rule already" },
		{ "exclude\n", "expected an IPv4 prefix" },
		{ "pref64 64:ff9b::/80\n", "not allowed by RFC 6052" },
		{ "pref64 ::ffff:0:0/96\n", "IPv4-mapped" },
		{ "dns64-server dns.example\n", "not an IPv6 or IPv4 address" },
		{ "cgroup\n", "test.conf:1: cgroup: the path is missing" },
		{ "interface averyveryverylongname\n", "is too long" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text), -EINVAL);
		if (!strstr(why, bad[i].expect))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, why, bad[i].expect);
	}
}

/* A command line list replaces the file's; other settings just override. */
static void test_command_line_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("cgroup /a\ncgroup /b\nexclude 192.0.2.0/24\npref64 2001:db8:64::/96\n"), 0);
	options_clear_lists(&o, options_list_of("cgroup"));
	assert_int_equal(options_set(&o, "cgroup", "/c", why, sizeof(why)), 0);
	assert_int_equal(options_set(&o, "pref64", "auto", why, sizeof(why)), 0);
	assert_int_equal(o.ncgroups, 1);
	assert_string_equal(o.cgroups[0], "/c");
	assert_false(o.have_pref64);
	assert_int_equal(o.nrules, 1);
	assert_int_equal(options_list_of("pref64"), 0);
	/* --include replaces the file's includes only */
	assert_int_equal(parse("exclude 192.0.2.0/24\ninclude 203.0.113.0/24\n"), 0);
	options_clear_lists(&o, options_list_of("include"));
	assert_int_equal(o.nrules, 1);
	assert_int_equal(o.rules[0].action, RULE_EXCLUDE);
}

static void test_limits(void **state)
{
	char text[64 * 40];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i <= OPT_MAX_CGROUPS; i++)
		n += snprintf(text + n, sizeof(text) - n, "cgroup /c%d\n", i);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(why, "test.conf:65: cgroup: at most 64 cgroups"));
	assert_int_equal(parse("exclude 192.0.2.0/24 port 1,2,3,4,5,6,7,8,9\n"), -EINVAL);
	assert_non_null(strstr(why, "at most 8 port ranges"));
}

static __u32 v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_nonglobal(void **state)
{
	static const char *const nonglobal[] = {
		"0.1.2.3", "10.1.2.3", "100.64.0.1", "100.127.255.255", "127.0.0.1",
		"169.254.1.1", "172.16.0.1", "172.31.255.255", "192.0.0.1",
		"192.0.0.170", "192.0.2.1", "192.168.1.1", "198.18.0.1",
		"198.19.255.255", "198.51.100.10", "203.0.113.5", "224.0.0.1",
		"240.0.0.1", "255.255.255.255",
	};
	static const char *const global[] = {
		"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255",
		"172.32.0.0", "192.0.0.9", "192.0.0.10", "192.0.1.1", "192.0.3.1",
		"192.169.0.1", "198.17.255.255", "198.20.0.0", "198.51.99.1",
		"203.0.112.1", "223.255.255.255",
	};
	__u8 p[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nonglobal) / sizeof(nonglobal[0]); i++)
		if (!sock464_ip4_nonglobal(v4(nonglobal[i])))
			fail_msg("%s should be non-global", nonglobal[i]);
	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (sock464_ip4_nonglobal(v4(global[i])))
			fail_msg("%s should be global", global[i]);
	inet_pton(AF_INET6, "64:ff9b::", p);
	assert_true(sock464_is_wkp(p, 96));
	assert_false(sock464_is_wkp(p, 64));
	inet_pton(AF_INET6, "64:ff9b:1::", p);
	assert_false(sock464_is_wkp(p, 96));
}

/* Issue 13: the config file must be a regular file, and a FIFO never hangs. */
static void test_not_regular(void **state)
{
	char dir[] = "/tmp/sock464-test-XXXXXX", fifo[64];
	static struct options o;

	(void)state;
	assert_non_null(mkdtemp(dir));
	options_defaults(&o);
	assert_int_equal(options_load(&o, dir, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is a directory, not a regular file"));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(options_load(&o, fifo, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is a FIFO, not a regular file"));
	assert_int_equal(options_load(&o, "/dev/null", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is a character device"));
	unlink(fifo);
	rmdir(dir);
}

/* What SIGHUP compares: the same settings read twice are no change. */
static void test_restart_changes(void **state)
{
	static struct options a, b;
	const char *text = "cgroup /c1\ninterface eth0\ninterface eth1\ncontrol /run/x\n"
			   "exclude 192.0.2.0/24\n";
	char names[256];

	(void)state;
	options_defaults(&a);
	assert_int_equal(options_parse_text(&a, text, "a.conf", why, sizeof(why)), 0);
	options_defaults(&b);
	assert_int_equal(options_parse_text(&b, text, "b.conf", why, sizeof(why)), 0);
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 0);
	assert_string_equal(names, "");

	/* a list replaced by a shorter one: what lies past its end is no change */
	options_defaults(&a);
	assert_int_equal(options_parse_text(&a, "cgroup /c1\ninterface eth0\ncontrol /run/x\n"
					    "exclude 192.0.2.0/24\n", "a.conf", why, sizeof(why)), 0);
	options_clear_lists(&b, options_list_of("interface"));
	assert_int_equal(options_set(&b, "interface", "eth0", why, sizeof(why)), 0);
	assert_string_equal(b.interfaces[1], "eth1");	/* left behind */
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 0);

	/* live settings are not named; those that take a restart are */
	assert_int_equal(options_set(&b, "exclude", "198.51.100.0/24", why, sizeof(why)), 0);
	assert_int_equal(options_set(&b, "udp-idle-timeout", "30", why, sizeof(why)), 0);
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 0);
	assert_int_equal(options_set(&b, "control", "/run/y", why, sizeof(why)), 0);
	assert_int_equal(options_set(&b, "dns64-server", "2001:db8::53", why, sizeof(why)), 0);
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 2);
	assert_string_equal(names, "dns64-server, control");

	/* a static prefix changes live; auto <-> static takes a restart */
	assert_int_equal(options_set(&a, "pref64", "2001:db8:64::/96", why, sizeof(why)), 0);
	assert_int_equal(options_set(&b, "pref64", "2001:db8:65::/96", why, sizeof(why)), 0);
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 2);
	assert_int_equal(options_set(&b, "pref64", "auto", why, sizeof(why)), 0);
	assert_int_equal(options_restart_changes(&a, &b, names, sizeof(names)), 3);
	assert_string_equal(names, "pref64, dns64-server, control");
}

/* Applying a reload: the running values of what takes a restart stay. */
static void test_keep_restart(void **state)
{
	static struct options run, n;
	char buf[128];

	(void)state;
	options_defaults(&run);
	assert_int_equal(options_set(&run, "pref64", "2001:db8:64::/96", why, sizeof(why)), 0);
	options_defaults(&n);
	assert_int_equal(options_set(&n, "control", "/run/y", why, sizeof(why)), 0);
	assert_int_equal(options_set(&n, "exclude", "192.0.2.0/24", why, sizeof(why)), 0);
	assert_int_equal(options_set(&n, "max-connections", "5", why, sizeof(why)), 0);
	options_keep_restart(&n, &run);
	assert_string_equal(n.control, "/run/sock464/control");
	assert_int_equal(n.max_conns, run.max_conns);
	assert_true(n.have_pref64);	/* static -> auto: the running prefix stays */
	assert_string_equal(pref64_format(&n.pref64, buf, sizeof(buf)), "2001:db8:64::/96");
	assert_int_equal(n.nrules, 1);	/* live: the new rules */
	assert_int_equal(options_restart_changes(&run, &n, buf, sizeof(buf)), 0);
}

/* Issue 15: how the kernel data path attaches. */
static void test_tc_attach(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(o.tc_attach, OPT_TC_AUTO);
	assert_int_equal(parse("tc-attach clsact\n"), 0);
	assert_int_equal(o.tc_attach, OPT_TC_CLSACT);
	assert_int_equal(parse("tc-attach tcx\n"), 0);
	assert_int_equal(o.tc_attach, OPT_TC_TCX);
	assert_int_equal(parse("tc-attach clsact\ntc-attach auto\n"), 0);
	assert_int_equal(o.tc_attach, OPT_TC_AUTO);
	assert_int_equal(parse("tc-attach tc\n"), -EINVAL);
	assert_string_equal(why, "test.conf:1: tc-attach: 'tc': expected auto, tcx or clsact");
	assert_int_equal(parse("tc-attach\n"), -EINVAL);
	assert_string_equal(why, "test.conf:1: tc-attach: '': expected auto, tcx or clsact");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_command_line_wins),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nonglobal),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_restart_changes),
		cmocka_unit_test(test_keep_restart),
		cmocka_unit_test(test_tc_attach),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
