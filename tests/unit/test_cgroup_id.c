// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cgroup known by its id, whatever the spelling (loader/core/cgroup_id.c).
 * The ids and ".." work the same on any directory tree, so a temporary
 * one stands in for cgroupfs: no root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup_id.h"

static char root[] = "/tmp/sock464-cgid-XXXXXX";

/* The chain of @path (ids, then their number in *@n). */
static __u64 *chain(const char *path, unsigned int *n)
{
	static __u64 ids[4][CGROUP_MAX_DEPTH];
	static int next;
	__u64 *out = ids[next++ % 4];
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int r;

	assert_true(fd >= 0);
	r = cgroup_chain(fd, out, CGROUP_MAX_DEPTH);
	close(fd);
	assert_true(r >= 1);
	*n = r;
	return out;
}

static int relation(const char *a, const char *b, char *why, size_t len)
{
	unsigned int an, bn;
	__u64 *aids = chain(a, &an), *bids = chain(b, &bn);

	return cgroup_relation(a, aids, an, b, bids, bn, why, len);
}

static void test_spellings(void **state)
{
	char x[128], other[128], why[512];

	(void)state;
	snprintf(x, sizeof(x), "%s/x", root);
	snprintf(other, sizeof(other), "%s/x//", root);
	assert_int_equal(relation(other, x, why, sizeof(why)), -EEXIST);
	assert_non_null(strstr(why, "the same directory"));
	snprintf(other, sizeof(other), "%s/x/child/..", root);
	assert_int_equal(relation(other, x, why, sizeof(why)), -EEXIST);
	snprintf(other, sizeof(other), "%s/link", root);
	assert_int_equal(relation(other, x, why, sizeof(why)), -EEXIST);
	snprintf(other, sizeof(other), "%s/y", root);
	assert_int_equal(relation(other, x, why, sizeof(why)), 0);
}

static void test_nesting(void **state)
{
	char x[128], child[128], why[512];

	(void)state;
	snprintf(x, sizeof(x), "%s/x", root);
	snprintf(child, sizeof(child), "%s/link/child/grandchild", root);
	assert_int_equal(relation(child, x, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "is below"));
	assert_int_equal(relation(x, child, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "is above"));
}

static int setup(void **state)
{
	char p[160];

	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(p, sizeof(p), "%s/x", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/x/child", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/x/child/grandchild", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/y", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/link", root);
	return symlink("x", p);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_nesting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
