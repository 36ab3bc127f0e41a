// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

int loop_init(struct loop *l)
{
	l->stop = false;
	l->timers = NULL;
	l->after_batch = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, struct ev_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, src->fd, &ev) ? -errno : 0;
}

int loop_mod(struct loop *l, struct ev_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, src->fd, &ev) ? -errno : 0;
}

void loop_del(struct loop *l, struct ev_source *src)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void timer_cancel(struct loop *l, struct timer *t)
{
	struct timer **pp;

	if (!t->armed)
		return;
	for (pp = &l->timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->armed = false;
}

void timer_arm(struct loop *l, struct timer *t, void (*fn)(struct timer *),
	       uint64_t delay_ms)
{
	timer_cancel(l, t);
	t->fn = fn;
	t->due_ms = loop_now_ms() + delay_ms;
	t->armed = true;
	t->next = l->timers;
	l->timers = t;
}

/* Milliseconds until the next timer is due, for epoll_wait; -1: none. */
static int next_timeout(struct loop *l)
{
	uint64_t now = loop_now_ms(), soonest = UINT64_MAX;
	struct timer *t;

	for (t = l->timers; t; t = t->next)
		if (t->due_ms < soonest)
			soonest = t->due_ms;
	if (soonest == UINT64_MAX)
		return -1;
	if (soonest <= now)
		return 0;
	return soonest - now > INT_MAX ? INT_MAX : (int)(soonest - now);
}

/* Run every timer that is due; a callback may arm or cancel timers. */
static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	struct timer *t;

again:
	for (t = l->timers; t; t = t->next)
		if (t->due_ms <= now) {
			timer_cancel(l, t);
			t->fn(t);
			goto again;
		}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];
	int i, n;

	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 64, next_timeout(l));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			struct ev_source *src = evs[i].data.ptr;

			src->handler(src, evs[i].events);
		}
		if (l->after_batch)
			l->after_batch(l->after_batch_arg);
		run_timers(l);
	}
	return 0;
}
