// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 *   application --(lo: to alias A, port P)--> sock  ==flow (app, A)==>  up --(IPv6)--> server
 *   application <--(lo: from A, port P)------ sock  <==================  up <-----------
 *
 * sock receives on every alias (bound to port P of every local address,
 * IP_PKTINFO tells which alias a datagram was sent to) and replies from the
 * alias (IP_PKTINFO again), so that cgroup/recvmsg4 can show the
 * application the destination A stands for.  Each flow's IPv6 socket is
 * connected, so the kernel delivers only that destination's replies to it
 * and reports ICMPv6 errors on it; a port unreachable is passed back to the
 * application as an ICMP port unreachable over loopback, which the kernel
 * turns into ECONNREFUSED for a connected application socket.
 *
 * Only the sockets the hooks filed may use the relay: each datagram's
 * source port must be filed (sock464_udp_src) with its source address,
 * by a socket that is open or closed less than SOCK464_UDP_SRC_GRACE_NS
 * ago; the rest are dropped and counted.  Each flow's IPv6 socket is
 * created under the application's uid, so that the host firewall's owner
 * rules match it as they match the application's own sockets.  Flows are
 * bounded in total and per cgroup (flow_quota.c).  The flows, their
 * IPv6 sockets and the way back are in relay_udp_flow.c; this file has the
 * relay's one socket, the senders' check and the sweep.
 *
 * Idle flows are closed by a periodic sweep, which also retires aliases
 * that no socket and no flow used for the idle timeout: first the
 * destination's entry goes (new datagrams get a new alias), then, a sweep
 * later, the alias itself, so that it is never reused while a datagram to
 * it may still be on its way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "relay_udp.h"
#include "relay_udp_flow.h"

/* --max-udp-flows-per-cgroup, for every relay */
static unsigned int cgroup_limit = 1u << 20;

static uint64_t ktime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The last sender looked up, for the datagrams of one recvmmsg() batch. */
struct sender {
	bool valid, filed;
	struct sockaddr_in app;
	struct sock464_udp_src src;
};

/*
 * 1 if the hooks filed the socket @app sent from: its port, from this
 * address, open or closed only just now (what it sent before closing).
 * Datagrams read in one batch from one source share one lookup.
 */
static int sender_filed(struct relay_udp *r, const struct sockaddr_in *app,
			struct sender *s)
{
	if (s->valid && s->app.sin_port == app->sin_port &&
	    s->app.sin_addr.s_addr == app->sin_addr.s_addr)
		return s->filed;
	s->valid = true;
	s->app = *app;
	s->filed = !hooks_udp_src(r->hooks, r->netns_cookie, app->sin_port, &s->src) &&
		   s->src.ip4 == app->sin_addr.s_addr &&
		   (!s->src.released_ns ||
		    ktime_ns() - s->src.released_ns < SOCK464_UDP_SRC_GRACE_NS);
	return s->filed;
}

/* One datagram from an application, sent on to the destination of its alias. */
static void forward_up(struct relay_udp *r, const struct sockaddr_in *app,
		       struct msghdr *msg, const void *buf, size_t len, struct sender *s)
{
	char a[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	struct udp_flow *f;
	struct cmsghdr *c;
	__u32 alias = 0;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			alias = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr;
	if (ntohl(alias) - SOCK464_ALIAS_FIRST >= SOCK464_ALIAS_COUNT) {
		r->stats.unknown++;
		ratelog(&r->log_unknown, LOG_WARN, "relay: UDP datagram to %s, not an alias; "
			"dropped", inet_ntop(AF_INET, &alias, a, sizeof(a)));
		return;
	}
	f = flow_find(r, app, alias);
	if (!sender_filed(r, app, s)) {
		/* not sent through the hooks: the relay is no open proxy */
		r->stats.foreign++;
		ratelog(&r->log_foreign, LOG_WARN, "relay: UDP datagram from %s:%u, a socket "
			"outside the served cgroups; dropped",
			inet_ntop(AF_INET, &app->sin_addr, a, sizeof(a)), ntohs(app->sin_port));
		if (f)
			flow_free(r, f);
		return;
	}
	if (f && (f->cookie != s->src.cookie || f->ifindex != s->src.ifindex)) {
		/* another socket has that port now, or it was bound elsewhere */
		flow_free(r, f);
		f = NULL;
	}
	if (!f)
		f = flow_new(r, app, alias, &s->src);
	if (!f)
		return;
	fq_touch(&f->q, loop_now_ms());
	if (send(f->up.fd, buf, len, 0) == (ssize_t)len) {
		r->stats.datagrams_out++;
	} else if (errno == ECONNREFUSED) {
		pass_refusal(r, f);
	} else {
		r->stats.send_failed++;
		ratelog(&r->log_send, LOG_WARN, "relay: sending a UDP datagram to [%s]:%u "
			"failed: %s; dropped", inet_ntop(AF_INET6, f->dst.dst6, v6, sizeof(v6)),
			ntohs(f->dst.port), strerror(errno));
	}
}

/*
 * Datagrams from applications, each to the alias of its destination, read
 * MMSG at a time.
 */
static void on_sock(struct ev_source *src, uint32_t events)
{
	struct relay_udp *r = container_of(src, struct relay_udp, sock);
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control[MMSG];
	struct sockaddr_in app[MMSG];
	struct iovec iov[MMSG];
	struct mmsghdr mm[MMSG];
	int got, i, n;

	(void)events;
	for (got = 0; got < RECV_BATCH; got += n) {
		for (i = 0; i < MMSG; i++) {
			iov[i] = (struct iovec){ .iov_base = relay_udp_dgrams[i], .iov_len = DGRAM_MAX };
			mm[i].msg_hdr = (struct msghdr){
				.msg_name = &app[i], .msg_namelen = sizeof(app[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = control[i].buf,
				.msg_controllen = sizeof(control[i].buf),
			};
		}
		struct sender s = { .valid = false };

		n = recvmmsg(r->sock.fd, mm, MMSG, 0, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++)
			forward_up(r, &app[i], &mm[i].msg_hdr, relay_udp_dgrams[i], mm[i].msg_len, &s);
		if (n < MMSG)
			return;
	}
}

static void on_sweep(struct timer *t)
{
	struct relay_udp *r = container_of(t, struct relay_udp, sweep);
	uint64_t now = loop_now_ms(), idle_ns = r->idle_ms * 1000000, know;
	struct udp_flow *f, *next;
	unsigned int b, i;
	int kept;

	for (b = 0; b < RELAY_UDP_BUCKETS; b++)
		for (f = r->buckets[b]; f; f = next) {
			next = f->next;
			if (now - f->q.last_ms >= r->idle_ms) {
				flow_free(r, f);
				r->stats.expired++;
			}
		}
	/* Aliases retired a sweep ago: nothing can still be sent to them. */
	for (i = 0; i < r->nretiring; i++)
		hooks_alias_free(r->hooks, &r->retiring[i]);
	r->stats.aliases_freed += r->nretiring;
	r->nretiring = 0;
	know = ktime_ns();
	kept = hooks_alias_expire(r->hooks, r->netns_cookie,
				  know > idle_ns ? know - idle_ns : 0, flow_alias_busy, r,
				  &r->retiring, &r->nretiring);
	if (kept >= 0)
		r->aliases = kept;
	timer_arm(r->loop, &r->sweep, on_sweep, r->idle_ms / 4 ? r->idle_ms / 4 : 1);
}

int relay_udp_start(struct relay_udp *r, struct loop *l, struct hooks *h,
		    uint64_t netns_cookie, unsigned int max_flows,
		    unsigned int idle_s, int netns_fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int on = 1, fd, err;

	memset(r, 0, sizeof(*r));
	r->loop = l;
	r->hooks = h;
	r->netns_cookie = netns_cookie;
	r->max_flows = max_flows;
	r->idle_ms = (uint64_t)idle_s * 1000;
	fq_init(&r->quota, max_flows, cgroup_limit,
		r->idle_ms < RELAY_UDP_QUIET_MS ? r->idle_ms : RELAY_UDP_QUIET_MS);
	r->sock.handler = on_sock;
	r->netns_fd = netns_fd;
	r->icmp_fd = netns_socket(netns_fd, AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (r->icmp_fd < 0)
		log_warn("relay: no raw ICMP socket (%s): UDP applications will not "
			 "see ECONNREFUSED", strerror(errno));

	/* Port P of every local address, so of every alias in 127.46/16. */
	fd = netns_socket(netns_fd, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r->sock.fd = fd;
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		goto fail;
	r->port = sin.sin_port;
	err = loop_add(l, &r->sock, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	timer_arm(l, &r->sweep, on_sweep, r->idle_ms / 4 ? r->idle_ms / 4 : 1);
	return 0;
fail:
	err = -errno;
	log_err("relay: UDP socket on 127.46.0.0/16 failed: %s", strerror(-err));
	if (fd >= 0)
		close(fd);
	r->sock.fd = -1;
	return err;
}

void relay_udp_stop(struct relay_udp *r)
{
	unsigned int b;

	if (!r->loop)
		return;
	timer_cancel(r->loop, &r->sweep);
	for (b = 0; b < RELAY_UDP_BUCKETS; b++)
		while (r->buckets[b])
			flow_free(r, r->buckets[b]);
	if (r->sock.fd >= 0) {
		loop_del(r->loop, &r->sock);
		close(r->sock.fd);
	}
	r->sock.fd = -1;
	if (r->icmp_fd >= 0)
		close(r->icmp_fd);
	r->icmp_fd = -1;
	free(r->retiring);
	r->retiring = NULL;
	fq_fini(&r->quota);
	r->loop = NULL;
}

void relay_udp_cgroup_limit(unsigned int n)
{
	cgroup_limit = n;
}
