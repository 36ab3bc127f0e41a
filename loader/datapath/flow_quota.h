/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fair shares of the UDP relay's flows: a bound in total and one per
 * cgroup (the sending process's), each cgroup's flows in least recently
 * used order.  A new flow that would pass a bound takes the place of the
 * least recently used flow that has been quiet for a while (its cgroup's
 * own when the cgroup is at its bound, else the oldest of all), or is
 * refused.  Pure code: unit-tested.
 */
#ifndef SOCK464_FLOW_QUOTA_H
#define SOCK464_FLOW_QUOTA_H

#include <stdint.h>

struct fq_group;

/* Embedded in each flow. */
struct fq_node {
	struct fq_node *prev, *next;	/* its group's list, most recent first */
	struct fq_group *g;
	uint64_t last_ms;		/* last datagram either way */
};

struct fq_group {
	uint64_t id;			/* cgroup id */
	unsigned int n;			/* flows */
	struct fq_node *head, *tail;	/* most and least recently used */
	struct fq_group *next;
};

struct flow_quota {
	unsigned int n, max_total, max_group;
	uint64_t quiet_ms;		/* a flow this quiet may be evicted */
	struct fq_group *groups;	/* those with flows */
};

enum fq_verdict {
	FQ_ROOM,		/* add it */
	FQ_EVICT,		/* remove *victim first, then add it */
	FQ_FULL_TOTAL,		/* refused: max_total flows, none quiet */
	FQ_FULL_GROUP,		/* refused: max_group flows of its cgroup, none quiet */
};

void fq_init(struct flow_quota *q, unsigned int max_total, unsigned int max_group,
	     uint64_t quiet_ms);
/* May a new flow of cgroup @id be added at @now? */
enum fq_verdict fq_admit(struct flow_quota *q, uint64_t id, uint64_t now,
			 struct fq_node **victim);
/* Count @n as a flow of cgroup @id, used at @now; 0 or -ENOMEM. */
int fq_add(struct flow_quota *q, struct fq_node *n, uint64_t id, uint64_t now);
/* @n was used at @now: it becomes its group's most recent. */
void fq_touch(struct fq_node *n, uint64_t now);
void fq_remove(struct flow_quota *q, struct fq_node *n);
/* Flows of cgroup @id (0 if none). */
unsigned int fq_count(const struct flow_quota *q, uint64_t id);
/* Free the groups (the nodes belong to the caller). */
void fq_fini(struct flow_quota *q);

#endif
