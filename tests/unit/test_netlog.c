// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-source limiter of log lines caused by the network
 * (loader/discovery/netlog.c), with the loop and the log replaced by stubs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../loader/discovery/netlog.c"

/* Stubs: a clock the test moves, a timer that is only recorded, a log counted. */
static uint64_t now_ms;
static unsigned int logged, timers;
static char last[1024];
enum log_level log_threshold = LOG_INFO;

uint64_t loop_now_ms(void) { return now_ms; }
void timer_arm(struct loop *l, struct timer *t, void (*fn)(struct timer *), uint64_t delay)
{
	(void)l; (void)fn; (void)delay;
	t->armed = true;
	timers++;
}
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	logged++;
}

static unsigned int flushed;
static uint64_t flushed_n;
static void on_summary(const char *src, uint64_t n)
{
	(void)src;
	flushed++;
	flushed_n += n;
}

static void test_burst_then_summary(void **state)
{
	uint64_t summary;
	unsigned int i, allowed = 0;

	(void)state;
	netlog_reset();
	for (i = 0; i < 10000; i++)
		allowed += netlog_allow("fe80::1 on eth0", 1000 + i / 10, &summary);
	assert_int_equal(allowed, NETLOG_BURST);
	/* Another source is not held back by the first one's flood. */
	assert_true(netlog_allow("fe80::2 on eth0", 1500, &summary));
	/* The window ends: the next line comes with the count held back. */
	assert_true(netlog_allow("fe80::1 on eth0", 1000 + NETLOG_WINDOW_MS, &summary));
	assert_int_equal(summary, 10000 - NETLOG_BURST);
}

static void test_flush_after_the_flood(void **state)
{
	uint64_t summary, next;
	unsigned int i;

	(void)state;
	netlog_reset();
	flushed = 0;
	flushed_n = 0;
	for (i = 0; i < 50; i++)
		netlog_allow("src", 0, &summary);
	next = netlog_flush(100, on_summary);
	assert_int_equal(next, NETLOG_WINDOW_MS);
	assert_int_equal(flushed, 0);
	assert_int_equal(netlog_flush(NETLOG_WINDOW_MS, on_summary), 0);
	assert_int_equal(flushed, 1);
	assert_int_equal(flushed_n, 50 - NETLOG_BURST);
	/* Counted once only. */
	assert_true(netlog_allow("src", NETLOG_WINDOW_MS + 1, &summary));
	assert_int_equal(summary, 0);
}

static void test_many_sources_share_one_entry(void **state)
{
	char src[32];
	uint64_t summary;
	unsigned int i, allowed = 0;

	(void)state;
	netlog_reset();
	for (i = 0; i < 100000; i++) {	/* a forged source for every RA */
		snprintf(src, sizeof(src), "fe80::%x", i);
		allowed += netlog_allow(src, 5, &summary);
	}
	assert_true(allowed <= (NETLOG_SOURCES - 1) + NETLOG_BURST);
}

static void test_netlog_msg(void **state)
{
	unsigned int i;

	(void)state;
	netlog_reset();
	netlog_use_loop((struct loop *)1);
	logged = 0;
	timers = 0;
	now_ms = 0;
	for (i = 0; i < 1000; i++)
		netlog_msg(LOG_WARN, "fe80::1", "RA %u ignored", i);
	assert_int_equal(logged, NETLOG_BURST);
	assert_int_equal(timers, 1);
	now_ms = NETLOG_WINDOW_MS;
	netlog_msg(LOG_WARN, "fe80::1", "RA again");
	assert_int_equal(logged, NETLOG_BURST + 2);	/* the summary, then the line */
	assert_string_equal(last, "RA again");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_summary),
		cmocka_unit_test(test_flush_after_the_flood),
		cmocka_unit_test(test_many_sources_share_one_entry),
		cmocka_unit_test(test_netlog_msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
