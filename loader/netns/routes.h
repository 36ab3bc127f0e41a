/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Policy rule 3: the IPv4 routes of the daemon's network namespace,
 * mirrored into the sock464_routes trie so that destinations with a native
 * path are not translated.  A default route makes the whole host
 * dual-stack: every destination matches it, and sock464 steps aside.
 *
 * Only the main and local tables count (routes of type unicast, local and
 * broadcast; unreachable, blackhole and prohibit routes are no path), and
 * policy routing rules are not evaluated: a destination reachable only
 * through another table is translated unless an exclude rule says not.
 */
#ifndef SOCK464_ROUTES_H
#define SOCK464_ROUTES_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "loop.h"

struct hooks;

struct routes {
	struct loop *loop;
	struct hooks *hooks;
	uint64_t netns;
	int netns_fd;		/* whose routes; -1: the daemon's namespace */
	struct timer debounce;
	unsigned int count;	/* routes mirrored */
	bool has_default;
	char default_dev[IF_NAMESIZE];	/* the default route's device, or "?" */
};

/* Mirror the routes now; 0 or -errno (logged). */
int routes_sync(struct routes *r);
/* Routes changed: mirror them again shortly (events come in bursts). */
void routes_changed(struct routes *r);
void routes_stop(struct routes *r);

#endif
