/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reference checksums for the tests of include/rfc7915.h: the full
 * computation, byte by byte, that the incremental one must equal.  Used by
 * tests/unit/test_rfc7915.c and tests/fuzz/fuzz_rfc7915.c.
 */
#ifndef SOCK464_CSUM_REF_H
#define SOCK464_CSUM_REF_H

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "rfc7915.h"

/* A one's-complement sum over @len bytes (padded with a zero byte if odd). */
static inline __u32 csum_ref_sum(__u32 sum, const void *p, size_t len)
{
	const __u8 *b = p;
	size_t i;
	__u16 w;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, b + i, 2);
		sum += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, b + len - 1, 1);
		sum += w;
	}
	return sum;
}

/* The TCP/UDP checksum of @l4 (check field already zero) over IPv4. */
static inline __u16 csum_ref4(__u32 s, __u32 d, __u8 proto, const void *l4, size_t len)
{
	__u32 sum = csum_ref_sum(csum_ref_sum(0, &s, 4), &d, 4);

	sum += htons(proto) + htons((__u16)len);
	return (__u16)~xlat_csum_fold(csum_ref_sum(sum, l4, len));
}

/* The same over IPv6 (RFC 8200 section 8.1 pseudo-header). */
static inline __u16 csum_ref6(const __u8 s[16], const __u8 d[16], __u8 proto,
			      const void *l4, size_t len)
{
	__u32 plen = htonl((__u32)len), nh = htonl(proto);
	__u32 sum = csum_ref_sum(csum_ref_sum(0, s, 16), d, 16);

	sum = csum_ref_sum(csum_ref_sum(sum, &plen, 4), &nh, 4);
	return (__u16)~xlat_csum_fold(csum_ref_sum(sum, l4, len));
}

#endif
