/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's state, shared by main.c and status.c. */
#ifndef SOCK464_DAEMON_H
#define SOCK464_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "control.h"
#include "discovery.h"
#include "dns64_query.h"
#include "hooks.h"
#include "loop.h"
#include "netlink.h"
#include "prefix.h"
#include "ra_listen.h"
#include "relay_tcp.h"
#include "relay_udp.h"

struct options {
	const char *cgroups[HOOKS_MAX_CGROUPS];
	unsigned int ncgroups;
	struct pref64 pref64;		/* with have_pref64: static */
	bool have_pref64;
	const char *interfaces[RA_MAX_IFACES];
	unsigned int ninterfaces;
	char dns64_servers[512];	/* comma-separated; "" for resolv.conf */
	bool no_ra, no_dns64;
	const char *control;
	unsigned int max_conns;
	bool max_conns_set;
	unsigned int max_udp_flows;
	unsigned int udp_idle_s;
	bool verbose;
};

struct daemon {
	struct options opt;
	struct loop loop;
	struct hooks hooks;
	struct relay_tcp relay;
	struct relay_udp udp;
	struct discovery disc;
	struct ra_listen ra;
	struct nl_watch nl;
	struct dns64_query dns;
	struct control control;
	struct ev_source signals;
	struct sock464_netns netns;	/* what the hooks see for our namespace */
	uint64_t started_ms;
};

/* The control socket's request handler ("status", "status json"). */
int status_handle(const char *request, FILE *out, void *arg);

#endif
