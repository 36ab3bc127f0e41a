/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* PREF64 values: parsing "PREFIX/LEN" and printing them back. */
#ifndef SOCK464_PREFIX_H
#define SOCK464_PREFIX_H

#include <linux/types.h>
#include <stddef.h>

struct pref64 {
	__u8 addr[16];
	__u8 plen;
};

/* Large enough for "xxxx:...:xxxx/NN" */
#define PREF64_STRLEN 56

/*
 * Parse @text as an RFC 6052 prefix "ADDR/LEN".  On failure returns
 * -EINVAL and writes into @why (@whylen bytes) what was wrong with it.
 */
int pref64_parse(const char *text, struct pref64 *out, char *why,
		 size_t whylen);

/*
 * Whether @p may serve as a PREF64: an RFC 6052 prefix, and not IPv4-mapped,
 * IPv4-compatible, link-local or multicast space.  Every prefix, from the
 * command line or discovered, passes here.  0, or -EINVAL and @why.
 */
int pref64_check(const struct pref64 *p, char *why, size_t whylen);

/* "64:ff9b::/96"; returns @buf. */
char *pref64_format(const struct pref64 *p, char *buf, size_t len);

#endif
