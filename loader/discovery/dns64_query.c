// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "discovery.h"
#include "dns64.h"
#include "dns64_query.h"
#include "log.h"
#include "netlog.h"
#include "netns.h"

#define BACKOFF_MIN_S	1
#define BACKOFF_MAX_S	3600
#define KICK_DELAY_MS	1000	/* let a burst of netlink events settle */
#define MAX_PREFIXES	8
#define MIN_LIFETIME_S	4	/* a TTL of 0 or 1 must not mean asking every second */

static void on_next(struct timer *t);
static void arm_ares_timer(struct dns64_query *q);

static void on_fd(struct ev_source *src, uint32_t events)
{
	struct dns64_fd *f = container_of(src, struct dns64_fd, src);
	ares_socket_t fd = src->fd;

	ares_process_fd(f->q->channel,
			events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	arm_ares_timer(f->q);
}

/* c-ares tells which of its sockets to watch, and for what. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns64_query *q = data;
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	struct dns64_fd *f = NULL, *free_slot = NULL;
	int i;

	for (i = 0; i < DNS64_MAX_FDS; i++) {
		if (q->fds[i].src.fd == fd)
			f = &q->fds[i];
		else if (q->fds[i].src.fd < 0 && !free_slot)
			free_slot = &q->fds[i];
	}
	if (!events) {
		if (f) {
			loop_del(q->loop, &f->src);
			f->src.fd = -1;
		}
		return;
	}
	if (f) {
		loop_mod(q->loop, &f->src, events);
		return;
	}
	if (!free_slot) {
		log_warn("DNS64 discovery: more than %d sockets at once", DNS64_MAX_FDS);
		return;
	}
	free_slot->src.fd = fd;
	free_slot->src.handler = on_fd;
	free_slot->q = q;
	loop_add(q->loop, &free_slot->src, events);
}

static void schedule(struct dns64_query *q, uint64_t delay_ms)
{
	timer_arm(q->loop, &q->next, on_next, delay_ms);
}

static void failed(struct dns64_query *q, const char *why)
{
	q->failures++;
	q->backoff_s = q->backoff_s ? q->backoff_s * 2 : BACKOFF_MIN_S;
	if (q->backoff_s > BACKOFF_MAX_S)
		q->backoff_s = BACKOFF_MAX_S;
	snprintf(q->last_error, sizeof(q->last_error), "%s", why);
	netlog_msg(LOG_WARN, "DNS64 discovery", "DNS64 discovery (ipv4only.arpa AAAA): %s; "
		   "asking again in %u s", why, q->backoff_s);
	schedule(q, (uint64_t)q->backoff_s * 1000);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
		      int alen)
{
	struct dns64_query *q = arg;
	struct dns64_prefix found[MAX_PREFIXES];
	struct pref64 p[MAX_PREFIXES];
	size_t n, i;
	uint32_t ttl;
	int err;

	(void)timeouts;
	q->in_flight = false;
	if (status == ARES_EDESTRUCTION)
		return;
	if (!abuf || alen <= 0) {
		failed(q, ares_strerror(status));
		return;
	}
	err = dns64_parse_response(abuf, alen, found, MAX_PREFIXES, &n, &ttl);
	switch (err) {
	case 0:
		break;
	case -ENOENT:
		failed(q, "the resolver answered without synthesis (no DNS64)");
		return;
	case -ENODATA:
		failed(q, "no AAAA answer (no DNS64)");
		return;
	case -EREMOTEIO:
		failed(q, status == ARES_SUCCESS ? "the resolver returned an error" :
		       ares_strerror(status));
		return;
	default:
		failed(q, "malformed answer");
		return;
	}
	for (i = 0; i < n; i++) {
		memcpy(p[i].addr, found[i].prefix, sizeof(p[i].addr));
		p[i].plen = found[i].plen;
	}
	q->answers++;
	q->backoff_s = 0;
	q->last_error[0] = '\0';
	if (ttl < MIN_LIFETIME_S)
		ttl = MIN_LIFETIME_S;
	discovery_dns64_answer(q->disc, p, n, ttl);
	/* Ask again before the answer expires: at 90% of its TTL. */
	schedule(q, (uint64_t)ttl * 900);
}

static void ask(struct dns64_query *q)
{
	if (q->in_flight)
		return;
	q->in_flight = true;
	ares_query(q->channel, DNS64_QNAME, ns_c_in, ns_t_aaaa, on_answer, q);
	arm_ares_timer(q);
}

static void on_next(struct timer *t)
{
	ask(container_of(t, struct dns64_query, next));
}

static void on_ares_timer(struct timer *t)
{
	struct dns64_query *q = container_of(t, struct dns64_query, ares_timer);

	ares_process_fd(q->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_ares_timer(q);
}

static void arm_ares_timer(struct dns64_query *q)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(q->channel, NULL, &tv);
	if (!tvp) {
		timer_cancel(q->loop, &q->ares_timer);
		return;
	}
	timer_arm(q->loop, &q->ares_timer, on_ares_timer,
		  (uint64_t)tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
}

/*
 * c-ares makes its own sockets; for a container's namespace they must be
 * made inside it.  The rest is what c-ares would do anyway.
 */
static ares_socket_t cares_socket(int domain, int type, int protocol, void *arg)
{
	struct dns64_query *q = arg;

	return netns_socket(q->netns_fd, domain, type, protocol);
}

static int cares_close(ares_socket_t fd, void *arg)
{
	(void)arg;
	return close(fd);
}

static int cares_connect(ares_socket_t fd, const struct sockaddr *sa,
			 ares_socklen_t len, void *arg)
{
	(void)arg;
	return connect(fd, sa, len);
}

static ares_ssize_t cares_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				   struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
	(void)arg;
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ares_ssize_t cares_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *arg)
{
	(void)arg;
	return writev(fd, iov, n);
}

static const struct ares_socket_functions in_netns = {
	cares_socket, cares_close, cares_connect, cares_recvfrom, cares_sendv,
};

int dns64_query_start(struct dns64_query *q, struct loop *l,
		      struct discovery *d, const char *servers, int netns_fd)
{
	struct ares_options opt = {
		.sock_state_cb = sock_state,
		.sock_state_cb_data = q,
	};
	int i, status;

	memset(q, 0, sizeof(*q));
	q->loop = l;
	q->disc = d;
	q->netns_fd = netns_fd;
	for (i = 0; i < DNS64_MAX_FDS; i++)
		q->fds[i].src.fd = -1;
	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status == ARES_SUCCESS)
		status = ares_init_options(&q->channel, &opt, ARES_OPT_SOCK_STATE_CB);
	if (status != ARES_SUCCESS) {
		log_err("DNS64 discovery: setting up the resolver failed: %s",
			ares_strerror(status));
		return -EIO;
	}
	q->channel_ok = true;
	if (netns_fd >= 0)
		ares_set_socket_functions(q->channel, &in_netns, q);
	if (servers) {
		status = ares_set_servers_ports_csv(q->channel, servers);
		if (status != ARES_SUCCESS) {
			log_err("--dns64-server %s: %s", servers, ares_strerror(status));
			dns64_query_stop(q);
			return -EINVAL;
		}
	}
	ask(q);
	return 0;
}

void dns64_query_stop(struct dns64_query *q)
{
	if (!q->channel_ok)
		return;
	timer_cancel(q->loop, &q->next);
	timer_cancel(q->loop, &q->ares_timer);
	ares_destroy(q->channel);	/* calls on_answer with ARES_EDESTRUCTION */
	q->channel_ok = false;
	ares_library_cleanup();
}

void dns64_query_kick(struct dns64_query *q)
{
	if (!q->channel_ok)
		return;
	q->backoff_s = 0;
	schedule(q, KICK_DELAY_MS);
}
