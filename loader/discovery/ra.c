// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RFC 8781 PREF64 option parsing and encoding.  See ra.h for the API.
 *
 * Every read is bounds-checked against the length the caller gave; the
 * code never trusts a length field before comparing it with what is left.
 */
#include <errno.h>
#include <string.h>

#include "ra.h"

#define ND_OPT_UNIT		8	/* option lengths count 8-byte units */
#define PREF64_LEN_FIELD	(RA_PREF64_OPT_LEN / ND_OPT_UNIT)
#define PREF64_LIFETIME_MASK	0xfff8	/* high 13 bits, already * 8 */
#define PREF64_PLC_MASK		0x0007
#define PREF64_PREFIX_OFF	4	/* bytes 4-15: highest 96 prefix bits */
#define PREF64_PREFIX_BYTES	12

/* RFC 8781 section 4: PLC values 0..5; 6 and 7 are reserved. */
static const __u8 plc_to_plen[] = { 96, 64, 56, 48, 40, 32 };

static int plen_to_plc(unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < sizeof(plc_to_plen); i++)
		if (plc_to_plen[i] == plen)
			return i;
	return -1;
}

/*
 * Clear the bits past @plen.  RFC 8781 says a router sets them to zero, but
 * a host must not let a sloppy router make it synthesize odd addresses.
 * Every allowed length is a multiple of 8, so whole bytes suffice.
 */
static void mask_prefix(__u8 prefix[16], unsigned int plen)
{
	memset(prefix + plen / 8, 0, 16 - plen / 8);
}

static void decode_pref64(const __u8 *opt, unsigned int plen,
			  struct ra_pref64 *out)
{
	__u16 word = (__u16)(opt[2] << 8 | opt[3]);

	memset(out->prefix, 0, sizeof(out->prefix));
	memcpy(out->prefix, opt + PREF64_PREFIX_OFF, PREF64_PREFIX_BYTES);
	mask_prefix(out->prefix, plen);
	out->plen = (__u8)plen;
	out->lifetime_s = word & PREF64_LIFETIME_MASK;
}

int ra_parse_option(const void *opt, size_t len, struct ra_pref64 *out)
{
	const __u8 *p = opt;
	size_t optlen;
	unsigned int plc;

	if (len < 2)
		return -EMSGSIZE;
	optlen = (size_t)p[1] * ND_OPT_UNIT;
	if (!optlen)
		return -EINVAL;
	if (optlen > len)
		return -EMSGSIZE;

	if (p[0] != RA_OPT_PREF64)
		return 0;
	/* RFC 8781 section 4: any other length, ignore the option. */
	if (p[1] != PREF64_LEN_FIELD)
		return 0;
	plc = p[3] & PREF64_PLC_MASK;
	if (plc >= sizeof(plc_to_plen))
		return 0;

	decode_pref64(p, plc_to_plen[plc], out);
	return 1;
}

int ra_parse_options(const void *opts, size_t len, struct ra_pref64 *out,
		     size_t max, size_t *count)
{
	const __u8 *p = opts;
	size_t off = 0, n = 0;
	struct ra_pref64 one;
	int err;

	*count = 0;
	while (off < len) {
		err = ra_parse_option(p + off, len - off, &one);
		if (err < 0)
			return err;
		if (err > 0 && n < max)
			out[n++] = one;
		/* ra_parse_option checked that p[off + 1] is readable. */
		off += (size_t)p[off + 1] * ND_OPT_UNIT;
	}
	*count = n;
	return 0;
}

int ra_parse(const void *msg, size_t len, struct ra_pref64 *out, size_t max,
	     size_t *count)
{
	const __u8 *p = msg;

	*count = 0;
	if (len < RA_HDR_LEN)
		return -EMSGSIZE;
	if (p[0] != RA_ICMP_TYPE || p[1] != 0)
		return -EINVAL;
	return ra_parse_options(p + RA_HDR_LEN, len - RA_HDR_LEN, out, max,
				count);
}

int ra_build_pref64_option(__u8 buf[RA_PREF64_OPT_LEN], const __u8 prefix[16],
			   unsigned int plen, __u32 lifetime_s)
{
	__u8 masked[16];
	__u32 scaled;
	int plc;

	plc = plen_to_plc(plen);
	if (plc < 0)
		return -EINVAL;
	if (lifetime_s > RA_PREF64_LIFETIME_MAX)
		return -ERANGE;
	scaled = (lifetime_s + 7) & PREF64_LIFETIME_MASK;

	memcpy(masked, prefix, sizeof(masked));
	mask_prefix(masked, plen);

	buf[0] = RA_OPT_PREF64;
	buf[1] = PREF64_LEN_FIELD;
	buf[2] = (__u8)(scaled >> 8);
	buf[3] = (__u8)((scaled & 0xff) | (unsigned int)plc);
	memcpy(buf + PREF64_PREFIX_OFF, masked, PREF64_PREFIX_BYTES);
	return RA_PREF64_OPT_LEN;
}
