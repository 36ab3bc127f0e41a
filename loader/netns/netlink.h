/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rtnetlink events the daemon follows: RA options the kernel forwards
 * (RTM_NEWNDUSEROPT, while it processes RAs itself); links and addresses
 * coming and going, after which PREF64 is looked for again; and IPv4
 * routes, which the policy mirrors.
 */
#ifndef SOCK464_NETLINK_H
#define SOCK464_NETLINK_H

#include <stddef.h>
#include "loop.h"

struct mnl_socket;

struct nl_watch {
	struct loop *loop;
	struct mnl_socket *nl;
	struct ev_source src;
	/* ND options of an RA, as the kernel forwarded them. */
	void (*on_nd_options)(int ifindex, const void *opts, size_t len, void *arg);
	/* A link came up (ifindex), or addresses changed (ifindex 0). */
	void (*on_change)(int ifindex, void *arg);
	/* IPv4 routes changed. */
	void (*on_routes)(void *arg);
	/* IPv6 routes changed (NULL: not followed). */
	void (*on_routes6)(void *arg);
	void *arg;
};

int nl_watch_start(struct nl_watch *w, struct loop *l);
void nl_watch_stop(struct nl_watch *w);

#endif
