// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RFC 7050 prefix discovery: build the ipv4only.arpa query and decode the
 * answer.  See dns64.h for the API.
 *
 * c-ares decodes the message (names, compression, CNAME chains, record
 * bounds); this file checks the header and question itself, because
 * c-ares accepts any question name, and then looks for the well-known
 * addresses in every AAAA answer.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "dns64.h"
#include "rfc6052.h"

#define DNS_HDR_LEN	12
#define DNS_QFIXED_LEN	4		/* QTYPE, QCLASS */
#define DNS_AAAA_RR_MIN	(1 + 10 + 16)	/* root name, type..rdlength, addr */
#define DNS_MSG_MAX	65535		/* TCP length prefix is 16 bits */

/*
 * Longest first, the order RFC 6052 lists them in.  The order does not
 * matter for the result: see dns64_find_prefix().
 */
static const __u8 wka_plens[] = { 96, 64, 56, 48, 40, 32 };

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* @ip4 in network order, as rfc6052_extract() stores it. */
static int is_wka(__u32 ip4)
{
	__u32 h = ntohl(ip4);

	return h == DNS64_WKA_170 || h == DNS64_WKA_171;
}

/*
 * Is @addr the synthesis of a WKA under @addr's own first @plen bits?
 * Extraction alone ignores the u-octet and the suffix (RFC 6052 section
 * 2.2), so re-synthesize and compare: that also demands a zero u-octet and
 * a zero suffix, which a DNS64 always produces (RFC 6147 synthesizes with
 * the RFC 6052 algorithm) and which an address that merely contains the
 * bytes c0 00 00 aa somewhere does not have.
 */
static int match_at(const __u8 addr[16], unsigned int plen,
		    struct dns64_prefix *out)
{
	__u8 cand[16], again[16];
	__u32 ip4;

	memcpy(cand, addr, sizeof(cand));
	memset(cand + plen / 8, 0, sizeof(cand) - plen / 8);
	/* Cannot fail against its own prefix; it just reads the octets. */
	if (!rfc6052_extract(addr, cand, plen, &ip4) || !is_wka(ip4))
		return 0;
	/* For /96 the u-octet lies inside the prefix: checked here. */
	if (!rfc6052_prefix_valid(cand, plen))
		return 0;
	rfc6052_synthesize(again, cand, plen, ip4);
	if (memcmp(again, addr, sizeof(again)))
		return 0;

	memcpy(out->prefix, cand, sizeof(out->prefix));
	out->plen = (__u8)plen;
	return 1;
}

/*
 * RFC 7050 section 3 asks to look for the WKA at every RFC 6052 position.
 * With the zero-suffix rule of match_at() at most one position can match:
 * for two lengths L' < L, the first octet of the WKA at L's position (192)
 * would fall on one of the later octets of the WKA at L' (0, 0, 170/171),
 * or on L''s zero suffix.  So the first match is the only one.
 */
int dns64_find_prefix(const __u8 addr[16], struct dns64_prefix *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(wka_plens); i++)
		if (match_at(addr, wka_plens[i], out))
			return 1;
	return 0;
}

int dns64_build_query(__u16 id, __u8 *buf, size_t size)
{
	unsigned char *q = NULL;
	int qlen = 0, err;

	/* max_udpsize 0: no EDNS0 OPT record, so the DO bit stays clear. */
	err = ares_create_query(DNS64_QNAME, ns_c_in, ns_t_aaaa, id, 1, &q,
				&qlen, 0);
	if (err != ARES_SUCCESS)
		return err == ARES_ENOMEM ? -ENOMEM : -EINVAL;
	if ((size_t)qlen > size) {
		ares_free_string(q);
		return -ENOBUFS;
	}
	memcpy(buf, q, qlen);
	ares_free_string(q);
	return qlen;
}

/* A standard-query response (QR set, OPCODE 0) with one question. */
static int check_header(const __u8 *abuf)
{
	if (!(abuf[2] & 0x80) || ((abuf[2] >> 3) & 0xf) != ns_o_query)
		return -EINVAL;
	if ((abuf[3] & 0xf) != ns_r_noerror)
		return -EREMOTEIO;
	if (get16(abuf + 4) != 1)
		return -EINVAL;
	return 0;
}

/*
 * c-ares follows whatever name the question holds; make sure it is ours,
 * so that an unrelated answer carrying a WKA cannot set the prefix.
 */
static int check_question(const __u8 *abuf, size_t alen)
{
	const __u8 *q;
	char *name = NULL;
	long enclen = 0;
	int ours;

	if (ares_expand_name(abuf + DNS_HDR_LEN, abuf, (int)alen, &name,
			     &enclen) != ARES_SUCCESS)
		return -EBADMSG;
	ours = !strcasecmp(name, DNS64_QNAME);
	ares_free_string(name);
	if (enclen <= 0 || DNS_HDR_LEN + (size_t)enclen + DNS_QFIXED_LEN > alen)
		return -EBADMSG;

	q = abuf + DNS_HDR_LEN + enclen;
	if (!ours || get16(q) != ns_t_aaaa || get16(q + 2) != ns_c_in)
		return -EINVAL;
	return 0;
}

static int seen(const struct dns64_prefix *out, size_t n,
		const struct dns64_prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i].plen == p->plen &&
		    !memcmp(out[i].prefix, p->prefix, sizeof(p->prefix)))
			return 1;
	return 0;
}

static int collect(const struct ares_addr6ttl *ttls, int n,
		   struct dns64_prefix *out, size_t max, size_t *count,
		   __u32 *ttl_s)
{
	struct dns64_prefix p;
	__u32 ttl = (__u32)-1;
	size_t stored = 0;
	int i, found = 0;

	for (i = 0; i < n; i++) {
		if (!dns64_find_prefix(ttls[i].ip6addr._S6_un._S6_u8, &p))
			continue;
		found = 1;
		/* RFC 2181 section 8: a TTL with the top bit set means 0. */
		if (ttls[i].ttl < 0)
			ttl = 0;
		else if ((__u32)ttls[i].ttl < ttl)
			ttl = (__u32)ttls[i].ttl;
		if (stored < max && !seen(out, stored, &p))
			out[stored++] = p;
	}
	if (!found)
		return -ENOENT;
	*count = stored;
	*ttl_s = ttl;
	return 0;
}

static int ares_to_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENODATA:
		return -ENODATA;
	case ARES_ENOMEM:
		return -ENOMEM;
	default:
		return -EBADMSG;
	}
}

int dns64_parse_response(const __u8 *abuf, size_t alen,
			 struct dns64_prefix *out, size_t max, size_t *count,
			 __u32 *ttl_s)
{
	struct ares_addr6ttl *ttls;
	size_t ancount, cap;
	int n, err;

	*count = 0;
	*ttl_s = 0;
	if (alen < DNS_HDR_LEN || alen > DNS_MSG_MAX)
		return -EMSGSIZE;
	err = check_header(abuf);
	if (err)
		return err;
	err = check_question(abuf, alen);
	if (err)
		return err;
	ancount = get16(abuf + 6);
	if (!ancount)
		return -ENODATA;

	/* No more AAAA records than the message can physically hold. */
	cap = alen / DNS_AAAA_RR_MIN;
	if (cap > ancount)
		cap = ancount;
	if (!cap)
		cap = 1;
	ttls = calloc(cap, sizeof(*ttls));
	if (!ttls)
		return -ENOMEM;

	n = (int)cap;
	err = ares_to_errno(ares_parse_aaaa_reply(abuf, (int)alen, NULL, ttls,
						  &n));
	if (!err && n <= 0)
		err = -ENODATA;
	if (!err)
		err = collect(ttls, n, out, max, count, ttl_s);
	free(ttls);
	return err;
}
