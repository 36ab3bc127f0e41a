/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the TCP relay: one relayed connection and its two directions,
 * shared by relay_tcp.c (accepting, connecting, closing) and
 * relay_tcp_pump.c (the pipes and the bytes moving through them).
 */
#ifndef SOCK464_RELAY_TCP_CONN_H
#define SOCK464_RELAY_TCP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "loop.h"
#include "relay_tcp.h"
#include "sock464.h"

#define PIPE_CAP	(1024 * 1024)	/* the default pipe-max-size */
#define EV_READ		(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)
#define EV_WRITE	(EPOLLOUT | EPOLLHUP | EPOLLERR)

/* One direction: bytes read from one socket wait in a pipe for the other. */
struct half {
	struct relay_pipe pipe;
	unsigned int queued;	/* bytes in the pipe */
	bool eof;		/* the source sent FIN */
	bool shut;		/* and it was passed on (SHUT_WR) */
};

struct conn {
	struct relay_tcp *relay;
	struct ev_source down;	/* the application's connection */
	struct ev_source up;	/* ours, to the IPv6 destination */
	struct half d2u, u2d;
	bool connected;		/* the upstream connect is known to have succeeded */
	bool closed;
	struct conn *prev, *next;	/* relay->live */
	struct conn *next_retired;
	struct sock464_pending dst;
	uint16_t src_port;	/* the application's port, for logs */
};

/* Relayed connections open in every relay of the daemon. */
extern unsigned int conns_total;

/* relay_tcp.c */
void conn_close(struct conn *c, bool clean);
void conn_abort(struct conn *c, const char *what, int err);
const char *conn_dst(const struct conn *c, char *buf, size_t len);

/* relay_tcp_pump.c */
void half_init(struct half *h);
int half_open(struct relay_tcp *r, struct half *h);
void half_close(struct relay_tcp *r, struct half *h);
/* Move the directions an event concerns: @d2u towards IPv6, @u2d back. */
void conn_pump(struct conn *c, bool d2u, bool u2d);
void on_down(struct ev_source *src, uint32_t events);
void on_up(struct ev_source *src, uint32_t events);

#endif
