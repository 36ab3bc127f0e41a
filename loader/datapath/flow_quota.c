// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "flow_quota.h"

void fq_init(struct flow_quota *q, unsigned int max_total, unsigned int max_group,
	     uint64_t quiet_ms)
{
	q->n = 0;
	q->max_total = max_total;
	q->max_group = max_group;
	q->quiet_ms = quiet_ms;
	q->groups = NULL;
}

static struct fq_group *group_find(const struct flow_quota *q, uint64_t id)
{
	struct fq_group *g;

	for (g = q->groups; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

static int quiet(const struct flow_quota *q, const struct fq_node *n, uint64_t now)
{
	return n && now - n->last_ms >= q->quiet_ms;
}

enum fq_verdict fq_admit(struct flow_quota *q, uint64_t id, uint64_t now,
			 struct fq_node **victim)
{
	struct fq_group *g = group_find(q, id), *o;
	struct fq_node *oldest = NULL;

	*victim = NULL;
	if (g && g->n >= q->max_group) {
		if (!quiet(q, g->tail, now))
			return FQ_FULL_GROUP;
		*victim = g->tail;
		return FQ_EVICT;
	}
	if (q->n < q->max_total)
		return FQ_ROOM;
	for (o = q->groups; o; o = o->next)
		if (o->tail && (!oldest || o->tail->last_ms < oldest->last_ms))
			oldest = o->tail;
	if (!quiet(q, oldest, now))
		return FQ_FULL_TOTAL;
	*victim = oldest;
	return FQ_EVICT;
}

static void unlink_node(struct fq_node *n)
{
	struct fq_group *g = n->g;

	if (n->prev)
		n->prev->next = n->next;
	else
		g->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		g->tail = n->prev;
	n->prev = n->next = NULL;
}

static void push_front(struct fq_group *g, struct fq_node *n)
{
	n->g = g;
	n->prev = NULL;
	n->next = g->head;
	if (g->head)
		g->head->prev = n;
	g->head = n;
	if (!g->tail)
		g->tail = n;
}

int fq_add(struct flow_quota *q, struct fq_node *n, uint64_t id, uint64_t now)
{
	struct fq_group *g = group_find(q, id);

	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->id = id;
		g->next = q->groups;
		q->groups = g;
	}
	n->last_ms = now;
	push_front(g, n);
	g->n++;
	q->n++;
	return 0;
}

void fq_touch(struct fq_node *n, uint64_t now)
{
	n->last_ms = now;
	if (n->g->head == n)
		return;
	unlink_node(n);
	push_front(n->g, n);
}

void fq_remove(struct flow_quota *q, struct fq_node *n)
{
	struct fq_group *g = n->g, **pp;

	unlink_node(n);
	n->g = NULL;
	g->n--;
	q->n--;
	if (g->n)
		return;
	for (pp = &q->groups; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	free(g);
}

unsigned int fq_count(const struct flow_quota *q, uint64_t id)
{
	const struct fq_group *g = group_find(q, id);

	return g ? g->n : 0;
}

void fq_fini(struct flow_quota *q)
{
	struct fq_group *g;

	while ((g = q->groups)) {
		q->groups = g->next;
		free(g);
	}
	q->n = 0;
}
