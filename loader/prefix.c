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
	if (!rfc6052_prefix_valid(out->addr, plen)) {
		snprintf(why, whylen, "%s has bits set past /%ld%s", addr, plen,
			 out->addr[RFC6052_UOCTET] ? " (or in bits 64-71, which RFC 6052 keeps zero)" : "");
		return -EINVAL;
	}
	out->plen = plen;
	return 0;
}

char *pref64_format(const struct pref64 *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, p->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, p->plen);
	return buf;
}
