/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Containers served in their own network namespaces, through the control
 * requests "serve-container NAME PID CGROUP [PREFIX/LEN]" and
 * "unserve-container NAME" (what sock464-oci-hook sends).  Containers
 * that share a namespace (a pod) share its service; a container in the
 * daemon's own namespace (host network) uses the daemon's relays.
 */
#ifndef SOCK464_CONTAINERS_H
#define SOCK464_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "discovery.h"
#include "dns64_query.h"
#include "netlink.h"
#include "options.h"
#include "ra_listen.h"
#include "relay_tcp.h"
#include "relay_udp.h"
#include "routes.h"
#include "sock464.h"

struct daemon;

/* A served network namespace other than the daemon's. */
struct netns_svc {
	int nsfd;
	uint64_t cookie;
	unsigned int refs;		/* containers in it */
	struct daemon *d;
	struct relay_tcp tcp;		/* relays inside it */
	struct relay_udp udp;
	struct routes routes;		/* its routes, for the policy */
	struct nl_watch nl;		/* its route and link events */
	struct discovery disc;		/* its own prefix, if any */
	struct ra_listen ra;
	struct dns64_query dns;		/* its DNS64, from its resolv.conf */
	struct sock464_netns cfg;	/* its entry for the hooks */
	struct netns_svc *next;
};

struct container {
	char name[128];
	char cgroup[OPT_PATH_MAX];
	struct netns_svc *ns;		/* NULL: the daemon's own namespace */
	struct container *next;
};

/*
 * Serve or stop serving; the answer line goes to @out.  0 or -errno.
 * @dns: the resolvers of the container's own resolv.conf ("A,B", "" for
 * none), as the OCI hook read them from the bundle; NULL: read
 * /proc/PID/root/etc/resolv.conf.
 */
int container_serve(struct daemon *d, const char *name, int pid,
		    const char *cgroup, const char *prefix, const char *dns, FILE *out);
int container_unserve(struct daemon *d, const char *name, FILE *out);
/* A namespace's entry again (the daemon's prefix or settings changed). */
void netns_svc_publish(struct netns_svc *ns);
void containers_reap(struct daemon *d);
void containers_stop(struct daemon *d);

#endif
