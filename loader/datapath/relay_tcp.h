/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TCP relay: accepts the AF_INET connections that cgroup/connect4
 * sent to it, opens an AF_INET6 connection to the synthesized destination
 * for each, and splices bytes both ways.
 */
#ifndef SOCK464_RELAY_TCP_H
#define SOCK464_RELAY_TCP_H

#include <stdint.h>
#include "loop.h"
#include "ratelog.h"

struct hooks;
struct conn;

struct relay_tcp_stats {
	uint64_t accepted;	/* connections relayed */
	uint64_t unknown;	/* connections the hooks did not send: closed */
	uint64_t over_limit;	/* refused: --max-connections reached */
	uint64_t accept_failed;	/* accept(), pipes or the IPv6 socket failed (descriptors, ...) */
	uint64_t upstream_failed; /* the IPv6 connect failed: reset sent */
	uint64_t reset;		/* aborted by a reset or error on either side */
	uint64_t completed;	/* both directions closed cleanly */
};

/* Empty pipes kept for reuse: creating two per connection is costly. */
#define RELAY_PIPE_POOL 256

/*
 * What one direction of a connection may hold in its pipe of @cap bytes
 * while @conns relayed connections are open (in every relay of the
 * daemon): the whole pipe while few are, else an equal share of
 * RELAY_PIPE_BUDGET, never less than RELAY_PIPE_MIN.
 */
#define RELAY_PIPE_BUDGET	(256u << 20)
#define RELAY_PIPE_MIN		(64u << 10)

static inline unsigned int relay_pipe_share(unsigned int conns, unsigned int cap)
{
	unsigned int share = RELAY_PIPE_BUDGET / 2 / (conns ? conns : 1);

	if (share < RELAY_PIPE_MIN)
		share = RELAY_PIPE_MIN;
	return share < cap ? share : cap;
}

struct relay_pipe {
	int rfd, wfd;
	unsigned int cap;	/* its size, F_GETPIPE_SZ */
};

struct relay_tcp {
	struct loop *loop;
	struct hooks *hooks;
	struct ev_source listener;
	int netns_fd;		/* the namespace it serves; -1: the daemon's */
	uint64_t netns_cookie;
	uint32_t addr;		/* listening address, network order */
	uint16_t port;		/* listening port, network order */
	unsigned int nconns, max_conns;
	struct conn *live;	/* every open connection */
	struct conn *retired;	/* closed in this batch; freed after it */
	struct relay_tcp_stats stats;
	/* one log line a minute for each reason connections are refused */
	struct ratelog log_unknown, log_over, log_accept, log_uid;
	struct relay_pipe pipes[RELAY_PIPE_POOL];
	unsigned int npipes;
};

/*
 * Listen on 127.46.0.1 with a port of the kernel's choosing, in network
 * namespace @netns_fd (-1: the daemon's own), whose cookie is @netns_cookie.
 */
int relay_tcp_start(struct relay_tcp *r, struct loop *l, struct hooks *h,
		    unsigned int max_conns, int netns_fd, uint64_t netns_cookie);
/* Free the connections closed during the last batch of events. */
void relay_tcp_reap(struct relay_tcp *r);
/* Reset every connection and stop listening. */
void relay_tcp_stop(struct relay_tcp *r);

#endif
