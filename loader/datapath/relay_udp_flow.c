// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The UDP relay's flows: a hash table of them, each with an IPv6 socket
 * created under the application's uid and connected to its destination,
 * bounded in total and per cgroup (flow_quota.c); replies and ICMPv6
 * errors from the destination passed back to the application.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"
#include "relay_udp_flow.h"

unsigned char relay_udp_dgrams[MMSG][DGRAM_MAX];

static unsigned int bucket(const struct sockaddr_in *app, __u32 alias)
{
	uint32_t h = app->sin_addr.s_addr * 2654435761u;

	h ^= (app->sin_port * 40503u) ^ (alias * 2246822519u);
	return (h ^ (h >> 15)) % RELAY_UDP_BUCKETS;
}

struct udp_flow *flow_find(struct relay_udp *r,
				  const struct sockaddr_in *app, __u32 alias)
{
	struct udp_flow *f;

	for (f = r->buckets[bucket(app, alias)]; f; f = f->next)
		if (f->alias == alias && f->app.sin_port == app->sin_port &&
		    f->app.sin_addr.s_addr == app->sin_addr.s_addr)
			return f;
	return NULL;
}

void flow_free(struct relay_udp *r, struct udp_flow *f)
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
void pass_refusal(struct relay_udp *r, const struct udp_flow *f)
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
			iov[i] = (struct iovec){ .iov_base = relay_udp_dgrams[i], .iov_len = DGRAM_MAX };
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

/*
 * The flow's IPv6 socket, the application's uid's, bound to the uplink the
 * application bound its socket to (@ifindex, 0: none), connected to its
 * destination.
 */
static int flow_connect(struct relay_udp *r, struct udp_flow *f, unsigned int uid,
			unsigned int ifindex)
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
	    (ifindex && setsockopt(f->up.fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
				   sizeof(ifindex))) ||
	    connect(f->up.fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    loop_add(r->loop, &f->up, EPOLLIN))
		return -errno;
	return 0;
}

struct udp_flow *flow_new(struct relay_udp *r, const struct sockaddr_in *app,
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
	f->ifindex = src->ifindex;
	f->up.handler = on_up;
	err = flow_connect(r, f, src->uid, src->ifindex);
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

int flow_alias_busy(__u32 alias, void *arg)
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
