/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control socket: a unix stream socket (mode 0600, and only root's
 * connections are served) taking one request line per connection, such as
 * "status" or "status json", and answering with text until it closes.
 */
#ifndef SOCK464_CONTROL_H
#define SOCK464_CONTROL_H

#include <stdio.h>
#include "loop.h"

#define CONTROL_DEFAULT_PATH "/run/sock464/control"
#define CONTROL_MAX_CLIENTS 8

struct control;

struct control_client {
	struct ev_source src;		/* fd -1: free slot */
	struct control *ctl;
	char line[256];
	size_t len;
};

struct control {
	struct loop *loop;
	struct ev_source listener;
	char path[108];
	/* Write the answer to @request into @out; 0, or -errno for "error: ...". */
	int (*handle)(const char *request, FILE *out, void *arg);
	void *arg;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

int control_start(struct control *c, struct loop *l, const char *path);
void control_stop(struct control *c);

#endif
