// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The TCP relay's pipe budget (relay_pipe_share() in loader/datapath/relay_tcp.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "relay_tcp.h"

#define MIB (1024u * 1024)
#define KIB 1024u

/* Few connections: each direction may fill its whole pipe. */
static void test_few_use_the_pipe(void **state)
{
	(void)state;
	assert_int_equal(relay_pipe_share(0, MIB), MIB);
	assert_int_equal(relay_pipe_share(1, MIB), MIB);
	assert_int_equal(relay_pipe_share(128, MIB), MIB);
}

/* Many: an equal share of the budget, so the total stays within it. */
static void test_many_share_the_budget(void **state)
{
	unsigned int n;

	(void)state;
	assert_int_equal(relay_pipe_share(129, MIB), RELAY_PIPE_BUDGET / 2 / 129);
	assert_int_equal(relay_pipe_share(1024, MIB), 128 * KIB);
	for (n = 129; n <= RELAY_PIPE_BUDGET / 2 / RELAY_PIPE_MIN; n++)
		assert_true((uint64_t)relay_pipe_share(n, MIB) * 2 * n <= RELAY_PIPE_BUDGET);
}

/* Never below the floor, and never more than the pipe holds. */
static void test_bounds(void **state)
{
	(void)state;
	assert_int_equal(relay_pipe_share(16384, MIB), RELAY_PIPE_MIN);
	assert_int_equal(relay_pipe_share(1u << 20, MIB), RELAY_PIPE_MIN);
	assert_int_equal(relay_pipe_share(1, 64 * KIB), 64 * KIB);
	assert_int_equal(relay_pipe_share(16384, 16 * KIB), 16 * KIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_few_use_the_pipe),
		cmocka_unit_test(test_many_share_the_budget),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
