/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The links of a served namespace, for sockets bound to a device
 * (SO_BINDTODEVICE, curl --interface, ping -I): every link but lo goes
 * into sock464_uplinks by name, flagged SOCK464_UPLINK_PREF64 when the
 * kernel routes the namespace's PREF64 out of it (RTM_GETROUTE for
 * PREF64::192.0.0.170 with that output device answers with that device).
 * The hooks move a socket bound to such a link onto lo and remember the
 * link; any other device gets ENETUNREACH for a translated destination.
 * With a native IPv4 default route nothing is translated, so no link is
 * flagged and bound sockets are left as they are.
 */
#ifndef SOCK464_UPLINKS_H
#define SOCK464_UPLINKS_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "prefix.h"

struct hooks;

struct uplinks {
	struct loop *loop;
	struct hooks *hooks;
	uint64_t netns;
	int netns_fd;		/* whose links; -1: the daemon's namespace */
	/* the namespace's prefix now (NULL: none), asked at each look */
	const struct pref64 *(*prefix)(const void *arg, struct pref64 *buf);
	const void *arg;
	const bool *native_default;	/* a native IPv4 default route: none flagged */
	struct timer debounce;
	unsigned int count, usable;	/* links written, of them flagged */
};

/* Look now; 0 or -errno (logged). */
int uplinks_sync(struct uplinks *u);
/* Links, routes or the prefix changed: look again shortly (after the
 * IPv4 route mirror, whose default route it reads). */
void uplinks_changed(struct uplinks *u);
/* Stop following; @forget: remove the namespace's entries too. */
void uplinks_stop(struct uplinks *u, bool forget);

#endif
