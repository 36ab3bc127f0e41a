// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Each relayed connection is two sockets and two pipes:
 *
 *   application --(loopback, AF_INET)--> down  ==d2u pipe==>  up --(IPv6)--> server
 *                                        down  <==u2d pipe==  up
 *
 * Bytes move with splice(2), socket to pipe to socket, so they are never
 * copied to user space.  A pipe is PIPE_CAP bytes (less if the kernel
 * refuses that size): one wake-up then moves a megabyte, where the default
 * 64 KiB made the relay spend its time in wake-ups and system calls.  What
 * a pipe may hold is bounded twice: by its size, and by a share of
 * RELAY_PIPE_BUDGET among all open connections (relay_pipe_share()).  So
 * memory per connection is bounded, and all pipes together hold at most
 * max(RELAY_PIPE_BUDGET, connections x 2 x RELAY_PIPE_MIN) beside the
 * kernel's socket buffers.
 * Both sockets carry SO_LINGER {1, 0} while open: if the daemon dies, the
 * kernel closes them with a reset and the application sees an error, never
 * a clean but truncated stream.  Only a connection whose both directions
 * ended cleanly is closed with FINs.
 *
 * The IPv6 socket is created under the application's uid (recorded by the
 * hooks with the pending connect), so that the host firewall's owner rules
 * (nft meta skuid) match it as they match the application's own sockets.
 *
 * Per connection the relay makes as few system calls as it can: accepted
 * sockets inherit SO_LINGER and TCP_NODELAY from the listener, the IPv6
 * side is used as soon as connect() returns (on a fast path the handshake
 * is already done), an event moves only the direction it concerns, and
 * close() takes a socket out of epoll by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "relay_tcp.h"
#include "relay_tcp_conn.h"

#define CONN_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* Relayed connections open in every relay of the daemon. */
unsigned int conns_total;

static void set_linger(int fd, int on)
{
	struct linger lg = { .l_onoff = on, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* The relay forwards what the application wrote, so never delay it again. */
static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

const char *conn_dst(const struct conn *c, char *buf, size_t len)
{
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->dst.orig_ip4, v4, sizeof(v4));
	inet_ntop(AF_INET6, c->dst.dst6, v6, sizeof(v6));
	snprintf(buf, len, "%s:%u via [%s]:%u", v4, ntohs(c->dst.port), v6,
		 ntohs(c->dst.port));
	return buf;
}

/*
 * Close both sockets; @clean: with FINs already sent, else with resets.
 * The memory is freed after the current batch of events, which may still
 * name this connection.
 */
void conn_close(struct conn *c, bool clean)
{
	struct relay_tcp *r = c->relay;
	int fds[2] = { c->down.fd, c->up.fd };
	int i;

	if (c->closed)
		return;
	c->closed = true;
	/*
	 * Both sockets carry SO_LINGER {1, 0} from birth, so close() resets
	 * them unless a clean close clears it first.  close() also takes each
	 * out of epoll (they are not dup()ed).
	 */
	for (i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		if (clean)
			set_linger(fds[i], 0);
		close(fds[i]);
	}
	half_close(r, &c->d2u);
	half_close(r, &c->u2d);
	if (clean)
		r->stats.completed++;

	if (c->prev)
		c->prev->next = c->next;
	else
		r->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nconns--;
	conns_total--;
	c->next_retired = r->retired;
	r->retired = c;
}

void conn_abort(struct conn *c, const char *what, int err)
{
	char dst[128];

	log_debug("relay: port %u to %s: %s: %s; resetting both sides",
		  ntohs(c->src_port), conn_dst(c, dst, sizeof(dst)), what,
		  strerror(err));
	c->relay->stats.reset++;
	conn_close(c, false);
}

/* Open the IPv6 connection for @c; 0 or -errno. */
static int conn_connect_up(struct conn *c)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = c->dst.port,
	};
	bool as_uid;
	int fd;

	memcpy(&sin6.sin6_addr, c->dst.dst6, sizeof(sin6.sin6_addr));
	fd = netns_socket_as(c->relay->netns_fd, c->dst.uid, &as_uid, AF_INET6,
			     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!as_uid)
		ratelog(&c->relay->log_uid, LOG_WARN, "relay: creating a TCP socket as uid %u "
			"failed (no CAP_SETUID?): the firewall sees it as the daemon's",
			c->dst.uid);
	c->up.fd = fd;
	set_linger(fd, 1);
	set_nodelay(fd);
	/*
	 * The uplink the application bound its socket to: the IPv6 side leaves
	 * through it, or fails at once (ENETUNREACH) and the application's
	 * connection is reset.
	 */
	if (c->dst.ifindex && setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &c->dst.ifindex,
					 sizeof(c->dst.ifindex)))
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) &&
	    errno != EINPROGRESS)
		return -errno;
	return loop_add(c->relay->loop, &c->up, CONN_EVENTS);
}

/*
 * Whether the hooks sent this connection (the relay is no open proxy) and
 * there is room for it; if not, counted and logged (once a minute).
 */
static bool conn_admitted(struct relay_tcp *r, struct conn *c, const struct sockaddr_in *peer)
{
	struct sock464_pending_key key = {
		.netns = r->netns_cookie,
		.src_ip4 = peer->sin_addr.s_addr,
		.src_port = peer->sin_port,
	};

	if (hooks_take_pending(r->hooks, &key, &c->dst)) {
		r->stats.unknown++;
		ratelog(&r->log_unknown, LOG_WARN, "relay: resetting a TCP connection from "
			"port %u that the hooks did not send (not of a served cgroup)",
			ntohs(peer->sin_port));
		return false;
	}
	if (r->nconns >= r->max_conns) {
		r->stats.over_limit++;
		ratelog(&r->log_over, LOG_WARN, "relay: %u connections open "
			"(--max-connections); resetting new ones", r->nconns);
		return false;
	}
	return true;
}

/* Setting up a connection's pipes or IPv6 socket failed (descriptors?): reset it. */
static void conn_setup_failed(struct conn *c, const char *what, int err)
{
	char why[64];

	c->relay->stats.accept_failed++;
	ratelog(&c->relay->log_accept, LOG_WARN, "relay: %s for a TCP connection failed: "
		"%s; resetting it", what, strerror(-err));
	snprintf(why, sizeof(why), "%s failed", what);
	conn_abort(c, why, -err);
}

static void relay_accept_one(struct relay_tcp *r, int fd,
			     const struct sockaddr_in *peer)
{
	struct conn *c;
	int err;

	/* fd inherited SO_LINGER {1, 0}: closing it sends a reset. */
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->relay = r;
	c->down = (struct ev_source){ .fd = fd, .handler = on_down };
	c->up = (struct ev_source){ .fd = -1, .handler = on_up };
	c->src_port = peer->sin_port;
	half_init(&c->d2u);
	half_init(&c->u2d);
	if (!conn_admitted(r, c, peer)) {
		close(fd);
		free(c);
		return;
	}

	c->next = r->live;
	if (r->live)
		r->live->prev = c;
	r->live = c;
	r->nconns++;
	conns_total++;
	r->stats.accepted++;

	/* SO_LINGER and TCP_NODELAY came with the listener's. */
	err = half_open(r, &c->d2u);
	if (!err)
		err = half_open(r, &c->u2d);
	if (err) {
		conn_setup_failed(c, "creating pipes", err);
		return;
	}
	err = loop_add(r->loop, &c->down, CONN_EVENTS);
	if (!err)
		err = conn_connect_up(c);
	if (err && c->up.fd < 0) {
		conn_setup_failed(c, "opening the IPv6 socket", err);
		return;
	}
	if (err) {
		r->stats.upstream_failed++;
		conn_abort(c, "IPv6 connect failed", -err);
		return;
	}
	/*
	 * Over loopback or a fast link the handshake may be done already:
	 * send what the application wrote without waiting for the event.
	 */
	conn_pump(c, true, false);
}

/*
 * One connection per event: the listener is level-triggered, so epoll
 * reports it again while more wait, interleaved with the traffic of the
 * connections already open.
 */
static void on_listener(struct ev_source *src, uint32_t events)
{
	struct relay_tcp *r = container_of(src, struct relay_tcp, listener);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int fd;

	(void)events;
	fd = accept4(r->listener.fd, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		relay_accept_one(r, fd, &peer);
	else if (errno != EAGAIN && errno != ECONNABORTED) {
		r->stats.accept_failed++;
		ratelog(&r->log_accept, LOG_WARN, "relay: accepting a TCP connection failed: %s",
			strerror(errno));
	}
}

int relay_tcp_start(struct relay_tcp *r, struct loop *l, struct hooks *h,
		    unsigned int max_conns, int netns_fd, uint64_t netns_cookie)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(SOCK464_RELAY_IP4_HOST),
	};
	socklen_t len;
	int fd, err;

	memset(r, 0, sizeof(*r));
	r->loop = l;
	r->hooks = h;
	r->max_conns = max_conns;
	r->netns_fd = netns_fd;
	r->netns_cookie = netns_cookie;
	r->listener = (struct ev_source){ .fd = -1, .handler = on_listener };

	fd = netns_socket(netns_fd, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	r->listener.fd = fd;
	/* Accepted sockets inherit both. */
	set_linger(fd, 1);
	set_nodelay(fd);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, SOMAXCONN))
		goto fail;
	len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		goto fail;
	r->addr = sin.sin_addr.s_addr;
	r->port = sin.sin_port;
	err = loop_add(l, &r->listener, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	log_err("relay: listening on TCP 127.46.0.1 failed: %s", strerror(-err));
	if (r->listener.fd >= 0)
		close(r->listener.fd);
	r->listener.fd = -1;
	return err;
}

void relay_tcp_reap(struct relay_tcp *r)
{
	struct conn *c;

	while ((c = r->retired)) {
		r->retired = c->next_retired;
		free(c);
	}
}

void relay_tcp_stop(struct relay_tcp *r)
{
	if (r->listener.fd >= 0) {
		loop_del(r->loop, &r->listener);
		close(r->listener.fd);
		r->listener.fd = -1;
	}
	while (r->live)
		conn_close(r->live, false);
	relay_tcp_reap(r);
	while (r->npipes) {
		r->npipes--;
		close(r->pipes[r->npipes].rfd);
		close(r->pipes[r->npipes].wfd);
	}
}
