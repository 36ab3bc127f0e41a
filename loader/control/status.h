/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * "status" and "status json": every section is described once and written
 * in either form by the same code (loader/control/status.c).
 */
#ifndef SOCK464_STATUS_H
#define SOCK464_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sock464.h"

/* The counters, from SOCK464_COUNTERS in include/sock464.h. */
struct counter_desc {
	const char *name;	/* "relay_tcp" */
	unsigned int flags;	/* SOCK464_CNTF_* */
	const char *trace;	/* the words of a trace line; "": the name */
};
extern const struct counter_desc counter_descs[SOCK464_CNT_MAX];

/* One figure of a status section, named for JSON and for the text line. */
struct figure {
	const char *json, *text;	/* text NULL: in the line's head only */
	unsigned long long v;
};

/*
 * A section as text ("NAME: HEAD, 1 open, 2 accepted, ...") or as a JSON
 * member (,"NAME":{"port":1,"open":1,...}).
 */
void figures_write(FILE *out, bool json, const char *name, const char *head,
		   const struct figure *f, size_t n);

/* A JSON string: quotes, backslashes and control characters escaped. */
void json_str(FILE *out, const char *s);

struct daemon;
/* The status, as text or one JSON object. */
int status_write(struct daemon *d, FILE *out, bool json);

#endif
