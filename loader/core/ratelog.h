/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Log lines for events that may repeat without bound (dropped datagrams,
 * refused connections): at most one line a minute for each reason, which
 * also says how many were not logged since the last.  The events are
 * counted apart, in the status.
 */
#ifndef SOCK464_RATELOG_H
#define SOCK464_RATELOG_H

#include <stdbool.h>
#include <stdint.h>
#include "log.h"

#define RATELOG_MS	60000

/* One reason; zero-initialised. */
struct ratelog {
	uint64_t last_ms;		/* loop_now_ms() of the last line */
	unsigned long long quiet;	/* events not logged since */
	bool used;
};

void ratelog(struct ratelog *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
