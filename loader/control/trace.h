/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `sock464ctl trace`: the hooks' decisions, from their ring buffer, as one
 * line each (or JSON) to every trace subscriber of the control socket.
 * The hooks only produce events while someone is listening.
 */
#ifndef SOCK464_TRACE_H
#define SOCK464_TRACE_H

#include <stdint.h>
#include "loop.h"

struct hooks;
struct control;
struct ring_buffer;

struct trace {
	struct hooks *hooks;
	struct control *control;
	struct loop *loop;
	struct ring_buffer *rb;
	struct ev_source src;
	int64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t events;
};

int trace_start(struct trace *t, struct loop *l, struct hooks *h,
		struct control *c);
void trace_stop(struct trace *t);
/* Turn the hooks' events on while there are subscribers. */
void trace_subscribers(unsigned int n, struct trace *t);

#endif
