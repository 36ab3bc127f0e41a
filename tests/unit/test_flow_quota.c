// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fair shares of the UDP relay's flows (loader/datapath/flow_quota.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flow_quota.h"

#define QUIET 1000

static struct fq_node *add(struct flow_quota *q, struct fq_node *n, uint64_t id,
			   uint64_t now)
{
	assert_int_equal(fq_add(q, n, id, now), 0);
	return n;
}

/* Under both bounds there is room, and the counts follow. */
static void test_room(void **state)
{
	struct flow_quota q;
	struct fq_node n[3], *v;

	(void)state;
	fq_init(&q, 3, 2, QUIET);
	assert_int_equal(fq_admit(&q, 7, 0, &v), FQ_ROOM);
	add(&q, &n[0], 7, 0);
	add(&q, &n[1], 8, 0);
	assert_int_equal(fq_count(&q, 7), 1);
	assert_int_equal(fq_count(&q, 8), 1);
	assert_int_equal(fq_count(&q, 9), 0);
	fq_remove(&q, &n[0]);
	assert_int_equal(fq_count(&q, 7), 0);
	assert_int_equal(q.n, 1);
	fq_fini(&q);
}

/* A cgroup at its bound: refused while its flows are busy, ... */
static void test_group_bound(void **state)
{
	struct flow_quota q;
	struct fq_node n[4], *v;

	(void)state;
	fq_init(&q, 100, 2, QUIET);
	add(&q, &n[0], 7, 0);
	add(&q, &n[1], 7, 500);
	assert_int_equal(fq_admit(&q, 7, 900, &v), FQ_FULL_GROUP);
	assert_null(v);
	/* ... others are not affected ... */
	assert_int_equal(fq_admit(&q, 8, 900, &v), FQ_ROOM);
	/* ... and its least recently used quiet flow makes room. */
	fq_touch(&n[0], 600);		/* n[1] is now the least recent */
	assert_int_equal(fq_admit(&q, 7, 1500, &v), FQ_EVICT);
	assert_ptr_equal(v, &n[1]);
	fq_fini(&q);
}

/* The whole table full: the oldest quiet flow of any cgroup, or refusal. */
static void test_total_bound(void **state)
{
	struct flow_quota q;
	struct fq_node n[3], *v;

	(void)state;
	fq_init(&q, 3, 3, QUIET);
	add(&q, &n[0], 1, 100);
	add(&q, &n[1], 2, 50);
	add(&q, &n[2], 2, 200);
	assert_int_equal(fq_admit(&q, 3, 1000, &v), FQ_FULL_TOTAL);
	assert_int_equal(fq_admit(&q, 3, 1050, &v), FQ_EVICT);
	assert_ptr_equal(v, &n[1]);
	fq_touch(&n[1], 1050);
	assert_int_equal(fq_admit(&q, 3, 1100, &v), FQ_EVICT);
	assert_ptr_equal(v, &n[0]);
	fq_fini(&q);
}

/* The lists stay consistent through touches and removals. */
static void test_lists(void **state)
{
	struct flow_quota q;
	struct fq_node n[5], *v;
	int i;

	(void)state;
	fq_init(&q, 5, 5, QUIET);
	for (i = 0; i < 5; i++)
		add(&q, &n[i], 1, i);
	fq_touch(&n[0], 10);
	fq_touch(&n[2], 11);
	fq_remove(&q, &n[1]);
	fq_remove(&q, &n[4]);
	/* least recent first: n[3] (3), n[0] (10), n[2] (11) */
	assert_ptr_equal(q.groups->tail, &n[3]);
	assert_ptr_equal(q.groups->head, &n[2]);
	assert_ptr_equal(n[3].prev, &n[0]);
	assert_ptr_equal(n[0].prev, &n[2]);
	assert_null(n[2].prev);
	fq_remove(&q, &n[3]);
	fq_remove(&q, &n[0]);
	fq_remove(&q, &n[2]);
	assert_null(q.groups);
	assert_int_equal(q.n, 0);
	assert_int_equal(fq_admit(&q, 1, 0, &v), FQ_ROOM);
	fq_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_group_bound),
		cmocka_unit_test(test_total_bound),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
