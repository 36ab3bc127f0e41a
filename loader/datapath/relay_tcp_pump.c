// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The TCP relay's bytes: each direction of a connection moves through a
 * pipe with splice(2) (see relay_tcp.c for the whole picture), taken from
 * a pool of empty pipes and bounded by relay_pipe_share().
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "relay_tcp_conn.h"

void half_init(struct half *h)
{
	h->pipe = (struct relay_pipe){ .rfd = -1, .wfd = -1 };
	h->queued = 0;
	h->eof = h->shut = false;
}

/* A pipe from the relay's pool of empty ones, or a new one. */
int half_open(struct relay_tcp *r, struct half *h)
{
	int p[2];

	int cap;

	if (r->npipes) {
		r->npipes--;
		h->pipe = r->pipes[r->npipes];
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	/* Best effort: without CAP_SYS_RESOURCE a user's pipes are limited. */
	cap = fcntl(p[1], F_SETPIPE_SZ, PIPE_CAP);
	if (cap < 0)
		cap = fcntl(p[1], F_GETPIPE_SZ);
	h->pipe = (struct relay_pipe){
		.rfd = p[0], .wfd = p[1], .cap = cap > 0 ? (unsigned int)cap : 4096,
	};
	return 0;
}

/* An empty pipe goes back to the pool; one still holding bytes is closed. */
void half_close(struct relay_tcp *r, struct half *h)
{
	if (h->pipe.rfd >= 0 && !h->queued && r->npipes < RELAY_PIPE_POOL) {
		r->pipes[r->npipes++] = h->pipe;
	} else if (h->pipe.rfd >= 0) {
		close(h->pipe.rfd);
		close(h->pipe.wfd);
	}
	half_init(h);
}

/*
 * Move what @src has into @dst through @h until neither side can make
 * progress.  @may_shut: @dst is connected, so the end of the stream may be
 * passed on (shutdown() of a socket still connecting would abort it).
 * Returns 0, or -errno with *@failed set to the socket that failed.
 */
static int pump(struct half *h, int src, int dst, bool may_shut, int *failed)
{
	const unsigned int flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
	const unsigned int limit = relay_pipe_share(conns_total, h->pipe.cap);
	bool progress;
	ssize_t n;

	/*
	 * Stopping at @limit is like stopping at a full pipe: the destination
	 * is full too, and its EPOLLOUT brings the next pump.
	 */
	do {
		progress = false;
		if (!h->eof && h->queued < limit) {
			n = splice(src, NULL, h->pipe.wfd, NULL,
				   limit - h->queued, flags);
			if (n > 0) {
				h->queued += n;
				progress = true;
			} else if (n == 0) {
				h->eof = true;
				progress = true;
			} else if (errno != EAGAIN) {
				*failed = src;
				return -errno;
			}
		}
		if (h->queued) {
			n = splice(h->pipe.rfd, NULL, dst, NULL, h->queued, flags);
			if (n > 0) {
				h->queued -= n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN) {
				*failed = dst;
				return -errno;
			}
		}
		if (h->eof && !h->queued && !h->shut && may_shut) {
			if (shutdown(dst, SHUT_WR) && errno != ENOTCONN) {
				*failed = dst;
				return -errno;
			}
			h->shut = true;
		}
	} while (progress);
	return 0;
}

/* Move the directions an event concerns: @d2u towards IPv6, @u2d back. */
void conn_pump(struct conn *c, bool d2u, bool u2d)
{
	int err = 0, failed = -1;

	if (d2u)
		err = pump(&c->d2u, c->down.fd, c->up.fd, c->connected, &failed);
	if (!err && u2d)
		err = pump(&c->u2d, c->up.fd, c->down.fd, true, &failed);
	if (err) {
		if (failed == c->up.fd && !c->connected) {
			c->relay->stats.upstream_failed++;
			conn_abort(c, "IPv6 connect failed", -err);
		} else {
			conn_abort(c, "transfer failed", -err);
		}
		return;
	}
	if (c->d2u.shut && c->u2d.shut)
		conn_close(c, true);
}

/* A pending error on @fd (a reset that no read or write has seen yet). */
static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

/*
 * Edge-triggered: readable means the event's socket has bytes (or its end)
 * for the direction it is the source of; writable means room for the
 * direction it is the destination of.  Only those directions move.
 */
void on_down(struct ev_source *src, uint32_t events)
{
	struct conn *c = container_of(src, struct conn, down);
	int err;

	if (c->closed)
		return;
	if (events & EPOLLERR) {
		err = sock_error(c->down.fd);
		if (err) {
			conn_abort(c, "application side failed", err);
			return;
		}
	}
	conn_pump(c, events & EV_READ, events & EV_WRITE);
}

void on_up(struct ev_source *src, uint32_t events)
{
	struct conn *c = container_of(src, struct conn, up);
	char dst[128];
	int err;

	if (c->closed)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		err = sock_error(c->up.fd);
		if (err && !c->connected) {
			c->relay->stats.upstream_failed++;
			conn_abort(c, "IPv6 connect failed", err);
			return;
		}
		if (err) {
			conn_abort(c, "IPv6 side failed", err);
			return;
		}
	}
	if (!c->connected && (events & EPOLLOUT)) {
		c->connected = true;
		log_debug("relay: port %u to %s: connected", ntohs(c->src_port),
			  conn_dst(c, dst, sizeof(dst)));
		events |= EV_READ;	/* whatever came with the handshake */
	}
	conn_pump(c, events & EV_WRITE, events & EV_READ);
}

