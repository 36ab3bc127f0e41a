/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's single event loop: epoll over file descriptors, each with
 * a callback.  Signals arrive through a signalfd like any other source.
 */
#ifndef SOCK464_LOOP_H
#define SOCK464_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ev_source;
typedef void (*ev_handler)(struct ev_source *src, uint32_t events);

/* Embed in the object a descriptor belongs to; container_of() gets back. */
struct ev_source {
	int fd;
	ev_handler handler;
};

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/*
 * A one-shot timer: arm it, and its callback runs once from the loop after
 * the delay.  Timers are few (prefix lifetimes, DNS refresh), so the loop
 * keeps them in a plain list.
 */
struct timer {
	uint64_t due_ms;		/* loop_now_ms() time */
	void (*fn)(struct timer *t);
	bool armed;
	struct timer *next;
};

struct loop {
	int epfd;
	bool stop;
	struct timer *timers;		/* armed timers, unordered */
	/* Run after each batch of events: frees what handlers retired. */
	void (*after_batch)(void *arg);
	void *after_batch_arg;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
int loop_add(struct loop *l, struct ev_source *src, uint32_t events);
int loop_mod(struct loop *l, struct ev_source *src, uint32_t events);
void loop_del(struct loop *l, struct ev_source *src);
/* Milliseconds on the monotonic clock. */
uint64_t loop_now_ms(void);
/* (Re)arm @t to run @fn after @delay_ms; cancel it.  Both idempotent. */
void timer_arm(struct loop *l, struct timer *t, void (*fn)(struct timer *),
	       uint64_t delay_ms);
void timer_cancel(struct loop *l, struct timer *t);

/* Dispatch events until l->stop; returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);

#endif
