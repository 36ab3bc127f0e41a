/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 7050 (updated by RFC 8880): learn the NAT64 prefix from a DNS64's
 * AAAA answer for ipv4only.arpa.
 *
 * Pure protocol code: it builds and decodes buffers and never touches a
 * socket; the daemon sends the query through a c-ares channel and hands
 * the raw answer to dns64_parse_response().
 */
#ifndef SOCK464_DNS64_H
#define SOCK464_DNS64_H

#include <stddef.h>
#include <linux/types.h>

#define DNS64_QNAME		"ipv4only.arpa"
#define DNS64_WKA_170		0xc00000aa	/* 192.0.0.170, host order */
#define DNS64_WKA_171		0xc00000ab	/* 192.0.0.171, host order */
#define DNS64_QUERY_MAX		64	/* ample for the fixed query (31 bytes) */

/* One NAT64 prefix learned from the answer. */
struct dns64_prefix {
	__u8 prefix[16];	/* bits past @plen are zero */
	__u8 plen;		/* 96, 64, 56, 48, 40 or 32 */
};

/*
 * Write into @buf the query "ipv4only.arpa. IN AAAA" with message ID @id,
 * RD set and no EDNS0 OPT record, hence no DNSSEC OK bit (RFC 7050
 * section 3).  Returns the query length, -ENOBUFS if @size is too small,
 * or -ENOMEM.
 */
int dns64_build_query(__u16 id, __u8 *buf, size_t size);

/*
 * If @addr is exactly the RFC 6052 synthesis of 192.0.0.170 or .171 under
 * some prefix (u-octet and suffix zero), store that prefix in @out and
 * return 1; else return 0.  At most one length can match (see dns64.c).
 */
int dns64_find_prefix(const __u8 addr[16], struct dns64_prefix *out);

/*
 * Decode a DNS response to the query above.  Every distinct prefix found
 * in the AAAA answers is stored in @out, up to @max (further ones are
 * dropped); *@count is the number stored.  *@ttl_s is the smallest TTL of
 * the answers a prefix came from, CNAMEs on the way included: when to ask
 * again.
 *
 * Returns 0, or:
 *   -ENOENT    AAAA answers, none with a well-known address: the resolver
 *              answered without synthesis (no DNS64, or not ours);
 *   -ENODATA   no AAAA answer at all (NOERROR/NODATA): no DNS64 here;
 *   -EREMOTEIO the RCODE is an error (NXDOMAIN, SERVFAIL, REFUSED, ...);
 *   -EINVAL    not a response, or not to an ipv4only.arpa IN AAAA query;
 *   -EMSGSIZE  shorter than a DNS header, or above 65535 bytes;
 *   -EBADMSG   malformed or cut short (names, records past the end);
 *   -ENOMEM.
 * On error *@count and *@ttl_s are 0.
 */
int dns64_parse_response(const __u8 *abuf, size_t alen,
			 struct dns64_prefix *out, size_t max, size_t *count,
			 __u32 *ttl_s);

#endif /* SOCK464_DNS64_H */
