// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "netlink.h"

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nl_watch *w = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNDUSEROPT: {
		const struct nduseroptmsg *m = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) ||
		    mnl_nlmsg_get_payload_len(nlh) - sizeof(*m) < m->nduseropt_opts_len)
			break;
		if (m->nduseropt_family == AF_INET6 &&
		    m->nduseropt_icmp_type == ND_ROUTER_ADVERT && w->on_nd_options)
			w->on_nd_options(m->nduseropt_ifindex, m + 1,
					 m->nduseropt_opts_len, w->arg);
		break;
	}
	case RTM_NEWLINK: {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		if ((ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING) &&
		    w->on_change)
			w->on_change(ifi->ifi_index, w->arg);
		/* a link going down takes its routes without RTM_DELROUTE */
		if (w->on_routes)
			w->on_routes(w->arg);
		break;
	}
	case RTM_DELLINK:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (w->on_change)
			w->on_change(0, w->arg);
		if (w->on_routes)
			w->on_routes(w->arg);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
			break;
		if (rtm->rtm_family == AF_INET6) {
			if (w->on_routes6)
				w->on_routes6(w->arg);
		} else if (w->on_routes) {
			w->on_routes(w->arg);
		}
		break;
	}
	}
	return MNL_CB_OK;
}

static void on_readable(struct ev_source *src, uint32_t events)
{
	struct nl_watch *w = container_of(src, struct nl_watch, src);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	(void)events;
	for (;;) {
		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == ENOBUFS) {	/* events were lost: look again */
				log_debug("netlink: events lost; treating as a change");
				if (w->on_change)
					w->on_change(0, w->arg);
				if (w->on_routes)
					w->on_routes(w->arg);
				continue;
			}
			return;
		}
		mnl_cb_run(buf, n, 0, 0, on_msg, w);
	}
}

int nl_watch_start(struct nl_watch *w, struct loop *l)
{
	static const int groups[] = { RTNLGRP_ND_USEROPT, RTNLGRP_LINK,
				      RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_IFADDR,
				      RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE };
	unsigned int i, n = sizeof(groups) / sizeof(groups[0]);
	int err;

	if (!w->on_routes6)
		n--;	/* the last: IPv6 routes only for those who follow them */

	w->loop = l;
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		int group = groups[i];

		if (mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group,
					  sizeof(group)) < 0)
			goto fail;
	}
	w->src.fd = mnl_socket_get_fd(w->nl);
	w->src.handler = on_readable;
	err = loop_add(l, &w->src, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	log_err("subscribing to rtnetlink events failed: %s", strerror(-err));
	if (w->nl)
		mnl_socket_close(w->nl);
	w->nl = NULL;
	return err;
}

void nl_watch_stop(struct nl_watch *w)
{
	if (!w->nl)
		return;
	loop_del(w->loop, &w->src);
	mnl_socket_close(w->nl);
	w->nl = NULL;
}
