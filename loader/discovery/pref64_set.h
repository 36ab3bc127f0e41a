/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The PREF64s known at a moment, from every source, with their lifetimes;
 * and the choice of the one new connections use.  Pure code: time is
 * passed in, so it is unit-tested without clocks or sockets.
 */
#ifndef SOCK464_PREF64_SET_H
#define SOCK464_PREF64_SET_H

#include <stdint.h>
#include "prefix.h"

/* In order of priority: static over RA over DNS64 (RFC 9872). */
enum pref64_source {
	PREF64_STATIC,
	PREF64_RA,
	PREF64_DNS64,
};

#define PREF64_NEVER	UINT64_MAX	/* expires_ms of a static prefix */
#define PREF64_SET_MAX	32

struct pref64_entry {
	struct pref64 p;
	enum pref64_source src;
	int ifindex;		/* RA: the link it came from; else 0 */
	uint64_t learned_ms;	/* when last (re)announced */
	uint64_t expires_ms;	/* PREF64_NEVER for a static prefix */
};

struct pref64_set {
	struct pref64_entry e[PREF64_SET_MAX];
	unsigned int n;
};

enum pref64_change {
	PREF64_UNCHANGED,	/* known already; lifetime extended */
	PREF64_ADDED,
	PREF64_WITHDRAWN,	/* lifetime 0 for a known prefix */
	PREF64_IGNORED,		/* lifetime 0 for an unknown prefix */
	PREF64_FULL,		/* no room: PREF64_SET_MAX entries */
};

/*
 * Learn @p from @src on @ifindex with @lifetime_s seconds to live
 * (PREF64_NEVER_S: forever); lifetime 0 withdraws it.
 */
#define PREF64_NEVER_S	UINT32_MAX
enum pref64_change pref64_set_learn(struct pref64_set *s,
				    const struct pref64 *p,
				    enum pref64_source src, int ifindex,
				    uint32_t lifetime_s, uint64_t now_ms);

typedef void (*pref64_cb)(const struct pref64_entry *e, void *arg);

/* Remove the entries whose lifetime has run out, calling @cb for each. */
void pref64_set_expire(struct pref64_set *s, uint64_t now_ms, pref64_cb cb,
		       void *arg);

/*
 * Remove every entry of @src that was not (re)learned at or after
 * @since_ms, calling @cb for each: a DNS64 answer replaces the last one.
 */
void pref64_set_forget_older(struct pref64_set *s, enum pref64_source src,
			     uint64_t since_ms, pref64_cb cb, void *arg);

/*
 * The prefix new connections use: the best source; within it the most
 * recently announced; then the longest remaining lifetime.  NULL if none.
 */
const struct pref64_entry *pref64_set_best(const struct pref64_set *s);

/* The earliest expiry, PREF64_NEVER if nothing expires. */
uint64_t pref64_set_next_expiry(const struct pref64_set *s);

const char *pref64_source_name(enum pref64_source src);

#endif
