/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control socket: a unix stream socket (mode 0600, and only root's
 * connections are served) taking one request line per connection, such as
 * "status" or "status json", and answering with text until it closes; or,
 * for "trace", keeping the connection open as a subscriber that every
 * control_broadcast() line is written to.
 */
#ifndef SOCK464_CONTROL_H
#define SOCK464_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "loop.h"
#include "protocol.h"

#define CONTROL_MAX_CLIENTS 64
/* A client that has not sent its whole request line by then is dropped. */
#define CONTROL_READ_TIMEOUT_MS 3000

struct control;

struct control_client {
	struct ev_source src;		/* fd -1: free slot */
	struct control *ctl;
	char line[CONTROL_LINE_MAX];	/* one request; longer ones are refused */
	size_t len;
	uint64_t since_ms;		/* accepted at (loop_now_ms) */
	bool subscribed;
	bool json;			/* the subscriber asked for JSON lines */
};

/* A handler's answer: close after the reply, or keep as a subscriber. */
#define CONTROL_CLOSE		0
#define CONTROL_SUBSCRIBE	1

struct control {
	struct loop *loop;
	struct ev_source listener;
	char path[108];
	dev_t dev;			/* the socket file we made there */
	ino_t ino;
	/*
	 * Write the answer to @request into @out; CONTROL_CLOSE,
	 * CONTROL_SUBSCRIBE (with *@json set as the subscriber wants), or
	 * -errno for "error: ...".
	 */
	int (*handle)(const char *request, FILE *out, bool *json, void *arg);
	/* The number of subscribers changed. */
	void (*subscribers)(unsigned int n, void *arg);
	void *arg;
	unsigned int nsubscribed;
	uint64_t dropped;		/* lines a slow subscriber missed */
	struct timer idle;		/* drops clients silent too long */
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

int control_start(struct control *c, struct loop *l, const char *path);
/*
 * The path of the file @name beside the control socket @control (where the
 * daemon keeps its state across a restart): "DIR/@name".
 */
void control_beside(char *buf, size_t len, const char *control, const char *name);
void control_stop(struct control *c);
/* Send @line to every subscriber wanting @json lines (never blocks). */
void control_broadcast(struct control *c, const char *line, bool json);

#endif
