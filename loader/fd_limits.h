/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The limits the daemon can honour under its open-file limit, stated. */
#ifndef SOCK464_FD_LIMITS_H
#define SOCK464_FD_LIMITS_H

#include "options.h"

/* Fewer relayed TCP connections than this is refused at start-up. */
#define LIMITS_MIN_CONNS	64
/* Descriptors: per relayed connection (two sockets, two pipes), spare. */
#define LIMITS_FDS_PER_CONN	6
#define LIMITS_FDS_SPARE	64

/*
 * Once the open-file limit is raised: log the connection and flow limits
 * it allows and what it is, or fail (-EMFILE, logged, naming the limit)
 * if it leaves room for fewer than LIMITS_MIN_CONNS connections.
 */
int limits_check(struct options *o);

#endif
