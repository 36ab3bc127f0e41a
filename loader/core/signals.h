/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SIGTERM, SIGINT and SIGHUP through a signalfd in the event loop; SIGPIPE
 * ignored (a client that went away is an error return, not a death).
 */
#ifndef SOCK464_SIGNALS_H
#define SOCK464_SIGNALS_H

#include "loop.h"

struct signals {
	struct ev_source src;		/* fd -1: not set up */
	struct loop *loop;
	void (*reload)(void *arg);	/* SIGHUP */
	void *arg;
};

/* 0 or -errno.  SIGTERM and SIGINT stop the loop. */
int signals_start(struct signals *s, struct loop *l, void (*reload)(void *arg), void *arg);
void signals_stop(struct signals *s);

#endif
