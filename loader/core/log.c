// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

enum log_level log_threshold = LOG_INFO;

/*
 * Under systemd (JOURNAL_STREAM set) each line starts with "<N>" so that
 * journald keeps its level (sd-daemon(3)); on a terminal, with a word.
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const journal[] = { "<3>", "<4>", "<6>", "<7>" };
	static const char *const tty[] = { "error: ", "warning: ", "", "debug: " };
	static int to_journal = -1;
	va_list ap;

	if (level > log_threshold)
		return;
	if (to_journal < 0)
		to_journal = getenv("JOURNAL_STREAM") != NULL;
	fputs(to_journal ? journal[level] : tty[level], stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
