/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Log lines caused by what arrives from the network (Router
 * Advertisements, DNS answers), limited per source: at most NETLOG_BURST
 * lines per source in NETLOG_WINDOW_MS; the rest are counted and summed
 * up in one line ("N more messages from fe80::1 on eth0 suppressed") when
 * the window ends.  A flood of RAs cannot flood the log.
 */
#ifndef SOCK464_NETLOG_H
#define SOCK464_NETLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

#define NETLOG_BURST		10
#define NETLOG_WINDOW_MS	10000
#define NETLOG_SOURCES		64	/* more at once share one entry */

struct loop;

/*
 * The limiter itself, pure: may a line from @src be logged at @now?  When
 * @src's last window ended with lines suppressed, *@summary is set to
 * their number (and the caller logs it first); else 0.
 */
bool netlog_allow(const char *src, uint64_t now, uint64_t *summary);
/*
 * Sources whose window ended with lines suppressed: @cb(src, n) for each,
 * and forget them.  Returns when the next window ends (0: none open).
 */
uint64_t netlog_flush(uint64_t now, void (*cb)(const char *src, uint64_t n));
/* Start from nothing (unit tests). */
void netlog_reset(void);

/* The loop whose timer logs the summaries of a flood that stopped. */
void netlog_use_loop(struct loop *l);
/* log_msg(), limited per @src (a source address and link, "DNS64 ..."). */
void netlog_msg(enum log_level level, const char *src, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
