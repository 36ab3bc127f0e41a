/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * PREF64 from Router Advertisements (RFC 8781), heard on a raw ICMPv6
 * socket: that works whether the kernel, NetworkManager or networkd
 * processes RAs.  A Router Solicitation at start-up and on new links makes
 * routers answer at once instead of at their next periodic RA.
 */
#ifndef SOCK464_RA_LISTEN_H
#define SOCK464_RA_LISTEN_H

#include <stdint.h>
#include "loop.h"

struct discovery;

#define RA_MAX_IFACES 16

struct ra_listen {
	struct loop *loop;
	struct discovery *disc;
	struct ev_source src;
	int netns_fd;			/* whose links; -1: the daemon's */
	int ifindex[RA_MAX_IFACES];	/* --interface; none: every link */
	unsigned int nifs;
	uint64_t heard, ignored;	/* RAs accepted; RAs dropped as invalid */
};

/* Resolve interface names (errors logged); 0 or -errno. */
int ra_listen_set_interfaces(struct ra_listen *r, const char *const *names,
			     unsigned int n);
/* Listen in namespace @netns_fd (-1: the daemon's own) and solicit. */
int ra_listen_start(struct ra_listen *r, struct loop *l, struct discovery *d,
		    int netns_fd);
void ra_listen_stop(struct ra_listen *r);
/* Solicit on @ifindex, or on every listened link when 0. */
void ra_listen_solicit(struct ra_listen *r, int ifindex);
/* Whether RAs from @ifindex are listened to. */
int ra_listen_wants(const struct ra_listen *r, int ifindex);
/* Options of an RA the kernel forwarded (RTM_NEWNDUSEROPT). */
void ra_listen_kernel_options(struct ra_listen *r, int ifindex,
			      const void *opts, size_t len);

#endif
