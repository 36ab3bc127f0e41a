/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Refusing a translated connect whose IPv6 4-tuple a native IPv6 socket
 * already owns (docs/architecture.md, "4-tuple collisions"): the TC
 * program answers the IPv4 SYN itself with the RST+ACK a closed port would
 * send, so that connect() fails at once with ECONNREFUSED.  Pure, shared
 * with the unit tests and the fuzzer like rfc7915.h.
 */
#ifndef SOCK464_XLAT_REFUSE_H
#define SOCK464_XLAT_REFUSE_H

#include "rfc7915.h"

/* A TCP header without options. */
struct xlat_tcp {
	__u16 source;
	__u16 dest;
	__u32 seq;
	__u32 ack_seq;
	__u8  doff_res;		/* data offset in 32-bit words << 4 */
	__u8  flags;		/* XLAT_TCP_* */
	__u16 window;
	__u16 check;
	__u16 urg_ptr;
};

#define XLAT_TCP_HLEN	20
#define XLAT_TCP_FIN	0x01
#define XLAT_TCP_SYN	0x02
#define XLAT_TCP_RST	0x04
#define XLAT_TCP_ACK	0x10

/* 1 if @t opens a connection: SYN without ACK. */
static __always_inline int xlat_tcp_is_syn(const struct xlat_tcp *t)
{
	return (t->flags & (XLAT_TCP_SYN | XLAT_TCP_ACK | XLAT_TCP_RST)) == XLAT_TCP_SYN;
}

static __always_inline __u32 xlat_htonl(__u32 v)
{
	return ((__u32)xlat_htons((__u16)v) << 16) | xlat_htons((__u16)(v >> 16));
}

/*
 * The answer to SYN @syn in IPv4 packet @h4 from a closed port (RFC 9293
 * section 3.10.7.1): @o4 and @rst, 40 bytes from the SYN's destination to
 * its source, RST+ACK acknowledging the SYN and any data it carried, seq
 * 0, no options, both checksums set.  -1 if @h4/@syn is no such SYN.
 */
static __always_inline int xlat_tcp_refuse(const struct xlat_ip4 *h4, const struct xlat_tcp *syn,
					   struct xlat_ip4 *o4, struct xlat_tcp *rst)
{
	__u32 hl = (__u32)(syn->doff_res >> 4) * 4, tot = xlat_htons(h4->tot_len), sum;

	if (h4->ver_ihl != 0x45 || h4->protocol != XLAT_PROTO_TCP || !xlat_tcp_is_syn(syn) ||
	    hl < XLAT_TCP_HLEN || tot < XLAT_IP4_HLEN + hl)
		return -1;
	o4->ver_ihl = 0x45;
	o4->tos = 0;
	o4->tot_len = xlat_htons(XLAT_IP4_HLEN + XLAT_TCP_HLEN);
	o4->id = 0;
	o4->frag_off = xlat_htons(XLAT_IP4_DF);
	o4->ttl = 64;
	o4->protocol = XLAT_PROTO_TCP;
	o4->saddr = h4->daddr;
	o4->daddr = h4->saddr;
	o4->check = xlat_ip4_check(o4);
	rst->source = syn->dest;
	rst->dest = syn->source;
	rst->seq = 0;
	/* the SYN counts one, its data (TCP Fast Open) the rest */
	rst->ack_seq = xlat_htonl(xlat_htonl(syn->seq) + 1 + (tot - XLAT_IP4_HLEN - hl));
	rst->doff_res = (XLAT_TCP_HLEN / 4) << 4;
	rst->flags = XLAT_TCP_RST | XLAT_TCP_ACK;
	rst->window = 0;
	rst->check = 0;
	rst->urg_ptr = 0;
	sum = xlat_csum_words(0, &o4->saddr, 4);
	sum += xlat_htons(XLAT_PROTO_TCP) + xlat_htons(XLAT_TCP_HLEN);
	sum = xlat_csum_words(sum, rst, XLAT_TCP_HLEN / 2);
	rst->check = (__u16)~xlat_csum_fold(sum);
	return 0;
}

#endif /* SOCK464_XLAT_REFUSE_H */
