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
 * bounded in total and per cgroup (flow_quota.c).
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
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
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

/* --max-udp-flows-per-cgroup, for every relay */
static unsigned int cgroup_limit = 1u << 20;

#define DGRAM_MAX	65535
#define RECV_BATCH	64	/* datagrams per wake-up, for fairness */
#define MMSG		16	/* datagrams per recvmmsg() */

struct udp_flow {
	struct ev_source up;		/* connected to dst.dst6, dst.port */
	struct relay_udp *relay;
	struct udp_flow *next;		/* hash chain */
	struct sockaddr_in app;		/* the application socket's address */
	__u32 alias;			/* network order */
	struct sock464_alias_dst dst;
	struct fq_node q;		/* its cgroup's share; last use */
	uint64_t cookie;		/* the application socket's */
};

static unsigned char dgrams[MMSG][DGRAM_MAX];	/* one batch, either way */

static unsigned int bucket(const struct sockaddr_in *app, __u32 alias)
{
	uint32_t h = app->sin_addr.s_addr * 2654435761u;

	h ^= (app->sin_port * 40503u) ^ (alias * 2246822519u);
	return (h ^ (h >> 15)) % RELAY_UDP_BUCKETS;
}

static struct udp_flow *flow_find(struct relay_udp *r,
				  const struct sockaddr_in *app, __u32 alias)
{
	struct udp_flow *f;

	for (f = r->buckets[bucket(app, alias)]; f; f = f->next)
		if (f->alias == alias && f->app.sin_port == app->sin_port &&
		    f->app.sin_addr.s_addr == app->sin_addr.s_addr)
			return f;
	return NULL;
}

static void flow_free(struct relay_udp *r, struct udp_flow *f)
{
	struct udp_flow **pp = &r->buckets[bucket(&f->app, f->alias)];

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	fq_remove(&r->quota, &f->q);
	loop_del(r->loop, &f->up);
	close(f->up.fd);
	free(f);
	r->nflows--;
}

/*
 * Tell the application its destination refused: an ICMP port unreachable
 * quoting the datagram it sent (app -> alias:port), delivered over loopback.
 */
static void pass_refusal(struct relay_udp *r, const struct udp_flow *f)
{
	struct {
		struct icmphdr icmp;
		struct iphdr ip;
		struct udphdr udp;
	} __attribute__((packed)) m = {
		.icmp = { .type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH },
		.ip = {
			.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
			.tot_len = htons(sizeof(struct iphdr) + sizeof(struct udphdr)),
			.saddr = f->app.sin_addr.s_addr, .daddr = f->alias,
		},
		.udp = {
			.source = f->app.sin_port, .dest = r->port,
			.len = htons(sizeof(struct udphdr)),
		},
	};
	uint32_t sum = 0;
	uint16_t w;
	size_t i;

	if (r->icmp_fd < 0)
		return;
	for (i = 0; i < sizeof(m); i += 2) {
		memcpy(&w, (const char *)&m + i, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	m.icmp.checksum = ~sum;
	if (sendto(r->icmp_fd, &m, sizeof(m), 0, (const struct sockaddr *)&f->app,
		   sizeof(f->app)) == sizeof(m))
		r->stats.errors++;
}

/*
 * Replies from the destination, sent on to the application from the alias,
 * MMSG at a time.
 */
static void on_up(struct ev_source *src, uint32_t events)
{
	struct udp_flow *f = container_of(src, struct udp_flow, up);
	struct relay_udp *r = f->relay;
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control = { .buf = { 0 } };	/* the padding is sent too */
	struct msghdr hdr = {
		.msg_name = &f->app, .msg_namelen = sizeof(f->app),
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&hdr);
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = f->alias };
	struct iovec iov[MMSG];
	struct mmsghdr in[MMSG], out[MMSG];
	int got, i, n, sent;

	(void)events;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	for (got = 0; got < RECV_BATCH; got += n) {
		for (i = 0; i < MMSG; i++) {
			iov[i] = (struct iovec){ .iov_base = dgrams[i], .iov_len = DGRAM_MAX };
			in[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(f->up.fd, in, MMSG, 0, NULL);
		if (n <= 0) {
			if (n < 0 && errno == ECONNREFUSED)	/* ICMPv6 port unreachable */
				pass_refusal(r, f);
			return;
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_len = in[i].msg_len;
			out[i].msg_hdr = hdr;
			out[i].msg_hdr.msg_iov = &iov[i];
			out[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(r->sock.fd, out, n, 0);
		if (sent > 0)
			r->stats.datagrams_in += sent;
		if (sent < n) {
			r->stats.replies_dropped += n - (sent > 0 ? sent : 0);
			ratelog(&r->log_replies, LOG_WARN, "relay: passing UDP replies to the "
				"application failed: %s; dropped", sent < 0 ? strerror(errno) :
				"partly sent");
		}
		fq_touch(&f->q, loop_now_ms());
		if (n < MMSG)
			return;
	}
}

/*
 * Room for a new flow of cgroup @cgid: 0 (a quiet flow may have been
 * evicted for it), or -ENOSPC with the drop counted and logged.
 */
static int flow_room(struct relay_udp *r, uint64_t cgid)
{
	struct fq_node *victim;

	switch (fq_admit(&r->quota, cgid, loop_now_ms(), &victim)) {
	case FQ_ROOM:
		return 0;
	case FQ_EVICT:
		flow_free(r, container_of(victim, struct udp_flow, q));
		r->stats.evicted++;
		return 0;
	case FQ_FULL_GROUP:
		r->stats.over_cgroup_limit++;
		ratelog(&r->log_over_cg, LOG_WARN, "relay: cgroup %s has %u UDP flows open "
			"(--max-udp-flows-per-cgroup), none quiet for %llu ms; dropping datagrams "
			"of its new ones", hooks_cgroup_path(r->hooks, cgid),
			fq_count(&r->quota, cgid), (unsigned long long)r->quota.quiet_ms);
		return -ENOSPC;
	case FQ_FULL_TOTAL:
		break;
	}
	r->stats.over_limit++;
	ratelog(&r->log_over, LOG_WARN, "relay: %u UDP flows open (--max-udp-flows), none "
		"quiet for %llu ms; dropping datagrams of new ones", r->nflows,
		(unsigned long long)r->quota.quiet_ms);
	return -ENOSPC;
}

/* The flow's IPv6 socket, the application's uid's, connected to its destination. */
static int flow_connect(struct relay_udp *r, struct udp_flow *f, unsigned int uid)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = f->dst.port };
	bool as_uid;

	memcpy(&sin6.sin6_addr, f->dst.dst6, sizeof(sin6.sin6_addr));
	f->up.fd = netns_socket_as(r->netns_fd, uid, &as_uid, AF_INET6,
				   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->up.fd >= 0 && !as_uid)
		ratelog(&r->log_uid, LOG_WARN, "relay: creating a UDP socket as uid %u failed "
			"(no CAP_SETUID?): the firewall sees it as the daemon's", uid);
	if (f->up.fd < 0 ||
	    connect(f->up.fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    loop_add(r->loop, &f->up, EPOLLIN))
		return -errno;
	return 0;
}

static struct udp_flow *flow_new(struct relay_udp *r, const struct sockaddr_in *app,
				 __u32 alias, const struct sock464_udp_src *src)
{
	char a[INET_ADDRSTRLEN], v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	struct udp_flow *f;
	unsigned int b;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->up.fd = -1;
	if (hooks_alias_lookup(r->hooks, r->netns_cookie, alias, &f->dst)) {
		r->stats.unknown++;
		inet_ntop(AF_INET, &alias, a, sizeof(a));
		ratelog(&r->log_unknown, LOG_WARN, "relay: UDP datagram to %s, which stands "
			"for no destination; dropped", a);
		free(f);
		return NULL;
	}
	if (flow_room(r, src->cgroup_id)) {
		free(f);
		return NULL;
	}
	f->relay = r;
	f->app = *app;
	f->alias = alias;
	f->cookie = src->cookie;
	f->up.handler = on_up;
	err = flow_connect(r, f, src->uid);
	if (!err)
		err = fq_add(&r->quota, &f->q, src->cgroup_id, loop_now_ms());
	if (err) {
		r->stats.failed++;
		ratelog(&r->log_failed, LOG_WARN, "relay: opening a UDP flow to [%s]:%u "
			"failed: %s; its datagram is dropped",
			inet_ntop(AF_INET6, f->dst.dst6, v6, sizeof(v6)), ntohs(f->dst.port),
			strerror(-err));
		if (f->up.fd >= 0)
			close(f->up.fd);
		free(f);
		return NULL;
	}
	b = bucket(app, alias);
	f->next = r->buckets[b];
	r->buckets[b] = f;
	r->nflows++;
	r->stats.flows++;
	log_debug("relay: UDP flow from port %u (uid %u) to %s:%u via [%s]:%u",
		  ntohs(app->sin_port), src->uid,
		  inet_ntop(AF_INET, &f->dst.ip4, v4, sizeof(v4)), ntohs(f->dst.port),
		  inet_ntop(AF_INET6, f->dst.dst6, v6, sizeof(v6)), ntohs(f->dst.port));
	return f;
}

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
	if (f && f->cookie != s->src.cookie) {
		flow_free(r, f);	/* another socket has that port now */
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
			iov[i] = (struct iovec){ .iov_base = dgrams[i], .iov_len = DGRAM_MAX };
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
			forward_up(r, &app[i], &mm[i].msg_hdr, dgrams[i], mm[i].msg_len, &s);
		if (n < MMSG)
			return;
	}
}

static int alias_busy(__u32 alias, void *arg)
{
	struct relay_udp *r = arg;
	struct udp_flow *f;
	unsigned int b;

	for (b = 0; b < RELAY_UDP_BUCKETS; b++)
		for (f = r->buckets[b]; f; f = f->next)
			if (f->alias == alias)
				return 1;
	return 0;
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
				  know > idle_ns ? know - idle_ns : 0, alias_busy, r,
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
