// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "discovery.h"
#include "log.h"
#include "netns.h"
#include "ra.h"
#include "ra_listen.h"

#define RA_MAX_PREF64 16	/* PREF64 options taken from one RA */

int ra_listen_set_interfaces(struct ra_listen *r, const char *const *names,
			     unsigned int n)
{
	unsigned int i;

	if (n > RA_MAX_IFACES) {
		log_err("--interface: at most %d interfaces", RA_MAX_IFACES);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		r->ifindex[i] = if_nametoindex(names[i]);
		if (!r->ifindex[i]) {
			log_err("--interface %s: %s", names[i], strerror(errno));
			return -ENODEV;
		}
	}
	r->nifs = n;
	return 0;
}

int ra_listen_wants(const struct ra_listen *r, int ifindex)
{
	unsigned int i;

	if (!r->nifs)
		return 1;
	for (i = 0; i < r->nifs; i++)
		if (r->ifindex[i] == ifindex)
			return 1;
	return 0;
}

static void learn_all(struct ra_listen *r, int ifindex,
		      const struct ra_pref64 *opt, size_t n, const char *from)
{
	struct pref64 p[RA_MAX_PREF64];
	uint32_t lifetime[RA_MAX_PREF64];
	size_t i;

	for (i = 0; i < n && i < RA_MAX_PREF64; i++) {
		memcpy(p[i].addr, opt[i].prefix, sizeof(p[i].addr));
		p[i].plen = opt[i].plen;
		lifetime[i] = opt[i].lifetime_s;
	}
	discovery_learn_many(r->disc, p, lifetime, i, PREF64_RA, ifindex, from);
}

void ra_listen_kernel_options(struct ra_listen *r, int ifindex,
			      const void *opts, size_t len)
{
	struct ra_pref64 opt[RA_MAX_PREF64];
	size_t n;

	char ifn[16];

	if (!r->disc || !ra_listen_wants(r, ifindex))
		return;
	if (ra_parse_options(opts, len, opt, RA_MAX_PREF64, &n) == 0) {
		char from[48];

		snprintf(from, sizeof(from), "RAs on %s (from the kernel)",
			 discovery_ifname(ifindex, ifn));
		log_debug("RA options on %s from the kernel (RTM_NEWNDUSEROPT): %zu PREF64 option(s)",
			  ifn, n);
		learn_all(r, ifindex, opt, n, from);
	}
}

/*
 * RFC 4861 section 6.1.2: hop limit 255 (it came from the link itself)
 * and a link-local source; the kernel checked the ICMPv6 checksum.
 */
static void on_ra(struct ev_source *src, uint32_t events)
{
	struct ra_listen *r = container_of(src, struct ra_listen, src);
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct ra_pref64 opt[RA_MAX_PREF64];
	struct sockaddr_in6 from;
	unsigned char buf[1500];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	int ifindex, hops, err;
	char addr[INET6_ADDRSTRLEN], ifn[16], sender[INET6_ADDRSTRLEN + 32];
	ssize_t len;
	size_t n;

	(void)events;
	for (;;) {
		msg.msg_controllen = sizeof(control.buf);
		len = recvmsg(r->src.fd, &msg, 0);
		if (len < 0)
			return;
		ifindex = 0;
		hops = -1;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_PKTINFO)
				ifindex = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
			else if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
		}
		inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof(addr));
		if (!ra_listen_wants(r, ifindex))
			continue;
		if (hops != 255 || !IN6_IS_ADDR_LINKLOCAL(&from.sin6_addr)) {
			r->ignored++;
			log_debug("RA from %s on %s ignored: hop limit %d, not from the link",
				  addr, discovery_ifname(ifindex, ifn), hops);
			continue;
		}
		err = ra_parse(buf, len, opt, RA_MAX_PREF64, &n);
		if (err) {
			r->ignored++;
			log_debug("RA from %s on %s ignored: malformed (%s)", addr,
				  discovery_ifname(ifindex, ifn), strerror(-err));
			continue;
		}
		r->heard++;
		log_debug("RA from %s on %s: %zu PREF64 option(s)", addr,
			  discovery_ifname(ifindex, ifn), n);
		snprintf(sender, sizeof(sender), "RAs from %s on %s", addr,
			 discovery_ifname(ifindex, ifn));
		learn_all(r, ifindex, opt, n, sender);
	}
}

int ra_listen_start(struct ra_listen *r, struct loop *l, struct discovery *d,
		    int netns_fd)
{
	struct icmp6_filter filter;
	int on = 1, hops = 255, fd, err;

	r->loop = l;
	r->disc = d;
	r->netns_fd = netns_fd;
	fd = netns_socket(netns_fd, AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  IPPROTO_ICMPV6);
	if (fd < 0)
		goto fail;
	r->src.fd = fd;
	r->src.handler = on_ra;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &filter);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)))
		goto fail;
	err = loop_add(l, &r->src, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	ra_listen_solicit(r, 0);
	return 0;
fail:
	err = -errno;
	log_err("listening for Router Advertisements (raw ICMPv6 socket) failed: %s",
		strerror(-err));
	if (fd >= 0)
		close(fd);
	r->src.fd = -1;
	return err;
}

void ra_listen_stop(struct ra_listen *r)
{
	if (r->src.fd >= 0) {
		loop_del(r->loop, &r->src);
		close(r->src.fd);
	}
	r->src.fd = -1;
}

static void solicit_one(struct ra_listen *r, int ifindex)
{
	/* RFC 4861 section 4.1: type 133, code 0, checksum (the kernel's), reserved */
	static const unsigned char rs[8] = { ND_ROUTER_SOLICIT };
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_scope_id = ifindex,
	};
	char ifn[16];

	inet_pton(AF_INET6, "ff02::2", &to.sin6_addr);
	if (sendto(r->src.fd, rs, sizeof(rs), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		log_debug("Router Solicitation on %s failed: %s",
			  discovery_ifname(ifindex, ifn), strerror(errno));
	else
		log_debug("Router Solicitation sent on %s", discovery_ifname(ifindex, ifn));
}

void ra_listen_solicit(struct ra_listen *r, int ifindex)
{
	struct if_nameindex *ifs, *i;

	if (r->src.fd < 0)
		return;
	if (ifindex) {
		if (ra_listen_wants(r, ifindex))
			solicit_one(r, ifindex);
		return;
	}
	if (netns_enter(r->netns_fd))	/* the links of the namespace served */
		return;
	ifs = if_nameindex();
	netns_leave(r->netns_fd);
	if (!ifs)
		return;
	for (i = ifs; i->if_index; i++) {
		unsigned int flags = 0;
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(r->src.fd, SIOCGIFFLAGS, &ifr) == 0)
			flags = ifr.ifr_flags;
		if ((flags & IFF_UP) && !(flags & IFF_LOOPBACK) &&
		    (flags & IFF_MULTICAST) && ra_listen_wants(r, i->if_index))
			solicit_one(r, i->if_index);
	}
	if_freenameindex(ifs);
}
