/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A served network namespace: everything sock464 keeps for one, the
 * daemon's own and each container's alike, built by netns_svc_new().  Its
 * cookie; its data path (datapath.h); its IPv4 route mirror and netlink
 * watch; its PREF64 discovery (a static prefix, or the sources of
 * netns_disc.h inside it); the prefix it chose and its entry in sock464_netns for the
 * hooks.  Containers sharing a namespace (a pod) share one, by reference.
 */
#ifndef SOCK464_NETNS_SVC_H
#define SOCK464_NETNS_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "discovery.h"
#include "netlink.h"
#include "netns_disc.h"
#include "routes.h"
#include "uplinks.h"
#include "sock464.h"

struct loop;
struct hooks;
struct options;
struct datapath_ops;

/* What every served namespace shares: the daemon's parts. */
struct netns_env {
	struct loop *loop;
	struct hooks *hooks;
	const struct options *opt;
	const struct datapath_ops *dp;	/* the data path every namespace uses */
	struct netns_svc *own;		/* the daemon's own namespace */
	struct netns_svc *all;		/* every one served, own included */
};

/* How to serve one namespace. */
struct netns_svc_spec {
	int nsfd;			/* consumed; -1: the daemon's own */
	const char *name;		/* for logs ("container NAME"); NULL: own */
	const struct pref64 *prefix;	/* static; NULL: discover it */
	const char *dns64_servers;	/* comma-separated; NULL: resolv.conf; "": none */
	const char *const *interfaces;	/* hear RAs only there (none: every link) */
	unsigned int ninterfaces;
	bool kernel_ra_options;		/* also RA options the kernel forwards */
	bool discovery_optional;	/* a source that cannot start is a warning */
};

struct netns_svc {
	struct netns_env *env;
	int nsfd;			/* -1: the daemon's own */
	uint64_t cookie;
	unsigned int refs;
	char label[160];		/* "" or "container NAME: ", for logs */
	void *dp_priv;			/* the data path's state */
	struct routes routes;		/* its IPv4 routes, for the policy */
	struct uplinks uplinks;		/* its links, for sockets bound to one */
	struct nl_watch nl;		/* its route and link events */
	struct discovery disc;		/* its prefixes and the choice */
	void *src[NETNS_DISC_SOURCES];	/* its PREF64 sources' states */
	struct sock464_netns entry;	/* what the hooks see for it */
	struct netns_svc *next;
};

/* Serve a namespace (one reference); NULL with @why (nsfd closed). */
struct netns_svc *netns_svc_new(struct netns_env *env, const struct netns_svc_spec *spec,
				char *why, size_t whylen);
/* The one served with @cookie, or NULL. */
struct netns_svc *netns_svc_find(struct netns_env *env, uint64_t cookie);
/* Drop a reference; the last stops serving it (its entries go). */
void netns_svc_put(struct netns_svc *ns);
/* The prefix its connections use now (its own, else the daemon's), or NULL. */
const struct pref64 *netns_svc_prefix(const struct netns_svc *ns, struct pref64 *buf);
/* Write its entry and rules again (its prefix or the settings changed). */
int netns_svc_publish(struct netns_svc *ns);
/* Every namespace: entries and rules again, new settings to data paths. */
int netns_svc_settings_changed(struct netns_env *env);
/* After each batch of events (loop.after_batch). */
void netns_svc_after_batch(void *env);
/*
 * Remove the daemon's own entry: new connects are refused from now on (the
 * kernel path with --pin keeps it, SOCK464_NS_XLAT_ONLY, for its flows).
 */
void netns_svc_withdraw(struct netns_svc *ns);

#endif
