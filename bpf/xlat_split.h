/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ICMP echoes too large for the uplink, sent as IPv6 fragments
 * (docs/architecture.md, "One ping on the kernel path").
 * Part of bpf/sock464_xlat.bpf.c, which includes it after its common
 * helpers (count(), route6_fib(), send6(), set_eth_proto(), L4_OFF, the maps): not a
 * header of its own.
 */
#ifndef SOCK464_XLAT_SPLIT_H
#define SOCK464_XLAT_SPLIT_H

/* ICMP data in one IPv6 fragment of 1280 bytes, IPv6's minimum MTU: 1280 - 40 - 8. */
#define FRAG6_DATA	1232

/* Headers for the fragment of @len bytes at @off of a message split by split_out(). */
static __always_inline int frag_hdrs(struct __sk_buff *skb, struct xlat_ip6 *h6,
				     struct xlat_frag *f, __u32 off, __u32 len, int more)
{
	h6->payload_len = bpf_htons(XLAT_FRAG_HLEN + len);
	f->off_m = bpf_htons(off | (more ? XLAT_FRAG_M : 0));
	return bpf_skb_store_bytes(skb, ETH_HLEN, h6, sizeof(*h6), 0) ||
	       bpf_skb_store_bytes(skb, L4_OFF, f, sizeof(*f), 0);
}

/*
 * An ICMPv6 message (@h6, checksum complete) too large for the uplink goes
 * as fragments of 1280 bytes, which every IPv6 path carries (RFC 7915
 * section 4).  A TC program cannot make packets: each fragment but the
 * last is a clone sent through lo egress again with SOCK464_XLAT_MARK_SPLIT,
 * where split_clone() cuts it to its length; the packet itself then loses
 * that fragment's data and is the next.  0, or -1.
 */
static __always_inline int split_out(struct __sk_buff *skb, struct xlat_ip6 *h6)
{
	struct xlat_frag f = { .nexthdr = XLAT_PROTO_ICMP6 };
	__u32 rem = bpf_ntohs(h6->payload_len), off = 0, i;

	f.id = bpf_get_prandom_u32();
	h6->nexthdr = XLAT_PROTO_FRAG;
	if (bpf_skb_adjust_room(skb, XLAT_FRAG_HLEN, BPF_ADJ_ROOM_NET, 0))
		return -1;
	for (i = 0; i < 64 && rem > FRAG6_DATA; i++) {
		if (frag_hdrs(skb, h6, &f, off, FRAG6_DATA, 1))
			return -1;
		skb->mark = SOCK464_XLAT_MARK_SPLIT;
		if (bpf_clone_redirect(skb, LOOPBACK_IFINDEX, 0))
			return -1;
		/*
		 * Remove what was sent, less its last 8 bytes, from after
		 * the IPv6 header: the Fragment header goes there next.
		 */
		if (bpf_skb_adjust_room(skb, -FRAG6_DATA, BPF_ADJ_ROOM_NET, 0))
			return -1;
		off += FRAG6_DATA;
		rem -= FRAG6_DATA;
	}
	return rem > FRAG6_DATA ? -1 : frag_hdrs(skb, h6, &f, off, rem, 0);
}

/* A clone from split_out(): cut to its fragment and sent. */
static __always_inline int split_clone(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct xlat_ip6 h6;

	__builtin_memset(&fib, 0, sizeof(fib));
	if (skb->protocol != bpf_htons(ETH_P_IPV6) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &h6, sizeof(h6)) ||
	    h6.nexthdr != XLAT_PROTO_FRAG ||
	    bpf_skb_change_tail(skb, L4_OFF + bpf_ntohs(h6.payload_len), 0) ||
	    route6_fib(skb, h6.daddr, XLAT_PROTO_ICMP6, &fib)) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT);
	return send6(&fib);
}

/* 1 if the packet, now IPv6, is larger than device @ifindex takes. */
static __always_inline int too_big(struct __sk_buff *skb, __u32 ifindex)
{
	__u32 mtu = 0;

	if (!check_mtu_flag)	/* before 5.12: larger than any IPv6 link must take */
		return skb->len > ETH_HLEN + 1280;
	return bpf_check_mtu(skb, ifindex, &mtu, 0, 0) == BPF_MTU_CHK_RET_FRAG_NEEDED;
}

#endif /* SOCK464_XLAT_SPLIT_H */
