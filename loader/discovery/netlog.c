// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loop.h"
#include "netlog.h"

#define OTHERS "other sources"

static struct netlog_src {
	char src[80];			/* "" free */
	uint64_t start;			/* the window's */
	unsigned int lines;		/* logged in it */
	uint64_t suppressed;		/* and not */
} srcs[NETLOG_SOURCES];

void netlog_reset(void)
{
	memset(srcs, 0, sizeof(srcs));
}

/* @src's entry: found, a free or finished one, else the shared one. */
static struct netlog_src *entry(const char *src, uint64_t now)
{
	struct netlog_src *e, *reuse = NULL;

	for (e = srcs; e < srcs + NETLOG_SOURCES - 1; e++) {
		if (!strncmp(e->src, src, sizeof(e->src) - 1))
			return e;
		if (!reuse && (!e->src[0] ||
			       (!e->suppressed && now - e->start >= NETLOG_WINDOW_MS)))
			reuse = e;
	}
	e = reuse ? reuse : &srcs[NETLOG_SOURCES - 1];
	if (!reuse)
		src = OTHERS;
	if (strncmp(e->src, src, sizeof(e->src) - 1)) {
		memset(e, 0, sizeof(*e));
		snprintf(e->src, sizeof(e->src), "%s", src);
		e->start = now;
	}
	return e;
}

bool netlog_allow(const char *src, uint64_t now, uint64_t *summary)
{
	struct netlog_src *e = entry(src, now);

	*summary = 0;
	if (now - e->start >= NETLOG_WINDOW_MS) {
		*summary = e->suppressed;
		e->start = now;
		e->lines = 0;
		e->suppressed = 0;
	}
	if (e->lines < NETLOG_BURST) {
		e->lines++;
		return true;
	}
	e->suppressed++;
	return false;
}

uint64_t netlog_flush(uint64_t now, void (*cb)(const char *src, uint64_t n))
{
	uint64_t next = 0, end;
	struct netlog_src *e;

	for (e = srcs; e < srcs + NETLOG_SOURCES; e++) {
		if (!e->src[0] || !e->suppressed)
			continue;
		end = e->start + NETLOG_WINDOW_MS;
		if (now >= end) {
			cb(e->src, e->suppressed);
			e->suppressed = 0;
		} else if (!next || end < next) {
			next = end;
		}
	}
	return next;
}

static struct loop *netlog_loop;
static struct timer flush_timer;

static void log_summary(const char *src, uint64_t n)
{
	log_warn("%llu more message%s from %s suppressed (at most %d every %d s from one "
		 "source)", (unsigned long long)n, n == 1 ? "" : "s", src, NETLOG_BURST,
		 NETLOG_WINDOW_MS / 1000);
}

static void on_flush(struct timer *t)
{
	uint64_t now = loop_now_ms(), next = netlog_flush(now, log_summary);

	if (next)
		timer_arm(netlog_loop, t, on_flush, next - now);
}

void netlog_use_loop(struct loop *l)
{
	netlog_loop = l;
}

void netlog_msg(enum log_level level, const char *src, const char *fmt, ...)
{
	uint64_t now = loop_now_ms(), summary;
	char line[1024];
	va_list ap;

	if (level > log_threshold)
		return;
	if (!netlog_allow(src, now, &summary)) {
		if (netlog_loop && !flush_timer.armed)
			timer_arm(netlog_loop, &flush_timer, on_flush, NETLOG_WINDOW_MS);
		return;
	}
	if (summary)
		log_summary(src, summary);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, "%s", line);
}
