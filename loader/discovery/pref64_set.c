// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>

#include "pref64_set.h"

static int same(const struct pref64_entry *e, const struct pref64 *p,
		enum pref64_source src, int ifindex)
{
	return e->src == src && e->ifindex == ifindex && e->p.plen == p->plen &&
	       !memcmp(e->p.addr, p->addr, sizeof(p->addr));
}

static void remove_at(struct pref64_set *s, unsigned int i)
{
	s->e[i] = s->e[--s->n];
}

enum pref64_change pref64_set_learn(struct pref64_set *s,
				    const struct pref64 *p,
				    enum pref64_source src, int ifindex,
				    uint32_t lifetime_s, uint64_t now_ms)
{
	struct pref64_entry *e = NULL;
	bool added = false;
	unsigned int i;

	for (i = 0; i < s->n && !e; i++)
		if (same(&s->e[i], p, src, ifindex))
			e = &s->e[i];
	if (!lifetime_s) {
		if (!e)
			return PREF64_IGNORED;
		remove_at(s, e - s->e);
		return PREF64_WITHDRAWN;
	}
	if (!e) {
		if (s->n == PREF64_SET_MAX)
			return PREF64_FULL;
		e = &s->e[s->n++];
		e->p = *p;
		e->src = src;
		e->ifindex = ifindex;
		added = true;
	}
	e->learned_ms = now_ms;
	e->expires_ms = lifetime_s == PREF64_NEVER_S ?
			PREF64_NEVER : now_ms + (uint64_t)lifetime_s * 1000;
	return added ? PREF64_ADDED : PREF64_UNCHANGED;
}

void pref64_set_expire(struct pref64_set *s, uint64_t now_ms, pref64_cb cb,
		       void *arg)
{
	unsigned int i = 0;

	while (i < s->n) {
		if (s->e[i].expires_ms <= now_ms) {
			if (cb)
				cb(&s->e[i], arg);
			remove_at(s, i);
		} else {
			i++;
		}
	}
}

void pref64_set_forget_older(struct pref64_set *s, enum pref64_source src,
			     uint64_t since_ms, pref64_cb cb, void *arg)
{
	unsigned int i = 0;

	while (i < s->n) {
		if (s->e[i].src == src && s->e[i].learned_ms < since_ms) {
			if (cb)
				cb(&s->e[i], arg);
			remove_at(s, i);
		} else {
			i++;
		}
	}
}

/* 1 if @a is a better choice than @b. */
static int better(const struct pref64_entry *a, const struct pref64_entry *b)
{
	if (a->src != b->src)
		return a->src < b->src;
	if (a->learned_ms != b->learned_ms)
		return a->learned_ms > b->learned_ms;
	return a->expires_ms > b->expires_ms;
}

const struct pref64_entry *pref64_set_best(const struct pref64_set *s)
{
	const struct pref64_entry *best = NULL;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!best || better(&s->e[i], best))
			best = &s->e[i];
	return best;
}

uint64_t pref64_set_next_expiry(const struct pref64_set *s)
{
	uint64_t soonest = PREF64_NEVER;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].expires_ms < soonest)
			soonest = s->e[i].expires_ms;
	return soonest;
}

const char *pref64_source_name(enum pref64_source src)
{
	switch (src) {
	case PREF64_STATIC:
		return "static";
	case PREF64_RA:
		return "ra";
	case PREF64_DNS64:
		return "dns64";
	}
	return "?";
}
