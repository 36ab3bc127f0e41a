/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Containers served in their own network namespaces, through the control
 * requests "serve-container NAME PID CGROUP [PREFIX/LEN]" and
 * "unserve-container NAME" (what sock464-oci-hook sends).
 */
#ifndef SOCK464_CONTAINERS_H
#define SOCK464_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "discovery.h"
#include "netlink.h"
#include "options.h"
#include "ra_listen.h"
#include "relay_tcp.h"
#include "relay_udp.h"
#include "routes.h"
#include "sock464.h"

struct daemon;

struct container {
	char name[128];
	char cgroup[OPT_PATH_MAX];
	int nsfd;			/* its network namespace */
	uint64_t cookie;		/* and that namespace's cookie */
	bool attached;
	struct daemon *d;
	struct relay_tcp tcp;
	struct relay_udp udp;
	struct routes routes;
	struct discovery disc;		/* its own prefix, if any */
	struct ra_listen ra;
	struct nl_watch nl;		/* its routes and links */
	struct sock464_netns cfg;
	struct container *next;
};

/* Serve or stop serving; the answer line goes to @out.  0 or -errno. */
int container_serve(struct daemon *d, const char *name, int pid,
		    const char *cgroup, const char *prefix, FILE *out);
int container_unserve(struct daemon *d, const char *name, FILE *out);
/* Its namespace entry again (the daemon's prefix or settings changed). */
void container_publish(struct container *c);
void containers_reap(struct daemon *d);
void containers_stop(struct daemon *d);

#endif
