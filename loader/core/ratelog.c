// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

#include "loop.h"
#include "ratelog.h"

void ratelog(struct ratelog *rl, enum log_level level, const char *fmt, ...)
{
	uint64_t now = loop_now_ms();
	char line[512];
	va_list ap;

	if (rl->used && now - rl->last_ms < RATELOG_MS) {
		rl->quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (rl->quiet)
		log_msg(level, "%s (and %llu more times in the last %llu s)", line,
			rl->quiet, (unsigned long long)(now - rl->last_ms) / 1000);
	else
		log_msg(level, "%s (logged at most once a minute)", line);
	rl->used = true;
	rl->last_ms = now;
	rl->quiet = 0;
}
