/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's state, shared by main.c and status.c. */
#ifndef SOCK464_DAEMON_H
#define SOCK464_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "containers.h"
#include "control.h"
#include "discovery.h"
#include "dns64_query.h"
#include "hooks.h"
#include "loop.h"
#include "netlink.h"
#include "options.h"
#include "prefix.h"
#include "ra_listen.h"
#include "relay_tcp.h"
#include "relay_udp.h"
#include "routes.h"
#include "trace.h"
#include "xlat.h"

struct daemon {
	struct options opt;
	char config[OPT_PATH_MAX];	/* the config file */
	bool config_given;		/* by --config (else the default, if any) */
	bool check_only;		/* --check-config */
	int argc;			/* the command line, read again on SIGHUP */
	char **argv;
	struct loop loop;
	struct hooks hooks;
	struct relay_tcp relay;
	struct relay_udp udp;
	struct discovery disc;
	struct ra_listen ra;
	struct nl_watch nl;
	struct routes routes;
	struct dns64_query dns;
	struct control control;
	struct trace trace;
	struct ev_source signals;
	struct timer prune;		/* drops cgroups that were removed */
	struct sock464_netns netns;	/* what the hooks see for our namespace */
	struct xlat xlat;		/* the kernel data path's programs */
	struct xlat_ns xns;		/* and its set-up in our namespace */
	struct container *containers;	/* served through serve-container */
	struct netns_svc *namespaces;	/* their namespaces, other than ours */
	uint64_t started_ms;
};

/* The include/exclude rules, into the policy trie for namespace @cookie. */
int publish_rules_for(struct daemon *d, uint64_t cookie);

/* The status, as text or one JSON object. */
int status_write(struct daemon *d, FILE *out, bool json);
/* The control socket's requests (loader/commands.c). */
int daemon_request(const char *request, FILE *out, bool *json, void *arg);
void daemon_subscribers(unsigned int n, void *arg);

#endif
