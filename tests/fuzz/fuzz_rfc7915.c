// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for include/rfc7915.h.  The input is an IPv4 header,
 * two IPv6 addresses and an L4 segment.  Whatever xlat_hdr_4to6() accepts
 * must translate back with xlat_hdr_6to4() to the same fields, with a valid
 * IPv4 header checksum, and the incremental checksum updates must equal
 * the sums computed from scratch, both ways.  Whatever TCP segment
 * xlat_tcp_refuse() (include/xlat_refuse.h) answers gets a RST+ACK back
 * to its source with valid checksums.  A broken promise aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *         tests/fuzz/fuzz_rfc7915.c -o /tmp/fuzz_rfc7915
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc7915.h"
#include "xlat_refuse.h"
#include "../unit/csum_ref.h"

#define check(cond)		\
	do {			\
		if (!(cond))	\
			abort();	\
	} while (0)

static int same(__u16 a, __u16 b)
{
	return (a == 0xffff ? 0 : a) == (b == 0xffff ? 0 : b);
}

/* The refusal of a SYN: back to its source, both checksums valid. */
static void check_refuse(const struct xlat_ip4 *h4, const __u8 *l4, size_t len)
{
	struct xlat_tcp syn, rst;
	struct xlat_ip4 o4;

	if (len < sizeof(syn))
		return;
	memcpy(&syn, l4, sizeof(syn));
	if (xlat_tcp_refuse(h4, &syn, &o4, &rst))
		return;
	check(xlat_tcp_is_syn(&syn) && h4->protocol == XLAT_PROTO_TCP);
	check(o4.saddr == h4->daddr && o4.daddr == h4->saddr);
	check(rst.source == syn.dest && rst.dest == syn.source);
	check(rst.flags == (XLAT_TCP_RST | XLAT_TCP_ACK));
	check(xlat_csum_fold(csum_ref_sum(0, &o4, XLAT_IP4_HLEN)) == 0xffff);
	check(csum_ref4(o4.saddr, o4.daddr, XLAT_PROTO_TCP, &rst, sizeof(rst)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlat_ip4 h4, back;
	struct xlat_ip6 h6;
	struct xlat_frag f;
	__u8 s6[16], d6[16], l4[512];
	size_t len;
	__u16 c4, c6;

	if (size < sizeof(h4) + 32 + 2)
		return 0;
	memcpy(&h4, data, sizeof(h4));
	memcpy(s6, data + sizeof(h4), 16);
	memcpy(d6, data + sizeof(h4) + 16, 16);
	data += sizeof(h4) + 32;
	size -= sizeof(h4) + 32;
	len = size < sizeof(l4) ? size : sizeof(l4);
	memcpy(l4, data, len);

	check_refuse(&h4, l4, len);
	if (xlat_hdr_4to6(&h4, &h6, s6, d6) != XLAT_OK)
		return 0;
	check(h6.ver_tc >> 4 == 6);
	check(!memcmp(h6.saddr, s6, 16) && !memcmp(h6.daddr, d6, 16));
	if (xlat_ip4_is_fragment(&h4)) {
		/* a Fragment header follows; back: same id, offset and MF */
		xlat_frag_4to6(&h4, &f);
		check(h6.nexthdr == XLAT_PROTO_FRAG);
		check(ntohs(h6.payload_len) + XLAT_IP4_HLEN == ntohs(h4.tot_len) + XLAT_FRAG_HLEN);
		check(xlat_hdr_6to4_frag(&h6, &f, &back, h4.saddr, h4.daddr) == XLAT_OK);
		check(back.id == h4.id);
		check((ntohs(back.frag_off) & (XLAT_IP4_MF | XLAT_IP4_OFFSET)) ==
		      (ntohs(h4.frag_off) & (XLAT_IP4_MF | XLAT_IP4_OFFSET)));
	} else {
		check(ntohs(h6.payload_len) + XLAT_IP4_HLEN == ntohs(h4.tot_len));
		check(xlat_hdr_6to4(&h6, &back, h4.saddr, h4.daddr) == XLAT_OK);
	}
	check(back.tos == h4.tos && back.ttl == h4.ttl && back.protocol == h4.protocol);
	check(back.tot_len == h4.tot_len && back.saddr == h4.saddr && back.daddr == h4.daddr);
	check(xlat_csum_fold(csum_ref_sum(0, &back, XLAT_IP4_HLEN)) == 0xffff);

	c4 = csum_ref4(h4.saddr, h4.daddr, h4.protocol, l4, len);
	c6 = csum_ref6(s6, d6, h4.protocol, l4, len);
	check(same(xlat_csum_apply(c4, xlat_pseudo_diff_4to6(h4.saddr, h4.daddr, s6, d6)), c6));
	check(same(xlat_csum_apply(c6, xlat_pseudo_diff_6to4(s6, d6, h4.saddr, h4.daddr)), c4));
	return 0;
}
