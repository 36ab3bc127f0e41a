/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Containers, through the control requests "serve-container NAME PID
 * CGROUP [PREFIX/LEN]" and "unserve-container NAME" (what sock464-oci-hook
 * sends): each one's cgroup and lifetime, and a reference on the served
 * namespace it runs in (netns_svc.h).  Containers that share a namespace
 * (a pod) share its service; one in the daemon's own namespace (host
 * network) uses the daemon's.
 */
#ifndef SOCK464_CONTAINERS_H
#define SOCK464_CONTAINERS_H

#include <stdio.h>

#include "options.h"

struct daemon;
struct netns_svc;

struct container {
	char name[128];
	char cgroup[OPT_PATH_MAX];
	struct netns_svc *ns;		/* a reference; the daemon's own for host network */
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
void containers_stop(struct daemon *d);

#endif
