// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for loader/discovery/ra.c.  The input is fed three ways: as a
 * whole RA, as a bare options area (RTM_NEWNDUSEROPT) and as one option.
 * Besides memory errors (ASan/UBSan), every result is checked against the
 * promises ra.h makes; a broken promise aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iloader \
 *         tests/fuzz/fuzz_ra.c loader/discovery/ra.c -o /tmp/fuzz_ra
 *   /tmp/fuzz_ra tests/fuzz/corpus/ra
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ra.h"
#include "rfc6052.h"

#define MAXOPT 4

#define check(cond)		\
	do {			\
		if (!(cond))	\
			abort();	\
	} while (0)

/* One decoded option keeps every promise, and survives re-encoding. */
static void check_one(const struct ra_pref64 *r)
{
	__u8 buf[RA_PREF64_OPT_LEN];
	struct ra_pref64 again;
	unsigned int i;

	check(rfc6052_len_valid(r->plen));
	for (i = r->plen / 8; i < 16; i++)
		check(r->prefix[i] == 0);
	check(r->lifetime_s % 8 == 0);
	check(r->lifetime_s <= RA_PREF64_LIFETIME_MAX);

	check(ra_build_pref64_option(buf, r->prefix, r->plen, r->lifetime_s) ==
	      RA_PREF64_OPT_LEN);
	check(ra_parse_option(buf, sizeof(buf), &again) == 1);
	check(!memcmp(&again.prefix, r->prefix, sizeof(r->prefix)));
	check(again.plen == r->plen && again.lifetime_s == r->lifetime_s);
}

static void check_walk(int err, const struct ra_pref64 *out, size_t n)
{
	size_t i;

	if (err) {
		check(err == -EINVAL || err == -EMSGSIZE);
		check(n == 0);
		return;
	}
	check(n <= MAXOPT);
	for (i = 0; i < n; i++)
		check_one(&out[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ra_pref64 out[MAXOPT], one;
	size_t n;
	int err;

	n = 99;
	err = ra_parse(data, size, out, MAXOPT, &n);
	check_walk(err, out, n);

	n = 99;
	err = ra_parse_options(data, size, out, MAXOPT, &n);
	check_walk(err, out, n);

	err = ra_parse_option(data, size, &one);
	check(err == 1 || err == 0 || err == -EINVAL || err == -EMSGSIZE);
	if (err == 1)
		check_one(&one);
	return 0;
}
