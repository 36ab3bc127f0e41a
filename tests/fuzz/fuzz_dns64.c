// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for loader/discovery/dns64.c.  The input is a DNS response; each
 * result is checked against the promises dns64.h makes.  The first 16
 * bytes are also tried as an AAAA address, to check that at most one
 * RFC 6052 position ever holds a well-known address (dns64.c relies on it).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iloader \
 *         tests/fuzz/fuzz_dns64.c loader/discovery/dns64.c -lcares -o /tmp/fuzz_dns64
 *   /tmp/fuzz_dns64 tests/fuzz/corpus/dns64
 *
 * c-ares itself is not instrumented by this build: ASan sees our reads,
 * not the library's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns64.h"
#include "rfc6052.h"

#define MAXPFX 4

#define check(cond)		\
	do {			\
		if (!(cond))	\
			abort();	\
	} while (0)

static const unsigned int plens[] = { 96, 64, 56, 48, 40, 32 };

/* An independent count of the positions where @a holds a WKA exactly. */
static int wka_positions(const __u8 a[16])
{
	static const __u32 wkas[] = { DNS64_WKA_170, DNS64_WKA_171 };
	__u8 pfx[16], s[16];
	unsigned int i, w;
	int hits = 0;

	for (i = 0; i < sizeof(plens) / sizeof(plens[0]); i++) {
		memcpy(pfx, a, 16);
		memset(pfx + plens[i] / 8, 0, 16 - plens[i] / 8);
		if (!rfc6052_prefix_valid(pfx, plens[i]))
			continue;
		for (w = 0; w < 2; w++) {
			rfc6052_synthesize(s, pfx, plens[i], htonl(wkas[w]));
			hits += !memcmp(s, a, 16);
		}
	}
	return hits;
}

static void check_find(const uint8_t *data, size_t size)
{
	struct dns64_prefix p;
	__u8 a[16];
	int hits;

	if (size < 16)
		return;
	memcpy(a, data, 16);
	hits = wka_positions(a);
	check(hits <= 1);
	check(dns64_find_prefix(a, &p) == hits);
	if (hits)
		check(rfc6052_prefix_valid(p.prefix, p.plen));
}

static void check_parse(const uint8_t *data, size_t size)
{
	struct dns64_prefix out[MAXPFX];
	size_t n = 99, i, j;
	__u32 ttl = 99;
	int err;

	err = dns64_parse_response(data, size, out, MAXPFX, &n, &ttl);
	if (err) {
		check(err == -ENOENT || err == -ENODATA || err == -EREMOTEIO ||
		      err == -EINVAL || err == -EMSGSIZE || err == -EBADMSG);
		check(n == 0 && ttl == 0);
		return;
	}
	check(n <= MAXPFX);
	for (i = 0; i < n; i++) {
		check(rfc6052_prefix_valid(out[i].prefix, out[i].plen));
		for (j = 0; j < i; j++)
			check(out[i].plen != out[j].plen ||
			      memcmp(out[i].prefix, out[j].prefix, 16));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_find(data, size);
	return 0;
}
