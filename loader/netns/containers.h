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

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"

struct daemon;
struct netns_svc;

struct container {
	char name[128];
	char cgroup[OPT_PATH_MAX];
	struct netns_svc *ns;		/* a reference; the daemon's own for host network */
	/* what it was served with, filed for the next daemon (containers_restore()) */
	int pid;
	unsigned long long started;	/* its process's start time (clock ticks after boot) */
	uint64_t netns;			/* the cookie of its namespace then */
	char prefix[64];		/* "": none asked */
	char dns[512];
	bool has_dns;			/* dns= given (else its resolv.conf is read) */
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

/*
 * The containers served are filed beside the control socket
 * ("containers"), rewritten at every serve and unserve and kept at a stop:
 * at its start the next daemon serves again those whose process still runs
 * (the same PID and start time) in the same network namespace (its
 * cookie), so that a restart does not leave them without translation.
 * Others are dropped, and logged.
 */
void containers_restore(struct daemon *d);
/* sock464-load --purge: the file, for good.  0, or -errno (logged). */
int containers_forget(const char *control);

#endif
