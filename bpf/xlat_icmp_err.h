/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ICMPv6 errors about translated flows, given to their sockets as ICMPv4
 * (docs/architecture.md, "ICMPv6 errors on the kernel path").
 * Part of bpf/sock464_xlat.bpf.c, which includes it after its common
 * helpers (count(), extract4(), ours(), ours_prev(), set_eth_proto(),
 * L4_OFF, the maps): not a header of its own.
 */
#ifndef SOCK464_XLAT_ICMP_ERR_H
#define SOCK464_XLAT_ICMP_ERR_H

/*
 * The old and new inner TCP/UDP checksum of an error (both 0 if not
 * there): protocol @proto, its header @fl bytes after the inner IPv6 one.
 */
static __always_inline void inner_l4_check(struct __sk_buff *skb, const struct xlat_ip6 *i6,
					   __u8 proto, __u32 fl, __u32 s4, __u32 d4,
					   __u16 *old, __u16 *new)
{
	*old = *new = 0;
	if (bpf_skb_load_bytes(skb, ERR6_PORTS + fl + l4_check_off(proto), old, 2))
		return;
	*new = *old;
	if (proto == XLAT_PROTO_UDP && !*old)
		return;		/* no checksum */
	*new = xlat_csum_apply(*old, xlat_pseudo_diff_6to4(i6->saddr, i6->daddr, s4, d4));
}

/*
 * The packet in error, IPv6 header @i6 and, if it was a fragment, the
 * Fragment header @f: its protocol, or 0 if it is none of ours to read (a
 * fragment other than the first has no ports).  @fl: the Fragment
 * header's length, or 0.
 */
static __always_inline __u8 inner_proto(struct __sk_buff *skb, const struct xlat_ip6 *i6,
					struct xlat_frag *f, __u32 *fl)
{
	*fl = 0;
	if (i6->nexthdr != XLAT_PROTO_FRAG)
		return i6->nexthdr;
	if (bpf_skb_load_bytes(skb, ERR6_PORTS, f, sizeof(*f)) || xlat_frag_offset(f))
		return 0;
	*fl = XLAT_FRAG_HLEN;
	return f->nexthdr;
}

/*
 * An ICMPv6 error about a packet of a translated flow (its inner packet
 * is that flow's IPv6 form) becomes the ICMPv4 error with the inner packet
 * in its IPv4 form (RFC 7915 section 5.2): port unreachable gives UDP
 * ECONNREFUSED, host unreachable TCP EHOSTUNREACH, Packet Too Big lowers
 * the IPv4 path MTU.  The packet in error may be the first fragment of a
 * datagram (a Packet Too Big from a smaller link): its IPv6 and Fragment
 * headers become one IPv4 header of that fragment.  @s4: the error's IPv4
 * source (0: none, 192.0.0.8).
 */
static __always_inline int icmp_err_in(struct __sk_buff *skb, const struct sock464_netns *ns,
				       const struct xlat_ip6 *h6, __u32 s4)
{
	/* all set: the verifier rejects spills of what the compiler left undefined */
	struct xlat_icmp e6, e4 = {};
	struct xlat_ip6 i6, o6 = *h6;
	struct xlat_ip4 i4 = {}, o4 = {};
	struct xlat_frag f = {};
	__u32 x, fl, lo = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	__u16 ports[2], l4_old, l4_new;
	__u8 err4[8 + XLAT_IP4_HLEN], proto;
	int rc;

	if (bpf_skb_load_bytes(skb, L4_OFF, &e6, sizeof(e6)) ||
	    bpf_skb_load_bytes(skb, ERR6_INNER, &i6, sizeof(i6)))
		return XLAT_NEXT;
	proto = inner_proto(skb, &i6, &f, &fl);
	if ((proto != XLAT_PROTO_TCP && proto != XLAT_PROTO_UDP) ||
	    bpf_skb_load_bytes(skb, ERR6_PORTS + fl, ports, sizeof(ports)) ||
	    !extract4(ns, i6.daddr, &x) ||
	    (!ours(skb, proto, x, ports[1], ports[0]) &&
	     !ours_prev(skb, ns, i6.daddr, proto, ports[1], ports[0], &x))) {
		count(SOCK464_XC_IN_NOT_OURS);
		return XLAT_NEXT;
	}
	rc = fl ? xlat_hdr_6to4_frag(&i6, &f, &i4, lo, x) : xlat_hdr_6to4(&i6, &i4, lo, x);
	if (xlat_icmp_err_6to4(&e6, &e4) || rc != XLAT_OK ||
	    bpf_ntohs(h6->payload_len) < 8 + XLAT_IP6_HLEN + fl) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	inner_l4_check(skb, &i6, proto, fl, lo, x, &l4_old, &l4_new);
	e4.check = xlat_icmp_err_check(e6.check, h6->saddr, h6->daddr,
				       bpf_ntohs(h6->payload_len), &e6, &i6, fl ? &f : NULL,
				       &e4, &i4, l4_old, l4_new);
	o6.payload_len = bpf_htons(bpf_ntohs(h6->payload_len) - XLAT_HLEN_DIFF - fl);
	if (xlat_hdr_6to4(&o6, &o4, s4 ? s4 : bpf_htonl(XLAT_DUMMY_IP4_HOST), lo) != XLAT_OK) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(err4, &e4, 8);
	__builtin_memcpy(err4 + 8, &i4, XLAT_IP4_HLEN);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0) ||
	    bpf_skb_adjust_room(skb, -(XLAT_HLEN_DIFF + (__s32)fl), BPF_ADJ_ROOM_NET, 0) ||
	    set_eth_proto(skb, ETH_P_IP) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &o4, sizeof(o4), 0) ||
	    bpf_skb_store_bytes(skb, ERR4_L4, err4, sizeof(err4), 0) ||
	    (l4_old != l4_new &&
	     bpf_skb_store_bytes(skb, ERR4_PORTS + l4_check_off(proto), &l4_new, 2, 0))) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	skb->mark = SOCK464_XLAT_MARK_CONN;
	count(SOCK464_XC_IN_ERROR);
	return bpf_redirect(LOOPBACK_IFINDEX, BPF_F_INGRESS);
}

#endif /* SOCK464_XLAT_ICMP_ERR_H */
