/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 8781 PREF64 option: parsing from Router Advertisements and encoding.
 *
 * Pure protocol code: it reads buffers and never touches a socket, so it
 * runs in unit tests and under a fuzzer without privileges.  Checks that
 * belong to the socket layer (ICMPv6 checksum, hop limit 255, link-local
 * source; RFC 4861 section 6.1.2) are the caller's job.
 */
#ifndef SOCK464_RA_H
#define SOCK464_RA_H

#include <stddef.h>
#include <linux/types.h>

#define RA_ICMP_TYPE		134	/* ND_ROUTER_ADVERT */
#define RA_HDR_LEN		16	/* type .. retrans timer; options follow */
#define RA_OPT_PREF64		38	/* RFC 8781 section 4 */
#define RA_PREF64_OPT_LEN	16	/* length field 2, in units of 8 bytes */
#define RA_PREF64_LIFETIME_MAX	65528	/* 13-bit scaled lifetime * 8 */

/* One PREF64 option, decoded. */
struct ra_pref64 {
	__u8 prefix[16];	/* bits past @plen are zero */
	__u8 plen;		/* 96, 64, 56, 48, 40 or 32 */
	__u32 lifetime_s;	/* 0 means: withdraw this prefix */
};

/*
 * Parse a whole Router Advertisement, starting at the ICMPv6 type byte.
 * Every valid PREF64 option is stored in @out, in packet order, until @max
 * are stored; further ones are skipped (but the walk still validates the
 * rest of the packet).  *@count is the number stored.
 *
 * Returns 0, or:
 *   -EINVAL   not an RA (type/code), or an option with length field 0
 *             (RFC 4861 section 4.6: discard the whole packet);
 *   -EMSGSIZE shorter than the RA header, or an option runs past the end.
 * On error *@count is 0: a malformed packet is discarded as a whole.
 */
int ra_parse(const void *msg, size_t len, struct ra_pref64 *out, size_t max,
	     size_t *count);

/*
 * The same walk over a bare options area (what follows the RA header), as
 * carried by an RTM_NEWNDUSEROPT message (nduseropt_opts_len bytes).
 */
int ra_parse_options(const void *opts, size_t len, struct ra_pref64 *out,
		     size_t max, size_t *count);

/*
 * Parse the ONE option at @opt; @len is how many bytes are readable there
 * (bytes past the option's own length are not looked at).
 *
 * Returns 1 and fills @out if it is a usable PREF64 option; 0 if it is a
 * well-formed option to ignore (another type, PREF64 with a length other
 * than 2 or a reserved PLC); -EINVAL for a length field of 0; -EMSGSIZE if
 * the option header or body runs past @len.
 */
int ra_parse_option(const void *opt, size_t len, struct ra_pref64 *out);

/*
 * Encode a PREF64 option into @buf (RA_PREF64_OPT_LEN bytes).  Bits of
 * @prefix past @plen are not encoded; @lifetime_s is rounded up to a
 * multiple of 8 so the prefix is never advertised for less than asked.
 *
 * Returns RA_PREF64_OPT_LEN, -EINVAL for a length RFC 6052 does not allow,
 * or -ERANGE for a lifetime above RA_PREF64_LIFETIME_MAX.
 */
int ra_build_pref64_option(__u8 buf[RA_PREF64_OPT_LEN], const __u8 prefix[16],
			   unsigned int plen, __u32 lifetime_s);

#endif /* SOCK464_RA_H */
