/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's view of PREF64: every source (static, RA, DNS64) reports
 * what it learned here; this module logs each change, expires lifetimes,
 * chooses the prefix new connections use and hands it to @publish.
 */
#ifndef SOCK464_DISCOVERY_H
#define SOCK464_DISCOVERY_H

#include "loop.h"
#include "pref64_set.h"

struct discovery {
	struct loop *loop;
	struct pref64_set set;
	struct timer expiry;
	struct timer settle;			/* one choice after a burst of news */
	struct pref64_entry best;		/* copy of the one in use */
	char label[160];			/* "" or "container NAME: ", for logs */
	bool have_best;
	const char *from;			/* who sent the news being learned */
	bool replies;				/* it answers our queries (DNS64) */
	/* Called with the prefix to use, or NULL when none is known. */
	void (*publish)(const struct pref64 *p, void *arg);
	void *arg;
};

void discovery_init(struct discovery *d, struct loop *l,
		    void (*publish)(const struct pref64 *p, void *arg),
		    void *arg);
void discovery_fini(struct discovery *d);

/* One prefix from one source; lifetime 0 withdraws it. */
void discovery_learn(struct discovery *d, const struct pref64 *p,
		     enum pref64_source src, int ifindex, uint32_t lifetime_s);
/*
 * The prefixes of one RA, learned at one time, then one choice; @from
 * ("fe80::1 on eth0") names the sender, whose log lines are limited.
 */
void discovery_learn_many(struct discovery *d, const struct pref64 *p,
			  const uint32_t *lifetime_s, unsigned int n,
			  enum pref64_source src, int ifindex, const char *from);
/*
 * A complete DNS64 answer: these prefixes, valid for @ttl_s; DNS64
 * prefixes not in it are dropped.
 */
void discovery_dns64_answer(struct discovery *d, const struct pref64 *p,
			    unsigned int n, uint32_t ttl_s);

/* "eth0" or "#7" for an interface index; "-" for 0. */
const char *discovery_ifname(int ifindex, char buf[16]);

#endif
