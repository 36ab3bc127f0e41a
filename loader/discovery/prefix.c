// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "rfc6052.h"

int pref64_parse(const char *text, struct pref64 *out, char *why,
		 size_t whylen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	char *end;
	long plen;

	if (!slash) {
		snprintf(why, whylen, "no prefix length (write it as ADDR/LEN, e.g. 64:ff9b::/96)");
		return -EINVAL;
	}
	if ((size_t)(slash - text) >= sizeof(addr)) {
		snprintf(why, whylen, "the address part is too long");
		return -EINVAL;
	}
	memcpy(addr, text, slash - text);
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET6, addr, out->addr) != 1) {
		snprintf(why, whylen, "'%s' is not an IPv6 address", addr);
		return -EINVAL;
	}
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end) {
		snprintf(why, whylen, "'%s' is not a prefix length", slash + 1);
		return -EINVAL;
	}
	if (plen < 0 || plen > 128 || !rfc6052_len_valid(plen)) {
		snprintf(why, whylen,
			 "length /%ld is not allowed by RFC 6052 (use 32, 40, 48, 56, 64 or 96)",
			 plen);
		return -EINVAL;
	}
	out->plen = plen;
	return pref64_check(out, why, whylen);
}

int pref64_check(const struct pref64 *p, char *why, size_t whylen)
{
	static const __u8 zero[12];
	char addr[INET6_ADDRSTRLEN];
	const __u8 *a = p->addr;

	inet_ntop(AF_INET6, a, addr, sizeof(addr));
	if (!rfc6052_prefix_valid(a, p->plen)) {
		snprintf(why, whylen, "%s/%u is not an RFC 6052 prefix (a length other "
			 "than 32, 40, 48, 56, 64, 96, bits set past it, or in bits 64-71)",
			 addr, p->plen);
		return -EINVAL;
	}
	/* Prefixes that would send "translated" traffic anywhere but a NAT64. */
	if (!memcmp(a, zero, 10) && (a[10] == 0xff || a[10] == 0) &&
	    a[10] == a[11]) {
		snprintf(why, whylen, "%s/%u is IPv4-mapped or IPv4-compatible space, "
			 "not a NAT64 prefix", addr, p->plen);
		return -EINVAL;
	}
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
		snprintf(why, whylen, "%s/%u is %s space, not a NAT64 prefix", addr,
			 p->plen, a[0] == 0xff ? "multicast" : "link-local");
		return -EINVAL;
	}
	return 0;
}

char *pref64_format(const struct pref64 *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, p->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, p->plen);
	return buf;
}
