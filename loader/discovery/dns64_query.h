/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 7050 discovery: ask the resolvers (resolv.conf, or --dns64-server)
 * for ipv4only.arpa AAAA through a c-ares channel on the daemon's loop;
 * ask again when the answer's TTL runs out, when the network changes, and
 * after failures with a backoff from 1 s doubling to 1 h.
 */
#ifndef SOCK464_DNS64_QUERY_H
#define SOCK464_DNS64_QUERY_H

#include <ares.h>
#include <stdint.h>
#include "loop.h"

struct discovery;

#define DNS64_MAX_FDS 8

struct dns64_query;

/* A socket c-ares asked the loop to watch. */
struct dns64_fd {
	struct ev_source src;		/* fd -1: free slot */
	struct dns64_query *q;
};

struct dns64_query {
	struct loop *loop;
	struct discovery *disc;
	int netns_fd;			/* where its sockets live; -1: ours */
	ares_channel channel;
	bool channel_ok;
	struct dns64_fd fds[DNS64_MAX_FDS];
	struct timer ares_timer;	/* c-ares' own retransmissions */
	struct timer next;		/* the next discovery */
	uint32_t backoff_s;		/* 0 after a success */
	bool in_flight;
	uint64_t answers, failures;
	char last_error[128];
};

/*
 * @servers: comma-separated addresses, or NULL for resolv.conf; queries
 * leave from network namespace @netns_fd (-1: the daemon's own).
 */
int dns64_query_start(struct dns64_query *q, struct loop *l,
		      struct discovery *d, const char *servers, int netns_fd);
void dns64_query_stop(struct dns64_query *q);
/* Ask again soon (the network changed); the backoff starts over. */
void dns64_query_kick(struct dns64_query *q);

#endif
